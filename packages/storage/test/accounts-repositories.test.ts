/**
 * The accounts/auth repositories (store.auth) on SQLite and PostgreSQL: one contract,
 * both engines, real databases.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testBackends, type TestStore } from '../src/index.js';

for (const backend of testBackends()) {
  describe(`accounts repositories (${backend.name})`, () => {
    let store: TestStore;
    beforeAll(async () => {
      store = await backend.open();
    });
    afterAll(async () => {
      await store.close();
    });

    describe('accounts', () => {
      const base = { opaqueRecord: 'record', createdAt: 1_700_000_000_000 };

      it('creates, finds by email and by record name, defaults to Standard protection', async () => {
        expect(await store.auth.accounts.create({ ...base, userRecordName: '_a1', email: 'a@example.com' })).toBe(true);
        const byEmail = await store.auth.accounts.findByEmail('a@example.com');
        expect(byEmail).toEqual({
          userRecordName: '_a1',
          email: 'a@example.com',
          opaqueRecord: 'record',
          protectionMode: 'standard',
          totpSecret: null,
          totpPending: null,
          totpLastStep: null,
          createdAt: 1_700_000_000_000,
        });
        expect(await store.auth.accounts.findByRecordName('_a1')).toEqual(byEmail);
        expect(await store.auth.accounts.findByEmail('missing@example.com')).toBeNull();
        expect(await store.auth.accounts.protectionMode('_a1')).toBe('standard');
        expect(await store.auth.accounts.protectionMode('_unknown')).toBe('standard');
      });

      it('refuses a duplicate email or record name without throwing', async () => {
        expect(await store.auth.accounts.create({ ...base, userRecordName: '_a2', email: 'a@example.com' })).toBe(false);
        expect(await store.auth.accounts.create({ ...base, userRecordName: '_a1', email: 'other@example.com' })).toBe(false);
        expect(await store.auth.accounts.findByEmail('other@example.com')).toBeNull();
      });

      it('stores the protection mode', async () => {
        await store.auth.accounts.setProtectionMode('_a1', 'advanced');
        expect(await store.auth.accounts.protectionMode('_a1')).toBe('advanced');
        await store.auth.accounts.setProtectionMode('_a1', 'standard');
      });

      it('moves a pending TOTP secret to active and claims steps strictly increasing', async () => {
        await store.auth.accounts.setTotpPending('_a1', 'sealed-pending');
        expect((await store.auth.accounts.findByRecordName('_a1'))?.totpPending).toBe('sealed-pending');
        await store.auth.accounts.activateTotp('_a1', 'sealed-active', 100);
        const account = await store.auth.accounts.findByRecordName('_a1');
        expect(account).toMatchObject({ totpSecret: 'sealed-active', totpPending: null, totpLastStep: 100 });
        expect(await store.auth.accounts.claimTotpStep('_a1', 100)).toBe(false);
        expect(await store.auth.accounts.claimTotpStep('_a1', 99)).toBe(false);
        expect(await store.auth.accounts.claimTotpStep('_a1', 101)).toBe(true);
        expect(await store.auth.accounts.claimTotpStep('_a1', 101)).toBe(false);
      });

      it('lets exactly one of many concurrent claims of the same step win', async () => {
        const results = await Promise.all(Array.from({ length: 8 }, () => store.auth.accounts.claimTotpStep('_a1', 200)));
        expect(results.filter(Boolean)).toHaveLength(1);
      });
    });

    describe('sessions', () => {
      it('creates, finds, touches, revokes and purges', async () => {
        const s = { tokenHash: 'h1', sessionId: 's1', userRecordName: '_a1', createdAt: 10, lastUsedAt: 10, expiresAt: 100 };
        await store.auth.sessions.create(s);
        await store.auth.sessions.create({ ...s, tokenHash: 'h2', sessionId: 's2', expiresAt: 50 });
        expect(await store.auth.sessions.findByTokenHash('h1')).toEqual(s);
        await store.auth.sessions.touch('h1', 20, 200);
        expect(await store.auth.sessions.findByTokenHash('h1')).toMatchObject({ lastUsedAt: 20, expiresAt: 200 });
        expect(await store.auth.sessions.deleteExpired(60)).toBe(1);
        expect(await store.auth.sessions.findByTokenHash('h2')).toBeNull();
        expect(await store.auth.sessions.revoke('h1')).toBe(true);
        expect(await store.auth.sessions.revoke('h1')).toBe(false);
      });

      it('revokes all of one user', async () => {
        for (const i of [1, 2, 3]) {
          await store.auth.sessions.create({ tokenHash: `u${i}`, sessionId: `su${i}`, userRecordName: i < 3 ? '_x' : '_y', createdAt: 0, lastUsedAt: 0, expiresAt: 9e12 });
        }
        expect(await store.auth.sessions.revokeAllFor('_x')).toBe(2);
        expect(await store.auth.sessions.findByTokenHash('u3')).not.toBeNull();
      });
    });

    describe('login states', () => {
      it('hides expired states and consumes exactly once', async () => {
        await store.auth.loginStates.put({ idHash: 'l1', email: 'a@example.com', userRecordName: '_a1', state: 'sealed', expiresAt: 1000 });
        await store.auth.loginStates.put({ idHash: 'l2', email: 'z@example.com', userRecordName: null, state: 'sealed', expiresAt: 1000 });
        expect(await store.auth.loginStates.find('l1', 999)).toMatchObject({ email: 'a@example.com', userRecordName: '_a1', expiresAt: 1000 });
        expect(await store.auth.loginStates.find('l2', 999)).toMatchObject({ userRecordName: null });
        expect(await store.auth.loginStates.find('l1', 1000)).toBeNull();
        const consumed = await Promise.all([store.auth.loginStates.consume('l1'), store.auth.loginStates.consume('l1')]);
        expect(consumed.sort()).toEqual([false, true]);
        expect(await store.auth.loginStates.deleteExpired(1000)).toBe(1);
      });
    });

    describe('API tokens', () => {
      it('creates, finds, lists and revokes by owner', async () => {
        const row = { tokenHash: 't1', tokenId: 'id1', container: 'iCloud.x', userRecordName: '_a1', createdAt: 5 };
        await store.auth.apiTokens.create(row);
        expect(await store.auth.apiTokens.findByTokenHash('t1')).toEqual(row);
        expect(await store.auth.apiTokens.listFor('_a1')).toEqual([row]);
        expect(await store.auth.apiTokens.revoke('id1', '_someone_else')).toBe(false);
        expect(await store.auth.apiTokens.revoke('id1', '_a1')).toBe(true);
        expect(await store.auth.apiTokens.findByTokenHash('t1')).toBeNull();
      });
    });

    describe('throttle', () => {
      it('counts within a window, restarts after it, peeks without counting, resets', async () => {
        expect(await store.auth.throttle.hit('k', 1000, 100)).toEqual({ count: 1, windowStart: 1000 });
        expect(await store.auth.throttle.hit('k', 1050, 100)).toEqual({ count: 2, windowStart: 1000 });
        expect(await store.auth.throttle.peek('k', 1099, 100)).toEqual({ count: 2, windowStart: 1000 });
        expect(await store.auth.throttle.peek('k', 1100, 100)).toBeNull();
        expect(await store.auth.throttle.hit('k', 1100, 100)).toEqual({ count: 1, windowStart: 1100 });
        await store.auth.throttle.reset('k');
        expect(await store.auth.throttle.peek('k', 1100, 100)).toBeNull();
      });

      it('takes an attempt back, never below zero', async () => {
        await store.auth.throttle.hit('u', 1000, 100);
        await store.auth.throttle.hit('u', 1001, 100);
        await store.auth.throttle.undo('u');
        expect(await store.auth.throttle.peek('u', 1002, 100)).toEqual({ count: 1, windowStart: 1000 });
        await store.auth.throttle.undo('u');
        await store.auth.throttle.undo('u');
        expect(await store.auth.throttle.peek('u', 1002, 100)).toEqual({ count: 0, windowStart: 1000 });
        await store.auth.throttle.undo('missing');
      });

      it('loses no count under concurrency', async () => {
        const windows = await Promise.all(Array.from({ length: 20 }, () => store.auth.throttle.hit('burst', 5000, 60_000)));
        expect(windows.map((w) => w.count).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      });
    });

    describe('server key ids', () => {
      it('records the first id and keeps it', async () => {
        expect(await store.auth.serverKeyIds.get('escrow')).toBeNull();
        expect(await store.auth.serverKeyIds.claim('escrow', 'id-1', 1)).toBe('id-1');
        expect(await store.auth.serverKeyIds.claim('escrow', 'id-2', 2)).toBe('id-1');
        expect(await store.auth.serverKeyIds.get('escrow')).toBe('id-1');
      });
    });
  });
}
