/**
 * The devices/protection/recovery repositories (store.devices) on SQLite and PostgreSQL:
 * one contract, both engines, real databases, a controllable clock for expiries.
 */
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDevicesStore, testBackends, type DevicesDatabase, type DevicesStore, type TestStore } from '../src/index.js';

const ALICE = '_' + 'a'.repeat(32);
const BOB = '_' + 'b'.repeat(32);
const CAROL = '_' + 'c'.repeat(32);

for (const backend of testBackends()) {
  describe(`devices repositories (${backend.name})`, () => {
    let store: TestStore;
    let devices: DevicesStore;
    const clock = { now: Date.UTC(2030, 0, 1) };
    const serviceKey = (keyId: string, escrowSealed: string | null) =>
      store.serviceKeys.put({ owner: ALICE, keyId, version: keyId.length, category: `cat-${keyId}`, wrappedByKeychain: 'wrapped', escrowSealed });

    beforeAll(async () => {
      store = await backend.open();
      devices = createDevicesStore(store.db as unknown as Kysely<DevicesDatabase>, store.kind, () => clock.now);
      for (const [userRecordName, email] of [[ALICE, 'a@example.com'], [BOB, 'b@example.com'], [CAROL, 'c@example.com']] as const) {
        await store.auth.accounts.create({ userRecordName, email, opaqueRecord: 'r', createdAt: clock.now });
      }
    });
    afterAll(async () => {
      await store.close();
    });

    describe('device log', () => {
      it('appends in order with compare-and-append; a refusing policy writes nothing', async () => {
        const standard = () => 'standard' as const;
        expect(await devices.log.append(ALICE, 0, ['e0', 'e1'], standard)).toMatchObject({ ok: true, length: 2 });
        expect(await devices.log.append(ALICE, 1, ['x'], standard)).toEqual({ ok: false, length: 2 });
        await expect(devices.log.append(ALICE, 2, ['e2'], () => {
          throw new Error('refused');
        })).rejects.toThrow('refused');
        expect(await devices.log.entries(ALICE)).toEqual(['e0', 'e1']);
        expect(await devices.log.length(ALICE)).toBe(2);
        expect(await devices.log.entries(BOB)).toEqual([]);
        expect(await devices.log.length(BOB)).toBe(0);
      });

      it('serialises racing appends: one wins', async () => {
        const results = await Promise.all([devices.log.append(CAROL, 0, ['a'], () => 'standard'), devices.log.append(CAROL, 0, ['b'], () => 'standard')]);
        expect(results.filter((r) => r.ok)).toHaveLength(1);
        expect(await devices.log.entries(CAROL)).toHaveLength(1);
      });

      it('moves the mode with the policy; advanced clears every escrow copy in the same transaction', async () => {
        await serviceKey('k1', 'sealed-1');
        await serviceKey('k22', 'sealed-2');
        await serviceKey('k333', null);
        let seen: unknown;
        const on = await devices.log.append(ALICE, 2, ['adp-on'], (c) => {
          seen = c;
          return 'advanced';
        });
        expect(seen).toEqual({ length: 2, mode: 'standard', hasRecoveryMethod: false });
        expect(on).toEqual({ ok: true, length: 3, mode: 'advanced', previousMode: 'standard', escrowCopiesDeleted: 2 });
        expect(await store.auth.accounts.protectionMode(ALICE)).toBe('advanced');
        expect((await store.serviceKeys.list(ALICE)).map((k) => k.escrowSealed)).toEqual([null, null, null]);
        const off = await devices.log.append(ALICE, 3, ['adp-off'], () => 'standard');
        expect(off).toMatchObject({ ok: true, mode: 'standard', previousMode: 'advanced', escrowCopiesDeleted: 0 });
        expect(await store.auth.accounts.protectionMode(ALICE)).toBe('standard');
      });
    });

    describe('join requests', () => {
      it('creates, lists pending, approves once (storing the device copy), expires with the clock', async () => {
        const a = await devices.joinRequests.create({ requestId: '1'.repeat(32), owner: ALICE, publicIdentity: 'pi-1', commitment: 'c', ttlMs: 1000 }, 2);
        expect(a).toMatchObject({ state: 'pending', expiresAt: clock.now + 1000, commitment: 'c', approverNonce: null });
        await devices.joinRequests.create({ requestId: '2'.repeat(32), owner: ALICE, publicIdentity: 'pi-2', ttlMs: 1000 }, 2);
        expect(await devices.joinRequests.create({ requestId: '3'.repeat(32), owner: ALICE, publicIdentity: 'pi-3', ttlMs: 1000 }, 2)).toBeNull();
        expect((await devices.joinRequests.pending(ALICE)).map((r) => r.requestId)).toEqual(['1'.repeat(32), '2'.repeat(32)]);
        expect(await devices.joinRequests.pending(BOB)).toEqual([]);

        expect((await devices.joinRequests.setNonce(ALICE, '1'.repeat(32), 'approver', 'n1')).ok).toBe(true);
        expect((await devices.joinRequests.setNonce(ALICE, '1'.repeat(32), 'approver', 'n2')).ok).toBe(false);
        const approved = await devices.joinRequests.approve(ALICE, '1'.repeat(32), 'sealed', { deviceId: 'd'.repeat(32), keychainKeyId: 'kc' });
        expect(approved).toMatchObject({ ok: true, request: { state: 'approved', sealedKeychainKey: 'sealed', approverNonce: 'n1' } });
        expect(await devices.keychain.getCopy(ALICE, 'd'.repeat(32))).toMatchObject({ keychainKeyId: 'kc', sealedKey: 'sealed' });
        expect(await devices.joinRequests.deny(ALICE, '1'.repeat(32))).toMatchObject({ ok: false, reason: 'not-pending' });
        expect(await devices.joinRequests.approve(BOB, '2'.repeat(32), 's')).toEqual({ ok: false, reason: 'not-found' });

        clock.now += 1001;
        expect((await devices.joinRequests.get(ALICE, '2'.repeat(32)))?.state).toBe('expired');
        expect(await devices.joinRequests.pending(ALICE)).toEqual([]);
        expect(await devices.joinRequests.approve(ALICE, '2'.repeat(32), 's')).toMatchObject({ ok: false, reason: 'not-pending' });
        // Expired requests no longer count toward the limit.
        expect(await devices.joinRequests.create({ requestId: '4'.repeat(32), owner: ALICE, publicIdentity: 'pi-4', ttlMs: 1000 }, 2)).not.toBeNull();
      });
    });

    describe('keychain', () => {
      it('puts per device, replaces all on rotation, and swaps items by version', async () => {
        await devices.keychain.putCopy(BOB, { deviceId: 'e'.repeat(32), keychainKeyId: 'k1', sealedKey: 's1' });
        await devices.keychain.putCopy(BOB, { deviceId: 'f'.repeat(32), keychainKeyId: 'k1', sealedKey: 's2' });
        await devices.keychain.replaceCopies(BOB, 'k2', [{ deviceId: 'f'.repeat(32), sealedKey: 's3' }]);
        expect(await devices.keychain.listCopies(BOB)).toEqual([expect.objectContaining({ deviceId: 'f'.repeat(32), keychainKeyId: 'k2', sealedKey: 's3' })]);
        expect(await devices.keychain.getCopy(BOB, 'e'.repeat(32))).toBeNull();
        expect(await devices.keychain.getCopy(CAROL, 'f'.repeat(32))).toBeNull();

        expect(await devices.keychain.putItems(BOB, 0, { keychainKeyId: 'k2', blob: 'b1' })).toBe(1);
        expect(await devices.keychain.putItems(BOB, 0, { keychainKeyId: 'k2', blob: 'bx' })).toBeNull();
        expect(await devices.keychain.putItems(BOB, 1, { keychainKeyId: 'k2', blob: 'b2' })).toBe(2);
        expect(await devices.keychain.putItems(BOB, 1, { keychainKeyId: 'k2', blob: 'by' })).toBeNull();
        expect(await devices.keychain.getItems(BOB)).toEqual({ version: 2, keychainKeyId: 'k2', blob: 'b2' });
        expect(await devices.keychain.getItems(CAROL)).toBeNull();
      });
    });

    describe('recovery keys and contacts', () => {
      it('replaces the recovery-key record', async () => {
        await devices.recoveryKeys.put(BOB, { recoveryKeyId: 'r1', salt: 's', wrappedKeychainKey: 'w1', signerPublicKey: 'p' });
        await devices.recoveryKeys.put(BOB, { recoveryKeyId: 'r2', salt: 's', wrappedKeychainKey: 'w2', signerPublicKey: 'p' });
        expect(await devices.recoveryKeys.get(BOB)).toMatchObject({ recoveryKeyId: 'r2', wrappedKeychainKey: 'w2' });
        expect(await devices.recoveryKeys.delete(BOB)).toBe(true);
        expect(await devices.recoveryKeys.delete(BOB)).toBe(false);
      });

      it('invites up to the limit, responds, stores the set and its shares, and removes cleanly', async () => {
        expect(await devices.contacts.invite(ALICE, BOB, 1)).toMatchObject({ state: 'invited' });
        expect(await devices.contacts.invite(ALICE, CAROL, 1)).toBeNull();
        expect(await devices.contacts.invite(ALICE, BOB, 1)).toMatchObject({ state: 'invited' });
        expect(await devices.contacts.respond(ALICE, CAROL, 'accepted')).toBe(false);
        expect(await devices.contacts.respond(ALICE, BOB, 'accepted')).toBe(true);
        expect(await devices.contacts.listAsContact(BOB)).toEqual([expect.objectContaining({ owner: ALICE, state: 'accepted' })]);
        await devices.contacts.putSet(ALICE, { setId: 's1', threshold: 1, salt: 's', wrappedKeychainKey: 'w', signerPublicKey: 'p' }, [
          { contact: BOB, sealedShares: [{ deviceId: 'd1', sealedShare: 'x1' }, { deviceId: 'd2', sealedShare: 'x2' }] },
        ]);
        expect(await devices.contacts.shareHolders(ALICE)).toEqual([BOB]);
        expect(await devices.contacts.sharesFor(ALICE, BOB)).toEqual([{ deviceId: 'd1', sealedShare: 'x1' }, { deviceId: 'd2', sealedShare: 'x2' }]);
        expect(await devices.contacts.sharesFor(BOB, ALICE)).toEqual([]);
        // The log's policy now sees a recovery method.
        let seen: unknown;
        await devices.log.append(ALICE, 4, ['e4'], (c) => {
          seen = c.hasRecoveryMethod;
          return c.mode;
        });
        expect(seen).toBe(true);
        expect(await devices.contacts.remove(ALICE, BOB)).toBe(true);
        expect(await devices.contacts.sharesFor(ALICE, BOB)).toEqual([]);
        expect(await devices.contacts.deleteSet(ALICE)).toBe(true);
      });

      it('walks a contact request through its states; attempts are spent by proofs', async () => {
        const id = '9'.repeat(32);
        await devices.contactRequests.create({ requestId: id, owner: ALICE, contact: BOB, publicIdentity: 'pi', ttlMs: 10_000, proofAttempts: 2 });
        expect((await devices.contactRequests.prove(ALICE, id, 'p')).ok).toBe(false); // not challenged yet
        expect((await devices.contactRequests.release(BOB, id, 'r')).ok).toBe(false); // no proof yet
        expect((await devices.contactRequests.challenge(ALICE, id, 'c')).ok).toBe(false); // the owner is not the contact
        expect((await devices.contactRequests.challenge(BOB, id, 'c')).ok).toBe(true);
        expect((await devices.contactRequests.prove(BOB, id, 'p')).ok).toBe(false); // the contact is not the owner
        expect(await devices.contactRequests.prove(ALICE, id, 'p1')).toMatchObject({ ok: true, request: { state: 'proved', proofAttemptsLeft: 1 } });
        expect(await devices.contactRequests.rejectProof(BOB, id)).toMatchObject({ ok: true, request: { state: 'challenged', proof: null } });
        expect(await devices.contactRequests.prove(ALICE, id, 'p2')).toMatchObject({ ok: true, request: { proofAttemptsLeft: 0 } });
        expect(await devices.contactRequests.release(BOB, id, 'share')).toMatchObject({ ok: true, request: { state: 'released', releasedShare: 'share' } });
        expect(await devices.contactRequests.openForContact(BOB)).toEqual([]);

        const id2 = '8'.repeat(32);
        await devices.contactRequests.create({ requestId: id2, owner: ALICE, contact: BOB, publicIdentity: 'pi', ttlMs: 10_000, proofAttempts: 1 });
        await devices.contactRequests.challenge(BOB, id2, 'c');
        await devices.contactRequests.prove(ALICE, id2, 'p');
        expect(await devices.contactRequests.rejectProof(BOB, id2)).toMatchObject({ ok: true, request: { state: 'denied' } });
        const id3 = '7'.repeat(32);
        await devices.contactRequests.create({ requestId: id3, owner: ALICE, contact: BOB, publicIdentity: 'pi', ttlMs: 10, proofAttempts: 1 });
        expect((await devices.contactRequests.openForContact(BOB)).map((r) => r.requestId)).toEqual([id3]);
        clock.now += 11;
        expect((await devices.contactRequests.get({ owner: ALICE }, id3))?.state).toBe('expired');
        expect((await devices.contactRequests.challenge(BOB, id3, 'c')).ok).toBe(false);
      });
    });

    describe('passcode escrow', () => {
      it('finishes only a pending, unexpired enrollment', async () => {
        await devices.passcode.startEnrollment(BOB, 'e1', 100);
        expect(await devices.passcode.finishEnrollment(BOB, 'other', { wrappedKeychainKey: 'w', verifier: 'v', attempts: 3 })).toBe(false);
        clock.now += 101;
        expect(await devices.passcode.finishEnrollment(BOB, 'e1', { wrappedKeychainKey: 'w', verifier: 'v', attempts: 3 })).toBe(false);
        await devices.passcode.startEnrollment(BOB, 'e2', 100);
        expect(await devices.passcode.finishEnrollment(BOB, 'e2', { wrappedKeychainKey: 'w', verifier: 'v', attempts: 3 })).toBe(true);
        expect(await devices.passcode.finishEnrollment(BOB, 'e2', { wrappedKeychainKey: 'w', verifier: 'v', attempts: 3 })).toBe(false);
        expect(await devices.passcode.get(BOB)).toEqual({ enrollmentId: 'e2', wrappedKeychainKey: 'w', verifier: 'v', attemptsLeft: 3 });
      });

      it('spends attempts atomically — parallel guesses never share one — and destroys the record when spent', async () => {
        const outcomes = await Promise.all(Array.from({ length: 5 }, () => devices.passcode.spendAttempt(BOB)));
        const ok = outcomes.filter((o) => o.kind === 'ok');
        expect(ok.map((o) => (o.kind === 'ok' ? o.attemptsLeft : -1)).sort()).toEqual([0, 1, 2]);
        expect(outcomes.filter((o) => o.kind === 'exhausted')).toHaveLength(1);
        expect(outcomes.filter((o) => o.kind === 'none')).toHaveLength(1);
        expect(await devices.passcode.get(BOB)).toBeNull();
      });

      it('resets attempts only for the same enrollment; destroyIfExhausted only at zero', async () => {
        await devices.passcode.startEnrollment(CAROL, 'e3', 100);
        await devices.passcode.finishEnrollment(CAROL, 'e3', { wrappedKeychainKey: 'w', verifier: 'v', attempts: 2 });
        await devices.passcode.spendAttempt(CAROL);
        expect(await devices.passcode.destroyIfExhausted(CAROL, 'e3')).toBe(false);
        await devices.passcode.resetAttempts(CAROL, 'other', 2);
        expect((await devices.passcode.get(CAROL))?.attemptsLeft).toBe(1);
        await devices.passcode.resetAttempts(CAROL, 'e3', 2);
        expect((await devices.passcode.get(CAROL))?.attemptsLeft).toBe(2);
        await devices.passcode.spendAttempt(CAROL);
        await devices.passcode.spendAttempt(CAROL);
        expect(await devices.passcode.destroyIfExhausted(CAROL, 'e3')).toBe(true);
        expect(await devices.passcode.delete(CAROL)).toBe(false);
      });
    });

    describe('keychain reset', () => {
      it('retires only unescrowed service keys, wipes the old keychain\'s records, returns to Standard', async () => {
        await serviceKey('k4444', 'still-escrowed');
        await devices.recoveryKeys.put(ALICE, { recoveryKeyId: 'r', salt: 's', wrappedKeychainKey: 'w', signerPublicKey: 'p' });
        await devices.keychain.putCopy(ALICE, { deviceId: 'a'.repeat(32), keychainKeyId: 'k', sealedKey: 's' });
        await store.auth.accounts.setProtectionMode(ALICE, 'advanced');
        expect(await devices.resets.reset(ALICE)).toEqual({ resetGeneration: 1, retiredServiceKeys: 3 });
        expect([...(await devices.resets.retired(ALICE, ['k1', 'k22', 'k333', 'k4444', 'nope']))].sort()).toEqual(['k1', 'k22', 'k333']);
        expect(await devices.resets.retired(BOB, ['k1'])).toEqual(new Set());
        expect(await devices.log.entries(ALICE)).toEqual([]);
        expect(await devices.log.length(ALICE)).toBe(0);
        expect(await devices.recoveryKeys.get(ALICE)).toBeNull();
        expect(await devices.keychain.listCopies(ALICE)).toEqual([]);
        expect(await store.auth.accounts.protectionMode(ALICE)).toBe('standard');
        expect(await devices.resets.reset(ALICE)).toEqual({ resetGeneration: 2, retiredServiceKeys: 0 });
        expect(await devices.resets.generation(ALICE)).toBe(2);
        expect(await devices.resets.generation(BOB)).toBe(0);
      });
    });
  });
}
