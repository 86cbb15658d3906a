/**
 * recovery/1/contacts/request* — the owner's NEW device recovering through a contact:
 * ask (with its public identity), poll the status (the contact device's challenge, then
 * the released share), and post the proof made from the code the contact read out.
 * Each proof spends one of a few attempts, so the 6-digit code cannot be guessed online.
 */
import type { FastifyInstance } from 'fastify';
import { DeviceLimits, DevicePaths, type ContactRequestCreated, type ContactRequestStatusResponse } from '@coffer/protocol';
import type { StoredContactRequest, Transition } from '@coffer/storage';
import { CloudError } from '../http/cloud-error.js';
import { HEX_ID, b64, only, str, type Body } from './body.js';
import { BodyLimits, route, type DevicesContext } from './context.js';
import { contactUserOf } from './contacts-routes.js';
import { newId } from './ids.js';

export const PROOF_MAX_BYTES = 1024;

export function requestIdOf(body: Body): string {
  return str(body, 'requestId', HEX_ID, 'a requestId from contacts/request');
}

/** Maps a refused transition to NOT_FOUND (no such request for this caller) or CONFLICT (wrong state). */
export function transitioned(t: Transition, action: string): StoredContactRequest {
  if (t.ok) return t.request;
  if (!t.request) throw new CloudError('NOT_FOUND', 'no such recovery request');
  if (action === 'prove' && t.request.state === 'challenged' && t.request.proofAttemptsLeft <= 0) {
    throw new CloudError('CONFLICT', 'no proof attempts left for this recovery request; ask again');
  }
  throw new CloudError('CONFLICT', `cannot ${action}: the recovery request is ${t.request.state}`);
}

function status(r: StoredContactRequest): ContactRequestStatusResponse {
  const out: ContactRequestStatusResponse = { state: r.state, expiresAt: r.expiresAt, proofAttemptsLeft: r.proofAttemptsLeft };
  if (r.challenge !== null && r.state !== 'released' && r.state !== 'denied') out.challenge = r.challenge;
  if (r.state === 'released' && r.releasedShare !== null) out.releasedShare = r.releasedShare;
  return out;
}

export function registerContactRequestRoutes(scope: FastifyInstance, ctx: DevicesContext): void {
  const requests = ctx.devices.contactRequests;

  route(scope, 'POST', DevicePaths.contactsRequest, BodyLimits.small, async (user, body): Promise<ContactRequestCreated> => {
    only(body, ['contactUserRecordName', 'publicIdentity']);
    const contact = contactUserOf(body);
    const publicIdentity = b64(body, 'publicIdentity', 1, DeviceLimits.blobBytes);
    const relation = await ctx.devices.contacts.get(user, contact);
    const shares = relation?.state === 'accepted' ? await ctx.devices.contacts.sharesFor(user, contact) : [];
    if (shares.length === 0) throw new CloudError('NOT_FOUND', 'that account holds no recovery share of yours');
    const created = await requests.create({
      requestId: newId(), owner: user, contact, publicIdentity, ttlMs: DeviceLimits.contactRequestTtlMs, proofAttempts: DeviceLimits.contactProofAttempts,
    });
    return { requestId: created.requestId, expiresAt: created.expiresAt };
  });

  route(scope, 'POST', DevicePaths.contactsRequestStatus, BodyLimits.small, async (user, body): Promise<ContactRequestStatusResponse> => {
    only(body, ['requestId']);
    const request = await requests.get({ owner: user }, requestIdOf(body));
    if (!request) throw new CloudError('NOT_FOUND', 'no such recovery request');
    return status(request);
  });

  route(scope, 'POST', DevicePaths.contactsRequestProof, BodyLimits.small, async (user, body): Promise<ContactRequestStatusResponse> => {
    only(body, ['requestId', 'proof']);
    const requestId = requestIdOf(body);
    const proof = b64(body, 'proof', 1, PROOF_MAX_BYTES);
    return status(transitioned(await requests.prove(user, requestId, proof), 'prove'));
  });
}
