/**
 * Accounts end to end on both storage backends: OPAQUE registration and sign-in,
 * sessions (Bearer and ckWebAuthToken), logout, expiry, and what reaches the database.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import * as opaque from '@serenity-kit/opaque';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testBackends, type TestStore } from '@coffer/storage';
import { authApp, envelope, finishLogin, findInDatabase, login, post, registerUser, startLogin, type AuthTestApp } from './auth-helpers.js';

const DAY = 24 * 60 * 60 * 1000;

for (const backend of testBackends()) {
  describe(`auth flow (${backend.name})`, () => {
    let store: TestStore;
    let t: AuthTestApp;

    beforeAll(async () => {
      store = await backend.open();
      t = await authApp(store);
    });
    afterAll(async () => {
      await t.close();
      await store.close();
    });

    const whoami = (token?: string, query = '') =>
      t.app.inject({ method: 'GET', url: `/test/whoami${query}`, headers: token ? { authorization: `Bearer ${token}` } : {} });

    it('registers, signs in, and authenticates requests with Bearer and ckWebAuthToken', async () => {
      const registered = await registerUser(t.app, 'Alice@Example.com ', 'correct horse battery staple');
      expect(registered.userRecordName).toMatch(/^_[0-9a-f]{32}$/);
      expect(registered.sessionToken).toMatch(/^[A-Za-z0-9_-]{43}$/);

      // The email is normalised: another spelling of it is the same account.
      const session = await login(t.app, 'alice@example.COM', 'correct horse battery staple');
      expect(session.userRecordName).toBe(registered.userRecordName);
      expect(session.sessionToken).not.toBe(registered.sessionToken);

      const viaHeader = await whoami(session.sessionToken);
      expect(viaHeader.statusCode).toBe(200);
      expect(viaHeader.json()).toMatchObject({ userRecordName: registered.userRecordName });

      const viaQuery = await whoami(undefined, `?ckWebAuthToken=${session.sessionToken}`);
      expect(viaQuery.json()).toMatchObject({ userRecordName: registered.userRecordName });

      expect((await whoami()).json()).toEqual({ anonymous: true });
      const info = await t.app.cofferAuth.account(registered.userRecordName);
      expect(info).toEqual({ userRecordName: registered.userRecordName, emailAddress: 'alice@example.com', protectionMode: 'standard' });
    });

    it('refuses a second account with the same email (EXISTS)', async () => {
      await expect(registerUser(t.app, 'alice@example.com', 'another password')).rejects.toThrow(/409.*EXISTS/);
    });

    it('a wrong password fails: the client cannot finish, and a forged finish is AUTHENTICATION_FAILED', async () => {
      const attempt = await startLogin(t.app, 'alice@example.com', 'wrong password');
      expect(attempt.start.statusCode).toBe(200);
      expect(attempt.finishLoginRequest).toBeUndefined();

      // A finish message from a different (successful) login does not verify against this state.
      const other = await startLogin(t.app, 'alice@example.com', 'correct horse battery staple');
      const forged = await finishLogin(t.app, { loginId: attempt.loginId, finishLoginRequest: other.finishLoginRequest });
      expect(forged.statusCode).toBe(401);
      expect(envelope(forged)).toMatchObject({ serverErrorCode: 'AUTHENTICATION_FAILED' });
      expect(envelope(forged).uuid).toMatch(/[0-9a-f-]{36}/);

      // The failed proof burned that login state.
      const again = await finishLogin(t.app, { loginId: attempt.loginId, finishLoginRequest: other.finishLoginRequest });
      expect(envelope(again).reason).toMatch(/unknown or expired loginId/);
    });

    it('an unknown email gets a normal-looking login response (fake record) and then fails', async () => {
      const known = await startLogin(t.app, 'alice@example.com', 'x');
      const unknown = await startLogin(t.app, 'nobody@example.com', 'x');
      expect(unknown.start.statusCode).toBe(200);
      const knownBody = known.start.json<{ loginId: string; loginResponse: string }>();
      const unknownBody = unknown.start.json<{ loginId: string; loginResponse: string }>();
      expect(unknownBody.loginResponse.length).toBe(knownBody.loginResponse.length);
      expect(unknown.finishLoginRequest).toBeUndefined();
      const finish = await finishLogin(t.app, { loginId: unknownBody.loginId, finishLoginRequest: 'A'.repeat(86) });
      expect(envelope(finish)).toMatchObject({ serverErrorCode: 'AUTHENTICATION_FAILED', reason: 'email or password is incorrect' });
    });

    it('a login completes once: replaying the finish message is refused', async () => {
      const attempt = await startLogin(t.app, 'alice@example.com', 'correct horse battery staple');
      const body = { loginId: attempt.loginId, finishLoginRequest: attempt.finishLoginRequest };
      expect((await finishLogin(t.app, body)).statusCode).toBe(200);
      const replay = await finishLogin(t.app, body);
      expect(replay.statusCode).toBe(401);
    });

    it('a login state expires', async () => {
      const attempt = await startLogin(t.app, 'alice@example.com', 'correct horse battery staple');
      t.clock.advance(t.app.cofferAuth.options.loginStateTtlMs + 1);
      const late = await finishLogin(t.app, { loginId: attempt.loginId, finishLoginRequest: attempt.finishLoginRequest });
      expect(envelope(late)).toMatchObject({ serverErrorCode: 'AUTHENTICATION_FAILED' });
    });

    it('logout revokes the session (and only that one)', async () => {
      const a = await login(t.app, 'alice@example.com', 'correct horse battery staple');
      const b = await login(t.app, 'alice@example.com', 'correct horse battery staple');
      const out = await post(t.app, '/auth/1/logout', {}, a.sessionToken);
      expect(out.statusCode).toBe(200);
      const revoked = await whoami(a.sessionToken);
      expect(revoked.statusCode).toBe(401);
      expect(envelope(revoked)).toMatchObject({ serverErrorCode: 'AUTHENTICATION_FAILED' });
      expect((await whoami(b.sessionToken)).statusCode).toBe(200);
      // Logging out twice: the token is no longer valid.
      expect((await post(t.app, '/auth/1/logout', {}, a.sessionToken)).statusCode).toBe(401);
    });

    it('sessions expire after 30 idle days, and use slides the expiry', async () => {
      const s = await login(t.app, 'alice@example.com', 'correct horse battery staple');
      t.clock.advance(20 * DAY);
      expect((await whoami(s.sessionToken)).statusCode).toBe(200); // slides to +30 days from here
      t.clock.advance(20 * DAY);
      expect((await whoami(s.sessionToken)).statusCode).toBe(200);
      t.clock.advance(31 * DAY);
      const expired = await whoami(s.sessionToken);
      expect(expired.statusCode).toBe(401);
      expect(envelope(expired).reason).toMatch(/expired/);
      // And it stays refused (the row is gone).
      expect(envelope(await whoami(s.sessionToken)).reason).toMatch(/unknown or was revoked/);
    });

    it('refuses malformed and unknown credentials with AUTHENTICATION_FAILED', async () => {
      for (const headers of [{ authorization: 'Basic abc' }, { authorization: 'Bearer short' }, { authorization: `Bearer ${'A'.repeat(43)}` }]) {
        const response = await t.app.inject({ method: 'GET', url: '/test/whoami', headers });
        expect(response.statusCode).toBe(401);
        expect(envelope(response).serverErrorCode).toBe('AUTHENTICATION_FAILED');
      }
      const twice = await whoami(undefined, `?ckWebAuthToken=a&ckWebAuthToken=b`);
      expect(envelope(twice).serverErrorCode).toBe('AUTHENTICATION_FAILED');
    });

    it('never stores the password, the session token or the login id in the database', async () => {
      const password = 'Zebra-Quartz-Mango-4711-secret';
      await registerUser(t.app, 'bob@example.com', password);
      const attempt = await startLogin(t.app, 'bob@example.com', password);
      const pendingLoginId = attempt.loginId!;
      const session = await login(t.app, 'bob@example.com', password);
      for (const secret of [password, session.sessionToken, pendingLoginId]) {
        expect(await findInDatabase(store, secret)).toBeNull();
      }
      // Sanity check of the scanner: the email is stored, and found.
      expect(await findInDatabase(store, 'bob@example.com')).not.toBeNull();
    });

    it('works across server nodes: login/start on one, login/finish and requests on another', async () => {
      const nodeB = await authApp(store, {}, t.clock);
      try {
        const attempt = await startLogin(t.app, 'alice@example.com', 'correct horse battery staple');
        const finish = await finishLogin(nodeB.app, { loginId: attempt.loginId, finishLoginRequest: attempt.finishLoginRequest });
        expect(finish.statusCode).toBe(200);
        const { sessionToken } = finish.json<{ sessionToken: string }>();
        expect((await whoami(sessionToken)).statusCode).toBe(200);
      } finally {
        await nodeB.close();
      }
    });

    it('a tampered login state fails like a wrong password', async () => {
      const attempt = await startLogin(t.app, 'alice@example.com', 'correct horse battery staple');
      await store.db.updateTable('auth_login_states').set({ state: 'a1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }).execute();
      const finish = await finishLogin(t.app, { loginId: attempt.loginId, finishLoginRequest: attempt.finishLoginRequest });
      expect(envelope(finish)).toMatchObject({ serverErrorCode: 'AUTHENTICATION_FAILED', reason: 'email or password is incorrect' });
    });

    it('keeps the OPAQUE setup and at-rest key in 0600 files in the data dir', async () => {
      for (const file of ['opaque-server-setup', 'auth-at-rest.key']) {
        expect(statSync(join(store.testDatabase.dataDir, file)).mode & 0o777).toBe(0o600);
      }
      // The OPAQUE server public key is exposed for pinning and matches what clients see.
      await opaque.ready;
      expect(t.app.cofferAuth.opaquePublicKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
    });
  });
}
