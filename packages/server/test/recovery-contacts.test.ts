/**
 * recovery/1/contacts/*: the recovery-contact flow end to end over HTTP — invite, accept,
 * fetch the contact's verified device log, store a 2-of-2 set with each share HPKE-sealed
 * to the contact's device, then recover on a new device: request → the contact's device
 * sees its sealed share → challenge → proof → (a wrong proof is rejected and costs an
 * attempt) → release re-sealed to the new device, which opens it. The server only
 * relays; release is impossible before a proof, and nobody else sees any of it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeLogEntry, fromBase64, generateDeviceIdentity, generateKey, openSealedKey, sealKeyTo, verifyDeviceLog, type DeviceIdentity } from '@coffer/crypto';
import type {
  ContactIdentityResponse,
  ContactInvitationsResponse,
  ContactRequestCreated,
  ContactRequestStatusResponse,
  ContactRequestsResponse,
  ContactSetResponse,
  ContactWire,
  ContactsListResponse,
} from '@coffer/protocol';
import { testBackends } from '@coffer/storage';
import { TestLog, append, b64, expectError, expireRow, identityB64, openDevicesHarness, randomB64, type DevicesHarness, type TestUser } from './devices-harness.js';

const SHARE_PURPOSE = 'coffer/v1/test/contact-share';

for (const backend of testBackends()) {
  describe(`recovery contacts (${backend.name})`, () => {
    let h: DevicesHarness;
    let bob: TestUser;
    let carol: TestUser;
    let mallory: TestUser;
    const bobDevice = generateDeviceIdentity('bob phone');
    const carolDevice = generateDeviceIdentity('carol phone');
    const shares = { bob: generateKey('recovery'), carol: generateKey('recovery') };
    const newDevice = generateDeviceIdentity('alice new phone');

    /** What the owner's device does: verify the contact's log, seal the share to each of its devices. */
    async function sealFor(contact: TestUser, share: typeof shares.bob) {
      const identity = await h.ok<ContactIdentityResponse>('/recovery/1/contacts/identity', { contactUserRecordName: contact.userRecordName });
      const state = verifyDeviceLog(identity.log.map((e) => decodeLogEntry(fromBase64(e))));
      return {
        contactUserRecordName: contact.userRecordName,
        sealedShares: await Promise.all(state.devices.map(async (d) => ({ deviceId: d.id, sealedShare: b64(await sealKeyTo(d.hpkePublicKey, share, SHARE_PURPOSE)) }))),
      };
    }

    async function withLog(user: TestUser, device: DeviceIdentity): Promise<void> {
      expect((await append(h, [new TestLog(device).genesis()], 0, user)).statusCode).toBe(200);
    }

    beforeAll(async () => {
      h = await openDevicesHarness(backend);
      bob = await h.signUp('bob');
      carol = await h.signUp('carol');
      mallory = await h.signUp('mallory');
      await withLog(bob, bobDevice);
      await withLog(carol, carolDevice);
    });
    afterAll(async () => {
      await h.close();
    });

    it('invites, and only an accepted contact is one', async () => {
      const added = await h.ok<ContactWire>('/recovery/1/contacts/add', { contactEmail: bob.email.toUpperCase() });
      expect(added).toMatchObject({ contactUserRecordName: bob.userRecordName, contactEmail: bob.email, state: 'invited', hasShare: false });
      await h.ok('/recovery/1/contacts/add', { contactEmail: carol.email });
      expectError(await h.api('/recovery/1/contacts/add', { contactEmail: h.alice.email }), 'BAD_REQUEST', /your own/);
      expectError(await h.api('/recovery/1/contacts/add', { contactEmail: 'nobody@example.com' }), 'NOT_FOUND');
      expectError(await h.api('/recovery/1/contacts/add', { contactEmail: 'not an email' }), 'BAD_REQUEST', /email/);
      expectError(await h.api('/recovery/1/contacts/identity', { contactUserRecordName: bob.userRecordName }), 'NOT_FOUND', /not an accepted/);

      const invitations = await h.ok<ContactInvitationsResponse>('/recovery/1/contacts/invitations', undefined, { method: 'GET', user: bob });
      expect(invitations.invitations).toEqual([expect.objectContaining({ ownerUserRecordName: h.alice.userRecordName, ownerEmail: h.alice.email, state: 'invited' })]);
      await h.ok('/recovery/1/contacts/accept', { ownerUserRecordName: h.alice.userRecordName }, { user: bob });
      await h.ok('/recovery/1/contacts/accept', { ownerUserRecordName: h.alice.userRecordName }, { user: carol });
      expectError(await h.api('/recovery/1/contacts/accept', { ownerUserRecordName: h.alice.userRecordName }, { user: mallory }), 'NOT_FOUND', /no invitation/);
      expectError(await h.api('/recovery/1/contacts/identity', { contactUserRecordName: mallory.userRecordName }), 'NOT_FOUND');

      const list = await h.ok<ContactsListResponse>('/recovery/1/contacts/list', undefined, { method: 'GET' });
      expect(list.contacts.map((c) => [c.contactEmail, c.state])).toEqual([[bob.email, 'accepted'], [carol.email, 'accepted']]);
      expect(list.threshold).toBeUndefined();
    });

    it('stores a 2-of-2 set sealed to each contact\'s verified devices; get returns no share bytes', async () => {
      const set = {
        setId: 'set-1', threshold: 2, salt: randomB64(16), wrappedKeychainKey: randomB64(90), signerPublicKey: randomB64(32),
        shares: [await sealFor(bob, shares.bob), await sealFor(carol, shares.carol)],
      };
      expectError(await h.api('/recovery/1/contacts/set/put', { ...set, threshold: 3 }), 'BAD_REQUEST', /threshold/);
      expectError(await h.api('/recovery/1/contacts/set/put', { ...set, shares: [set.shares[0], set.shares[0]] }), 'BAD_REQUEST', /must not repeat/);
      expectError(await h.api('/recovery/1/contacts/set/put', { ...set, shares: [{ ...set.shares[0], contactUserRecordName: mallory.userRecordName }] , threshold: 1 }), 'NOT_FOUND', /not an accepted/);
      await h.ok('/recovery/1/contacts/set/put', set);
      const stored = await h.ok<ContactSetResponse>('/recovery/1/contacts/set/get', {});
      expect(stored).toEqual({ setId: 'set-1', threshold: 2, salt: set.salt, wrappedKeychainKey: set.wrappedKeychainKey, signerPublicKey: set.signerPublicKey, contacts: [bob.userRecordName, carol.userRecordName].sort() });
      const list = await h.ok<ContactsListResponse>('/recovery/1/contacts/list', undefined, { method: 'GET' });
      expect(list.threshold).toBe(2);
      expect(list.contacts.every((c) => c.hasShare)).toBe(true);
    });

    it('recovers on a new device: the share is released only after a proof, re-sealed to the new device', async () => {
      const { requestId } = await h.ok<ContactRequestCreated>('/recovery/1/contacts/request', { contactUserRecordName: bob.userRecordName, publicIdentity: identityB64(newDevice) });
      expect((await h.ok<ContactRequestStatusResponse>('/recovery/1/contacts/request/status', { requestId })).state).toBe('pending');
      expectError(await h.api('/recovery/1/contacts/request/proof', { requestId, proof: randomB64(32) }), 'CONFLICT', /pending/);

      // Bob's device sees the request with its sealed share and the new device's identity.
      const seen = (await h.ok<ContactRequestsResponse>('/recovery/1/contacts/requests', undefined, { method: 'GET', user: bob })).requests;
      expect(seen).toHaveLength(1);
      expect(seen[0]).toMatchObject({ requestId, ownerUserRecordName: h.alice.userRecordName, ownerEmail: h.alice.email, publicIdentity: identityB64(newDevice), state: 'pending' });
      const mine = seen[0]!.sealedShares.find((s) => s.deviceId === bobDevice.id)!;
      const share = await openSealedKey(bobDevice.hpkePrivateKey, fromBase64(mine.sealedShare), SHARE_PURPOSE);
      expect(Buffer.from(share.bytes)).toEqual(Buffer.from(shares.bob.bytes));
      expectError(await h.api('/recovery/1/contacts/release', { requestId, releasedShare: randomB64(90) }, { user: bob }), 'CONFLICT', /pending/);

      const challenge = randomB64(32);
      await h.ok('/recovery/1/contacts/challenge', { requestId, challenge }, { user: bob });
      const polled = await h.ok<ContactRequestStatusResponse>('/recovery/1/contacts/request/status', { requestId });
      expect(polled).toMatchObject({ state: 'challenged', challenge, proofAttemptsLeft: 5 });

      // A wrong code: bob's device rejects the proof; it cost one attempt.
      await h.ok('/recovery/1/contacts/request/proof', { requestId, proof: randomB64(32) });
      await h.ok('/recovery/1/contacts/reject-proof', { requestId }, { user: bob });
      expect(await h.ok<ContactRequestStatusResponse>('/recovery/1/contacts/request/status', { requestId })).toMatchObject({ state: 'challenged', proofAttemptsLeft: 4 });

      const proof = randomB64(32);
      await h.ok('/recovery/1/contacts/request/proof', { requestId, proof });
      expect((await h.ok<ContactRequestsResponse>('/recovery/1/contacts/requests', undefined, { method: 'GET', user: bob })).requests[0]).toMatchObject({ state: 'proved', proof });
      // Only bob (the contact) can release; the owner's own session cannot, nor can anyone else.
      expectError(await h.api('/recovery/1/contacts/release', { requestId, releasedShare: randomB64(90) }), 'NOT_FOUND');
      expectError(await h.api('/recovery/1/contacts/release', { requestId, releasedShare: randomB64(90) }, { user: carol }), 'NOT_FOUND');
      const released = b64(await sealKeyTo(newDevice.hpkePublicKey, share, SHARE_PURPOSE));
      await h.ok('/recovery/1/contacts/release', { requestId, releasedShare: released }, { user: bob });

      const done = await h.ok<ContactRequestStatusResponse>('/recovery/1/contacts/request/status', { requestId });
      expect(done.state).toBe('released');
      const opened = await openSealedKey(newDevice.hpkePrivateKey, fromBase64(done.releasedShare!), SHARE_PURPOSE);
      expect(Buffer.from(opened.bytes)).toEqual(Buffer.from(shares.bob.bytes));
      expect((await h.ok<ContactRequestsResponse>('/recovery/1/contacts/requests', undefined, { method: 'GET', user: bob })).requests).toEqual([]);
      expectError(await h.api('/recovery/1/contacts/deny', { requestId }, { user: bob }), 'CONFLICT', /released/);
    });

    it('denies after the last proof attempt, on the contact\'s deny, and on expiry', async () => {
      const { requestId } = await h.ok<ContactRequestCreated>('/recovery/1/contacts/request', { contactUserRecordName: carol.userRecordName, publicIdentity: identityB64(newDevice) });
      await h.ok('/recovery/1/contacts/challenge', { requestId, challenge: randomB64(32) }, { user: carol });
      for (let i = 0; i < 5; i++) {
        await h.ok('/recovery/1/contacts/request/proof', { requestId, proof: randomB64(32) });
        await h.ok('/recovery/1/contacts/reject-proof', { requestId }, { user: carol });
      }
      expect(await h.ok<ContactRequestStatusResponse>('/recovery/1/contacts/request/status', { requestId })).toMatchObject({ state: 'denied', proofAttemptsLeft: 0 });
      expectError(await h.api('/recovery/1/contacts/request/proof', { requestId, proof: randomB64(32) }), 'CONFLICT', /denied/);

      const second = await h.ok<ContactRequestCreated>('/recovery/1/contacts/request', { contactUserRecordName: carol.userRecordName, publicIdentity: identityB64(newDevice) });
      await h.ok('/recovery/1/contacts/deny', { requestId: second.requestId }, { user: carol });
      expect((await h.ok<ContactRequestStatusResponse>('/recovery/1/contacts/request/status', { requestId: second.requestId })).state).toBe('denied');

      const third = await h.ok<ContactRequestCreated>('/recovery/1/contacts/request', { contactUserRecordName: carol.userRecordName, publicIdentity: identityB64(newDevice) });
      await expireRow(h.store, 'recovery_contact_requests', 'request_id', third.requestId);
      expect((await h.ok<ContactRequestStatusResponse>('/recovery/1/contacts/request/status', { requestId: third.requestId })).state).toBe('expired');
      expectError(await h.api('/recovery/1/contacts/challenge', { requestId: third.requestId, challenge: randomB64(32) }, { user: carol }), 'CONFLICT', /expired/);
    });

    it('never shows anything to uninvolved accounts', async () => {
      const { requestId } = await h.ok<ContactRequestCreated>('/recovery/1/contacts/request', { contactUserRecordName: bob.userRecordName, publicIdentity: identityB64(newDevice) });
      expect((await h.ok<ContactRequestsResponse>('/recovery/1/contacts/requests', undefined, { method: 'GET', user: mallory })).requests).toEqual([]);
      expect((await h.ok<ContactInvitationsResponse>('/recovery/1/contacts/invitations', undefined, { method: 'GET', user: mallory })).invitations).toEqual([]);
      expect((await h.ok<ContactsListResponse>('/recovery/1/contacts/list', undefined, { method: 'GET', user: mallory })).contacts).toEqual([]);
      expectError(await h.api('/recovery/1/contacts/set/get', {}, { user: mallory }), 'NOT_FOUND');
      expectError(await h.api('/recovery/1/contacts/request/status', { requestId }, { user: mallory }), 'NOT_FOUND');
      expectError(await h.api('/recovery/1/contacts/request/status', { requestId }, { user: bob }), 'NOT_FOUND');
      for (const path of ['challenge', 'reject-proof', 'release', 'deny']) {
        expectError(await h.api(`/recovery/1/contacts/${path}`, pick(path, requestId), { user: mallory }), 'NOT_FOUND');
      }
      expectError(await h.api('/recovery/1/contacts/request', { contactUserRecordName: h.alice.userRecordName, publicIdentity: randomB64(50) }, { user: mallory }), 'NOT_FOUND', /holds no recovery share/);
    });

    it('removing or declining a contact removes their share and requests', async () => {
      await h.ok('/recovery/1/contacts/decline', { ownerUserRecordName: h.alice.userRecordName }, { user: carol });
      let list = await h.ok<ContactsListResponse>('/recovery/1/contacts/list', undefined, { method: 'GET' });
      expect(list.contacts.find((c) => c.contactUserRecordName === carol.userRecordName)).toMatchObject({ state: 'declined', hasShare: false });
      await h.ok('/recovery/1/contacts/remove', { contactUserRecordName: bob.userRecordName });
      expect((await h.ok<ContactRequestsResponse>('/recovery/1/contacts/requests', undefined, { method: 'GET', user: bob })).requests).toEqual([]);
      list = await h.ok<ContactsListResponse>('/recovery/1/contacts/list', undefined, { method: 'GET' });
      expect(list.contacts.map((c) => c.contactUserRecordName)).toEqual([carol.userRecordName]);
      expectError(await h.api('/recovery/1/contacts/remove', { contactUserRecordName: bob.userRecordName }), 'NOT_FOUND');
      await h.ok('/recovery/1/contacts/set/delete', {});
      expectError(await h.api('/recovery/1/contacts/set/get', {}), 'NOT_FOUND');
    });
  });
}

/** The minimal valid body of each contact-side action. */
function pick(path: string, requestId: string): Record<string, string> {
  if (path === 'challenge') return { requestId, challenge: 'AAAA' };
  if (path === 'release') return { requestId, releasedShare: 'AAAA' };
  return { requestId };
}
