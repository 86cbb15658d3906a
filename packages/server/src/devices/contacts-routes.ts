/**
 * recovery/1/contacts/* — the owner's side: invite a contact (another Coffer account),
 * list/remove contacts, fetch an accepted contact's device log (to seal the share to its
 * devices after verifying it), and store the k-of-n contact set.
 * The contact's side (invitations, recovery requests) is contact-side-routes.ts; the new
 * device's side of recovering is contact-request-routes.ts.
 */
import type { FastifyInstance } from 'fastify';
import {
  DeviceLimits,
  DevicePaths,
  type ContactIdentityResponse,
  type ContactSetResponse,
  type ContactWire,
  type ContactsListResponse,
  type DevicesOkResponse,
} from '@coffer/protocol';
import type { StoredContact } from '@coffer/storage';
import { parseEmail } from '../auth/email.js';
import { CloudError, badRequest } from '../http/cloud-error.js';
import { HEX_ID, PRINTABLE_ID, USER_RECORD_NAME, arr, b64, int, obj, only, str, unique, type Body } from './body.js';
import { BodyLimits, route, type DevicesContext } from './context.js';
import { refuseRemovingLastRecoveryMethod } from './recovery-guard.js';

const USER = 'a userRecordName ("_" and 32 lower-case hex)';

export function contactUserOf(body: Body, name = 'contactUserRecordName'): string {
  return str(body, name, USER_RECORD_NAME, USER);
}

function emailOf(body: Body, name: string): string {
  const raw = body[name];
  const email = typeof raw === 'string' ? parseEmail(raw) : null;
  if (email === null) throw badRequest(`member "${name}" must be an email address`);
  return email;
}

/** The relation, which must be accepted, or NOT_FOUND (an unaccepted contact is not one yet). */
async function acceptedContact(ctx: DevicesContext, owner: string, contact: string): Promise<StoredContact> {
  const relation = await ctx.devices.contacts.get(owner, contact);
  if (!relation || relation.state !== 'accepted') throw new CloudError('NOT_FOUND', 'that account is not an accepted recovery contact of yours');
  return relation;
}

async function emailOfUser(ctx: DevicesContext, userRecordName: string): Promise<string> {
  return (await ctx.store.auth.accounts.findByRecordName(userRecordName))?.email ?? '';
}

