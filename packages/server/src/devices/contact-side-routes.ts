/**
 * recovery/1/contacts/* — the CONTACT's side: invitations addressed to the caller
 * (accept/decline), and recovery requests from owners who chose the caller, each with the
 * owner's share sealed to the caller's devices. The contact's device posts a challenge,
 * checks the new device's proof against the code it showed, then releases the share
 * re-sealed to the new device — or rejects the proof, or denies. Nothing here lets the
 * server release a share by itself: it only stores what the contact's device produced.
 */
import type { FastifyInstance } from 'fastify';
import {
  DeviceLimits,
  DevicePaths,
  type ContactInvitationsResponse,
  type ContactRecoveryRequestWire,
  type ContactRequestsResponse,
  type DevicesOkResponse,
} from '@coffer/protocol';
import { CloudError } from '../http/cloud-error.js';
import { b64, only } from './body.js';
import { BodyLimits, route, type DevicesContext } from './context.js';
import { contactUserOf } from './contacts-routes.js';
import { PROOF_MAX_BYTES, requestIdOf, transitioned } from './contact-request-routes.js';

export function registerContactSideRoutes(scope: FastifyInstance, ctx: DevicesContext): void {
  const { contacts, contactRequests } = ctx.devices;
  const emailOf = async (user: string) => (await ctx.store.auth.accounts.findByRecordName(user))?.email ?? '';

  route(scope, 'GET', DevicePaths.contactsInvitations, BodyLimits.small, async (user): Promise<ContactInvitationsResponse> => ({
    invitations: await Promise.all(
      (await contacts.listAsContact(user)).map(async (r) => ({ ownerUserRecordName: r.owner, ownerEmail: await emailOf(r.owner), state: r.state, createdAt: r.createdAt })),
    ),
  }));

  for (const [path, state] of [[DevicePaths.contactsAccept, 'accepted'], [DevicePaths.contactsDecline, 'declined']] as const) {
    route(scope, 'POST', path, BodyLimits.small, async (user, body): Promise<DevicesOkResponse> => {
      only(body, ['ownerUserRecordName']);
      if (!(await contacts.respond(contactUserOf(body, 'ownerUserRecordName'), user, state))) throw new CloudError('NOT_FOUND', 'no invitation from that account');
      return {};
    });
  }

  route(scope, 'GET', DevicePaths.contactsRequests, BodyLimits.small, async (user): Promise<ContactRequestsResponse> => {
    const open = await contactRequests.openForContact(user);
    const requests = await Promise.all(
      open.map(async (r): Promise<ContactRecoveryRequestWire> => {
        const wire: ContactRecoveryRequestWire = {
          requestId: r.requestId,
          ownerUserRecordName: r.owner,
          ownerEmail: await emailOf(r.owner),
          publicIdentity: r.publicIdentity,
          state: r.state,
          createdAt: r.createdAt,
          expiresAt: r.expiresAt,
          sealedShares: await contacts.sharesFor(r.owner, user),
        };
        if (r.challenge !== null) wire.challenge = r.challenge;
        if (r.proof !== null) wire.proof = r.proof;
        return wire;
      }),
    );
    return { requests };
  });

  route(scope, 'POST', DevicePaths.contactsChallenge, BodyLimits.small, async (user, body): Promise<DevicesOkResponse> => {
    only(body, ['requestId', 'challenge']);
    const requestId = requestIdOf(body);
    transitioned(await contactRequests.challenge(user, requestId, b64(body, 'challenge', 1, PROOF_MAX_BYTES)), 'challenge');
    return {};
  });

  route(scope, 'POST', DevicePaths.contactsRejectProof, BodyLimits.small, async (user, body): Promise<DevicesOkResponse> => {
    only(body, ['requestId']);
    transitioned(await contactRequests.rejectProof(user, requestIdOf(body)), 'reject the proof');
    return {};
  });

  route(scope, 'POST', DevicePaths.contactsRelease, BodyLimits.small, async (user, body): Promise<DevicesOkResponse> => {
    only(body, ['requestId', 'releasedShare']);
    const requestId = requestIdOf(body);
    // Only after a proof: the share leaves the contact's device once the code was verified there.
    transitioned(await contactRequests.release(user, requestId, b64(body, 'releasedShare', 1, DeviceLimits.blobBytes)), 'release');
    return {};
  });

  route(scope, 'POST', DevicePaths.contactsDeny, BodyLimits.small, async (user, body): Promise<DevicesOkResponse> => {
    only(body, ['requestId']);
    transitioned(await contactRequests.deny(user, requestIdOf(body)), 'deny');
    return {};
  });
}
