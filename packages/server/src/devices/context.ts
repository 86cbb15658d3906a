/** What every devices/protection/recovery handler works with. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { DevicesStore, Store } from '@coffer/storage';
import type { PasscodeOprf } from '../escrow/passcode/index.js';
import { requireUser } from '../auth/index.js';
import { handleCloudError } from '../http/error-handler.js';
import { CloudError } from '../http/cloud-error.js';
import { obj, type Body } from './body.js';

export interface DevicesDeps {
  store: Store;
  /** Holds `passcode-oprf.key`. */
  dataDir: string;
  /**
   * The record escrow; if it has `forget(owner)` (the escrow module's does) it is called when
   * an account turns ADP on or resets, so no unwrapped key of that account stays cached.
   */
  escrow?: unknown;
  /** Replaces the key-file OPRF (a KMS/HSM-backed one, or tests). */
  passcodeOprf?: PasscodeOprf;
}

export interface DevicesContext {
  store: Store;
  devices: DevicesStore;
  oprf: PasscodeOprf;
  /** Drops the escrow's cached keys of an account (no-op without an escrow cache). */
  forgetEscrowKeys(owner: string): void;
}

export type Handler = (user: string, body: Body, request: FastifyRequest) => Promise<unknown>;

/** Body limits: small for ids and sealed keys; larger where arrays of entries or the items blob travel. */
export const BodyLimits = {
  small: 32 * 1024,
  log: 512 * 1024,
  rotation: 2 * 1024 * 1024,
  items: 2 * 1024 * 1024,
} as const;

/** A route that needs a session; the handler receives the caller's userRecordName and the JSON body. */
export function route(scope: FastifyInstance, method: 'GET' | 'POST', url: string, bodyLimit: number, handler: Handler): void {
  scope.route({
    method,
    url,
    bodyLimit,
    handler: async (request) => {
      const user = await requireUser(request);
      const body = method === 'GET' ? {} : obj(request.body ?? {}, 'request body');
      return handler(user.userRecordName, body, request);
    },
  });
}

/** The envelope for everything, with the route's own limit in LIMIT_EXCEEDED (the record API's says 12 MB). */
export function devicesErrorHandler(error: unknown, request: FastifyRequest, reply: Parameters<typeof handleCloudError>[2]): void {
  if ((error as { code?: unknown }).code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    const limit = request.routeOptions.bodyLimit ?? BodyLimits.small;
    handleCloudError(new CloudError('LIMIT_EXCEEDED', `request body is larger than ${limit} bytes`), request, reply);
    return;
  }
  handleCloudError(error, request, reply);
}
