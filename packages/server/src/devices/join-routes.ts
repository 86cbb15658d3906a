/**
 * devices/1/join/*: joining by approval. The new device (signed in, not yet trusted)
 * posts its public identity; a trusted device lists pending requests, checks the 6-digit
 * code both screens derive from the identity and the requestId, appends the add-device
 * entry and approves with the keychain key sealed to the new device; the new device polls
 * the status. The server only relays: it cannot open the sealed key, and a swapped
 * identity changes the codes.
 */
import type { FastifyInstance } from 'fastify';
import {
  DeviceLimits,
  DevicePaths,
  type DevicesOkResponse,
  type JoinPendingResponse,
  type JoinRequestCreated,
  type JoinRequestWire,
  type JoinStatusResponse,
} from '@coffer/protocol';
import type { JoinDecision, StoredJoinRequest } from '@coffer/storage';
import { CloudError } from '../http/cloud-error.js';
import { HEX_ID, PRINTABLE_ID, b64, only, optStr, str } from './body.js';
import { BodyLimits, route, type DevicesContext } from './context.js';
import { newId } from './ids.js';

function requestIdOf(body: Record<string, unknown>): string {
  return str(body, 'requestId', HEX_ID, 'a requestId from join/request');
}

function decided(decision: JoinDecision): DevicesOkResponse {
  if (decision.ok) return {};
  if (decision.reason === 'not-found') throw new CloudError('NOT_FOUND', 'no such join request');
  throw new CloudError('CONFLICT', `join request is already ${decision.request?.state ?? 'decided'}`);
}

const NONCE_BYTES = 64;

/** The optional commit-reveal values, only those set. */
function nonces(r: StoredJoinRequest): Pick<JoinRequestWire, 'commitment' | 'approverNonce' | 'deviceNonce'> {
  const out: Pick<JoinRequestWire, 'commitment' | 'approverNonce' | 'deviceNonce'> = {};
  if (r.commitment !== null) out.commitment = r.commitment;
  if (r.approverNonce !== null) out.approverNonce = r.approverNonce;
  if (r.deviceNonce !== null) out.deviceNonce = r.deviceNonce;
  return out;
}

function status(request: StoredJoinRequest): JoinStatusResponse {
  const out: JoinStatusResponse = { state: request.state, expiresAt: request.expiresAt, ...nonces(request) };
  if (request.state === 'approved' && request.sealedKeychainKey !== null) out.sealedKeychainKey = request.sealedKeychainKey;
  return out;
}

export function registerJoinRoutes(scope: FastifyInstance, ctx: DevicesContext): void {
  const joins = ctx.devices.joinRequests;

  route(scope, 'POST', DevicePaths.joinRequest, BodyLimits.small, async (user, body): Promise<JoinRequestCreated> => {
    only(body, ['publicIdentity', 'commitment']);
    const publicIdentity = b64(body, 'publicIdentity', 1, DeviceLimits.blobBytes);
    const commitment = body.commitment === undefined ? undefined : b64(body, 'commitment', 1, NONCE_BYTES);
    const request = { requestId: newId(), owner: user, publicIdentity, ttlMs: DeviceLimits.joinRequestTtlMs, ...(commitment === undefined ? {} : { commitment }) };
    const created = await joins.create(request, DeviceLimits.pendingJoinRequests);
    if (!created) {
      throw new CloudError('THROTTLED', `this account already has ${DeviceLimits.pendingJoinRequests} pending join requests; wait for them to expire`, {
        retryAfter: Math.ceil(DeviceLimits.joinRequestTtlMs / 1000),
      });
    }
    return { requestId: created.requestId, expiresAt: created.expiresAt };
  });

  route(scope, 'GET', DevicePaths.joinPending, BodyLimits.small, async (user): Promise<JoinPendingResponse> => ({
    requests: (await joins.pending(user)).map((r) => ({ requestId: r.requestId, publicIdentity: r.publicIdentity, createdAt: r.createdAt, expiresAt: r.expiresAt, ...nonces(r) })),
  }));

  route(scope, 'POST', DevicePaths.joinApprove, BodyLimits.small, async (user, body) => {
    only(body, ['requestId', 'sealedKeychainKey', 'deviceId', 'keychainKeyId']);
    const requestId = requestIdOf(body);
    const sealed = b64(body, 'sealedKeychainKey', 1, DeviceLimits.blobBytes);
    const deviceId = optStr(body, 'deviceId', HEX_ID, '32 lower-case hex characters (a device id)');
    const keychainKeyId = optStr(body, 'keychainKeyId', PRINTABLE_ID, '1..128 printable ASCII characters');
    if ((deviceId === undefined) !== (keychainKeyId === undefined)) throw new CloudError('BAD_REQUEST', 'send deviceId and keychainKeyId together, or neither');
    const copy = deviceId !== undefined && keychainKeyId !== undefined ? { deviceId, keychainKeyId } : undefined;
    return decided(await joins.approve(user, requestId, sealed, copy));
  });

  route(scope, 'POST', DevicePaths.joinDeny, BodyLimits.small, async (user, body) => {
    only(body, ['requestId']);
    return decided(await joins.deny(user, requestIdOf(body)));
  });

  route(scope, 'POST', DevicePaths.joinNonce, BodyLimits.small, async (user, body): Promise<DevicesOkResponse> => {
    only(body, ['requestId', 'approverNonce', 'deviceNonce']);
    const requestId = requestIdOf(body);
    if ((body.approverNonce === undefined) === (body.deviceNonce === undefined)) throw new CloudError('BAD_REQUEST', 'send exactly one of approverNonce and deviceNonce');
    const which = body.approverNonce !== undefined ? 'approver' : 'device';
    const nonce = b64(body, which === 'approver' ? 'approverNonce' : 'deviceNonce', 1, NONCE_BYTES);
    const result = await joins.setNonce(user, requestId, which, nonce);
    if (!result.ok && result.reason === 'not-pending' && result.request?.state === 'pending') throw new CloudError('CONFLICT', `the ${which} nonce is already set`);
    return decided(result);
  });

  route(scope, 'POST', DevicePaths.joinStatus, BodyLimits.small, async (user, body) => {
    only(body, ['requestId']);
    const request = await joins.get(user, requestIdOf(body));
    if (!request) throw new CloudError('NOT_FOUND', 'no such join request');
    return status(request);
  });
}
