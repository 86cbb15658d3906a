/**
 * Per-container API tokens (`ckAPIToken`) for public-database reads: created by a
 * signed-in user, valid for their container only, stored hashed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiTokenCreateResponse } from '@coffer/protocol';
import { testBackends, type TestStore } from '@coffer/storage';
import { authApp, envelope, findInDatabase, post, registerUser, type AuthTestApp } from './auth-helpers.js';

for (const backend of testBackends()) {
  describe(`API tokens (${backend.name})`, () => {
    let store: TestStore;
    let t: AuthTestApp;
    let session: string;
    let apiToken: string;

    beforeAll(async () => {
      store = await backend.open();
      t = await authApp(store);
      session = (await registerUser(t.app, 'dev@example.com', 'developer password')).sessionToken;
    });
    afterAll(async () => {
      await t.close();
      await store.close();
    });

    const publicRead = (container: string, token?: string) =>
      t.app.inject({ method: 'GET', url: `/test/public/${container}${token === undefined ? '' : `?ckAPIToken=${encodeURIComponent(token)}`}` });

    it('needs a session to create', async () => {
      const response = await post(t.app, '/auth/1/tokens/create', { container: 'iCloud.com.example.app' });
      expect(envelope(response).serverErrorCode).toBe('AUTHENTICATION_REQUIRED');
    });

    it('creates a token for a container', async () => {
      const response = await post(t.app, '/auth/1/tokens/create', { container: 'iCloud.com.example.app' }, session);
      expect(response.statusCode).toBe(200);
      const body = response.json<ApiTokenCreateResponse>();
      expect(body.apiToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(body.tokenId).toMatch(/^[0-9a-f]{32}$/);
      apiToken = body.apiToken;
    });

    it('works for its own container', async () => {
      const response = await publicRead('iCloud.com.example.app', apiToken);
      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({ container: 'iCloud.com.example.app' });
    });

    it('is refused for another container, and an unknown or malformed token is refused', async () => {
      for (const [container, token] of [
        ['iCloud.com.example.other', apiToken],
        ['iCloud.com.example.app', 'B'.repeat(43)],
        ['iCloud.com.example.app', 'not a token'],
      ] as const) {
        const response = await publicRead(container, token);
        expect(response.statusCode).toBe(401);
        expect(envelope(response).serverErrorCode).toBe('AUTHENTICATION_FAILED');
      }
      // No token at all: anonymous (the record routes decide what that may do).
      expect((await publicRead('iCloud.com.example.app')).json()).toEqual({ anonymous: true });
    });

    it('is not a session token, and a session token is not an API token', async () => {
      const asSession = await t.app.inject({ method: 'GET', url: '/test/whoami', headers: { authorization: `Bearer ${apiToken}` } });
      expect(asSession.statusCode).toBe(401);
      expect((await publicRead('iCloud.com.example.app', session)).statusCode).toBe(401);
    });

    it('is stored hashed only', async () => {
      expect(await findInDatabase(store, apiToken)).toBeNull();
    });

    it('validates the container identifier', async () => {
      for (const container of ['', 'has space', 'a/b', '../x', 42, 'x'.repeat(256)]) {
        const response = await post(t.app, '/auth/1/tokens/create', { container }, session);
        expect(response.statusCode).toBe(400);
        expect(envelope(response).serverErrorCode).toBe('BAD_REQUEST');
      }
    });
  });
}
