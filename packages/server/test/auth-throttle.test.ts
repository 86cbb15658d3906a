/**
 * Sign-in throttling, per account and per IP, in the database (shared by all nodes).
 * OPAQUE lets a client test a password guess with login/start alone, so starts are
 * what is counted; a successful sign-in clears the account's counter.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testBackends, type TestStore } from '@coffer/storage';
import { authApp, envelope, finishLogin, registerUser, startLogin, type AuthTestApp } from './auth-helpers.js';

for (const backend of testBackends()) {
  describe(`sign-in throttling (${backend.name})`, () => {
    let store: TestStore;
    let t: AuthTestApp;

    beforeAll(async () => {
      store = await backend.open();
      t = await authApp(store, {
        loginPerAccount: { limit: 3, windowMs: 60_000 },
        loginPerIp: { limit: 8, windowMs: 60_000 },
      });
      await registerUser(t.app, 'victim@example.com', 'the real password');
    });
    afterAll(async () => {
      await t.close();
      await store.close();
    });

    it('per account: the 4th guess within the window is THROTTLED with retryAfter, whatever the IP', async () => {
      for (let i = 0; i < 3; i++) {
        const guess = await startLogin(t.app, 'victim@example.com', `guess ${i}`, `10.0.0.${i + 1}`);
        expect(guess.start.statusCode).toBe(200);
        expect(guess.finishLoginRequest).toBeUndefined(); // the wrong password shows on the client
      }
      const blocked = await startLogin(t.app, 'victim@example.com', 'the real password', '10.0.0.9');
      expect(blocked.start.statusCode).toBe(429);
      const body = envelope(blocked.start);
      expect(body.serverErrorCode).toBe('THROTTLED');
      expect(body.retryAfter).toBeGreaterThan(0);
      expect(body.retryAfter).toBeLessThanOrEqual(60);
      expect(blocked.start.headers['retry-after']).toBe(String(body.retryAfter));
    });

    it('throttles unknown emails exactly like known ones (no enumeration through throttling)', async () => {
      for (let i = 0; i < 3; i++) expect((await startLogin(t.app, 'ghost@example.com', 'x', '10.0.1.1', false)).start.statusCode).toBe(200);
      expect((await startLogin(t.app, 'ghost@example.com', 'x', '10.0.1.1', false)).start.statusCode).toBe(429);
    });

    it('the account window ends, and a successful sign-in resets the account counter', async () => {
      t.clock.advance(61_000);
      for (let round = 0; round < 3; round++) {
        // Two failures then a success, three times over: never throttled because success resets.
        await startLogin(t.app, 'victim@example.com', 'nope', '10.0.2.1', false);
        await startLogin(t.app, 'victim@example.com', 'nope', '10.0.2.2', false);
        const ok = await startLogin(t.app, 'victim@example.com', 'the real password', `10.0.2.${round + 3}`);
        expect(ok.start.statusCode).toBe(200);
        const done = await finishLogin(t.app, { loginId: ok.loginId, finishLoginRequest: ok.finishLoginRequest }, '10.0.2.9');
        expect(done.statusCode).toBe(200);
      }
    });

    it('per IP: one address spraying many accounts is THROTTLED', async () => {
      t.clock.advance(61_000);
      const ip = '192.0.2.77';
      for (let i = 0; i < 8; i++) {
        expect((await startLogin(t.app, `user${i}@example.com`, 'pw', ip, false)).start.statusCode).toBe(200);
      }
      const blocked = await startLogin(t.app, 'user9@example.com', 'pw', ip, false);
      expect(envelope(blocked.start)).toMatchObject({ serverErrorCode: 'THROTTLED' });
      // Another address is unaffected.
      expect((await startLogin(t.app, 'user9@example.com', 'pw', '192.0.2.78', false)).start.statusCode).toBe(200);
      // login/finish from the throttled address is refused too.
      const finish = await finishLogin(t.app, { loginId: 'A'.repeat(43), finishLoginRequest: 'A'.repeat(86) }, ip);
      expect(envelope(finish).serverErrorCode).toBe('THROTTLED');
    });

    it('successful sign-ins do not use up the address\'s budget (only failed starts count)', async () => {
      t.clock.advance(61_000);
      const ip = '203.0.113.5';
      for (let i = 0; i < 10; i++) {
        const ok = await startLogin(t.app, 'victim@example.com', 'the real password', ip);
        expect(ok.start.statusCode).toBe(200);
        expect((await finishLogin(t.app, { loginId: ok.loginId, finishLoginRequest: ok.finishLoginRequest }, ip)).statusCode).toBe(200);
      }
    });

    it('counts concurrent attempts exactly (atomic upsert), so a burst cannot slip through', async () => {
      t.clock.advance(61_000);
      const results = await Promise.all(
        Array.from({ length: 6 }, (_, i) => startLogin(t.app, 'burst@example.com', 'pw', `198.51.100.${i + 1}`, false)),
      );
      const statuses = results.map((r) => r.start.statusCode).sort();
      expect(statuses).toEqual([200, 200, 200, 429, 429, 429]);
    });

    it('stores throttle keys as keyed hashes, not emails or addresses', async () => {
      const rows = await store.db.selectFrom('auth_throttle').select('throttle_key').execute();
      expect(rows.length).toBeGreaterThan(0);
      for (const { throttle_key } of rows) {
        expect(throttle_key).toMatch(/^[a-z:]+:[0-9a-f]{64}$/);
        expect(throttle_key).not.toMatch(/example\.com|192\.0\.2/);
      }
    });
  });
}
