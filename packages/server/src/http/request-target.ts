/**
 * Who is asking and which database they address. The private database of a request is
 * always the caller's own (there is no way to name another user's), so cross-account
 * access cannot happen; zoneIDs naming another owner are answered as not existing.
 *
 * Public database: reads with a session or a `ckAPIToken`, writes with a session.
 * Shared database: no sharing yet, so it is always empty (see docs/API.md).
 */
import type { FastifyRequest } from 'fastify';
import { DEFAULT_ZONE_NAME, type DatabaseScope, type Environment, type ZoneIDWire } from '@coffer/protocol';
import type { DatabaseRef } from '@coffer/storage';
import { authenticate, authenticateApiToken } from '../auth/index.js';
import { CloudError, zoneNotFound } from './cloud-error.js';

export interface RouteParams {
  container: string;
  environment: Environment;
  database: DatabaseScope;
}

export type Access = 'read' | 'write';

export interface RequestTarget {
  container: string;
  environment: Environment;
  scope: DatabaseScope;
  /** The signed-in user; null for a public read with an API token only. */
  userRecordName: string | null;
  /** The database addressed. */
  ref: DatabaseRef;
  /** ownerRecordName of this database's zones on the wire. */
  ownerRecordName: string;
  /** `X-Coffer-Client: sdk`: the client encrypts itself and gets ciphertext back. */
  isSdk: boolean;
  deviceId: string;
  /** Quota subject charged for writes. */
  quotaSubject: string;
}

/** CloudKit's placeholder owner for "the current user" / the public database. */
export const DEFAULT_OWNER = '_defaultOwner';

function headerValue(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export async function resolveTarget(request: FastifyRequest, params: RouteParams, access: Access): Promise<RequestTarget> {
  const { container, environment, database: scope } = params;
  const user = await authenticate(request);
  let userRecordName: string | null = user?.userRecordName ?? null;
  if (userRecordName === null) {
    if (scope === 'public' && access === 'read') {
      const grant = await authenticateApiToken(request, container);
      if (!grant) throw new CloudError('AUTHENTICATION_REQUIRED', 'sign in (Authorization: Bearer <sessionToken> or ckWebAuthToken) or send a ckAPIToken for this container');
      userRecordName = null;
    } else {
      throw new CloudError('AUTHENTICATION_REQUIRED', 'sign in first: send Authorization: Bearer <sessionToken> or the ckWebAuthToken query parameter');
    }
  }
  const device = headerValue(request, 'x-coffer-device-id');
  const deviceId = device !== undefined && /^[\x21-\x7E]{1,128}$/.test(device) ? device : 'web';
  const isSdk = headerValue(request, 'x-coffer-client')?.trim().toLowerCase() === 'sdk';
  const owner = scope === 'public' ? '' : (userRecordName ?? '');
  return {
    container,
    environment,
    scope,
    userRecordName,
    ref: { container, environment, scope, owner },
    ownerRecordName: scope === 'public' ? DEFAULT_OWNER : owner,
    isSdk,
    deviceId,
    quotaSubject: scope === 'public' ? `public:${container}:${environment}` : `user:${owner}`,
  };
}

/** The zone a request names, defaulting to `_defaultZone`; another owner's zone is reported as not existing. */
export function zoneNameOf(target: RequestTarget, zoneID: ZoneIDWire | undefined): string {
  const zoneName = zoneID?.zoneName ?? DEFAULT_ZONE_NAME;
  const owner = zoneID?.ownerRecordName;
  if (owner !== undefined && owner !== '' && owner !== DEFAULT_OWNER && owner !== target.ownerRecordName) {
    throw zoneNotFound(zoneName, owner);
  }
  if (target.scope === 'shared') throw zoneNotFound(zoneName);
  return zoneName;
}

export function zoneIdFor(target: RequestTarget, zoneName: string): Required<ZoneIDWire> {
  return { zoneName, ownerRecordName: target.ownerRecordName };
}