export function registerContactsRoutes(scope: FastifyInstance, ctx: DevicesContext): void {
  const contacts = ctx.devices.contacts;

  async function wire(relation: StoredContact, holders: Set<string>): Promise<ContactWire> {
    return {
      contactUserRecordName: relation.contact,
      contactEmail: await emailOfUser(ctx, relation.contact),
      state: relation.state,
      hasShare: holders.has(relation.contact),
      createdAt: relation.createdAt,
    };
  }

  route(scope, 'POST', DevicePaths.contactsAdd, BodyLimits.small, async (user, body): Promise<ContactWire> => {
    only(body, ['contactEmail']);
    const account = await ctx.store.auth.accounts.findByEmail(emailOf(body, 'contactEmail'));
    if (!account) throw new CloudError('NOT_FOUND', 'no Coffer account has that email address');
    if (account.userRecordName === user) throw badRequest('you cannot be your own recovery contact');
    const relation = await contacts.invite(user, account.userRecordName, DeviceLimits.contacts);
    if (!relation) throw new CloudError('LIMIT_EXCEEDED', `an account may have at most ${DeviceLimits.contacts} recovery contacts`);
    return wire(relation, new Set(await contacts.shareHolders(user)));
  });

  route(scope, 'GET', DevicePaths.contactsList, BodyLimits.small, async (user): Promise<ContactsListResponse> => {
    const holders = new Set(await contacts.shareHolders(user));
    const out: ContactsListResponse = { contacts: await Promise.all((await contacts.list(user)).map((c) => wire(c, holders))) };
    const set = await contacts.getSet(user);
    if (set) out.threshold = set.threshold;
    return out;
  });

  route(scope, 'POST', DevicePaths.contactsRemove, BodyLimits.small, async (user, body): Promise<DevicesOkResponse> => {
    only(body, ['contactUserRecordName']);
    if (!(await contacts.remove(user, contactUserOf(body)))) throw new CloudError('NOT_FOUND', 'that account is not a recovery contact of yours');
    return {};
  });

  route(scope, 'POST', DevicePaths.contactsIdentity, BodyLimits.small, async (user, body): Promise<ContactIdentityResponse> => {
    only(body, ['contactUserRecordName', 'email']);
    if ((body.contactUserRecordName === undefined) === (body.email === undefined)) throw badRequest('send exactly one of contactUserRecordName and email');
    let contact: string;
    if (body.email !== undefined) {
      const account = await ctx.store.auth.accounts.findByEmail(emailOf(body, 'email'));
      if (!account) throw new CloudError('NOT_FOUND', 'that account is not an accepted recovery contact of yours');
      contact = account.userRecordName;
    } else {
      contact = contactUserOf(body);
    }
    await acceptedContact(ctx, user, contact);
    return { userRecordName: contact, log: await ctx.devices.log.entries(contact) };
  });

  route(scope, 'POST', DevicePaths.contactsSetPut, BodyLimits.rotation, async (user, body): Promise<DevicesOkResponse> => {
    only(body, ['setId', 'threshold', 'salt', 'wrappedKeychainKey', 'signerPublicKey', 'shares']);
    const setId = str(body, 'setId', PRINTABLE_ID, '1..128 printable ASCII characters');
    const salt = b64(body, 'salt', 16, 64);
    const wrappedKeychainKey = b64(body, 'wrappedKeychainKey', 1, DeviceLimits.blobBytes);
    const signerPublicKey = b64(body, 'signerPublicKey', 32, 32);
    const shares = arr(body, 'shares', 1, DeviceLimits.contacts).map((item, i) => {
      const s = only(obj(item, `shares[${i}]`), ['contactUserRecordName', 'sealedShares']);
      const sealedShares = arr(s, 'sealedShares', 1, DeviceLimits.contacts).map((d, j) => {
        const o = only(obj(d, `shares[${i}].sealedShares[${j}]`), ['deviceId', 'sealedShare']);
        return { deviceId: str(o, 'deviceId', HEX_ID, '32 lower-case hex characters (a device id)'), sealedShare: b64(o, 'sealedShare', 1, DeviceLimits.blobBytes) };
      });
      unique(sealedShares.map((d) => d.deviceId), `shares[${i}].sealedShares[].deviceId`);
      return { contact: contactUserOf(s), sealedShares };
    });
    unique(shares.map((s) => s.contact), 'shares[].contactUserRecordName');
    const threshold = int(body, 'threshold', 1, shares.length);
    for (const s of shares) await acceptedContact(ctx, user, s.contact);
    await contacts.putSet(user, { setId, threshold, salt, wrappedKeychainKey, signerPublicKey }, shares);
    return {};
  });

  route(scope, 'POST', DevicePaths.contactsSetGet, BodyLimits.small, async (user, body): Promise<ContactSetResponse> => {
    only(body, []);
    const set = await contacts.getSet(user);
    if (!set) throw new CloudError('NOT_FOUND', 'this account has no recovery-contact set');
    return { setId: set.setId, threshold: set.threshold, salt: set.salt, wrappedKeychainKey: set.wrappedKeychainKey, signerPublicKey: set.signerPublicKey, contacts: await contacts.shareHolders(user) };
  });

  route(scope, 'POST', DevicePaths.contactsSetDelete, BodyLimits.small, async (user, body): Promise<DevicesOkResponse> => {
    only(body, []);
    await refuseRemovingLastRecoveryMethod(ctx, user, 'contact-set');
    if (!(await contacts.deleteSet(user))) throw new CloudError('NOT_FOUND', 'this account has no recovery-contact set');
    return {};
  });
}
