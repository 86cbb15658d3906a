/**
 * Bad input on every auth route: malformed JSON, oversized bodies, non-objects, missing
 * fields, wrong types, invalid values, missing/invalid sessions — always the CloudKit
 * envelope `{uuid, serverErrorCode, reason}`, never an echo of the input.
 */
import * as opaque from '@serenity-kit/opaque';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthPaths } from '@coffer/protocol';
import { testBackends, type TestStore } from '@coffer/storage';
import { authApp, envelope, post, registerUser, type AuthTestApp } from './auth-helpers.js';

const SECRETISH = 'Sup3r-Secret-Echo-Probe';
const allRoutes = Object.values(AuthPaths);
const sessionRoutes = [AuthPaths.logout, AuthPaths.totpSetup, AuthPaths.totpConfirm, AuthPaths.apiTokenCreate];
const bodyRoutes = [AuthPaths.registerStart, AuthPaths.registerFinish, AuthPaths.loginStart, AuthPaths.loginFinish, AuthPaths.totpConfirm, AuthPaths.apiTokenCreate];

for (const backend of testBackends()) {
  describe(`auth routes refuse bad input (${backend.name})`, () => {
    let store: TestStore;
    let t: AuthTestApp;
    let session: string;
    let validRegistrationRequest: string;
    let validStartLoginRequest: string;

    beforeAll(async () => {
      store = await backend.open();
      t = await authApp(store);
      session = (await registerUser(t.app, 'input@example.com', 'input password')).sessionToken;
      await opaque.ready;
      validRegistrationRequest = opaque.client.startRegistration({ password: 'x' }).registrationRequest;
      validStartLoginRequest = opaque.client.startLogin({ password: 'x' }).startLoginRequest;
    });
    afterAll(async () => {
      await t.close();
      await store.close();
    });

    const raw = (url: string, payload: string, contentType = 'application/json', token = session) =>
      t.app.inject({ method: 'POST', url, headers: { 'content-type': contentType, authorization: `Bearer ${token}` }, payload });

    function expectEnvelope(response: { statusCode: number; body: string }, code: string, status: number) {
      expect(response.statusCode).toBe(status);
      const body = JSON.parse(response.body) as Record<string, unknown>;
      expect(body).toMatchObject({ serverErrorCode: code });
      expect(typeof body.reason).toBe('string');
      expect(body.uuid).toMatch(/^[0-9a-f-]{36}$/);
      expect(response.body).not.toContain(SECRETISH);
    }

    it.each(bodyRoutes)('%s: malformed JSON → BAD_REQUEST without echoing it', async (url) => {
      expectEnvelope(await raw(url, `{"email": "${SECRETISH}", `), 'BAD_REQUEST', 400);
    });

    it.each(bodyRoutes)('%s: non-object JSON and empty bodies → BAD_REQUEST', async (url) => {
      for (const payload of ['[]', '"string"', '42', 'null', '']) expectEnvelope(await raw(url, payload), 'BAD_REQUEST', 400);
    });

    it.each(allRoutes)('%s: oversized body → LIMIT_EXCEEDED (413)', async (url) => {
      expectEnvelope(await raw(url, JSON.stringify({ pad: SECRETISH.repeat(2000) })), 'LIMIT_EXCEEDED', 413);
    });

    it.each(bodyRoutes)('%s: an unsupported content type → BAD_REQUEST', async (url) => {
      expectEnvelope(await raw(url, '<xml/>', 'application/xml'), 'BAD_REQUEST', 400);
    });

    it('accepts JSON sent as text/plain (as CloudKit JS does)', async () => {
      const response = await raw(AuthPaths.registerStart, JSON.stringify({ email: 'plain@example.com', registrationRequest: validRegistrationRequest }), 'text/plain');
      expect(response.statusCode).toBe(200);
    });

    it.each(sessionRoutes)('%s: without a session → AUTHENTICATION_REQUIRED; with a bad one → AUTHENTICATION_FAILED', async (url) => {
      const none = await t.app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json' }, payload: '{}' });
      expectEnvelope(none, 'AUTHENTICATION_REQUIRED', 421);
      expectEnvelope(await raw(url, '{}', 'application/json', 'C'.repeat(43)), 'AUTHENTICATION_FAILED', 401);
    });

    const cases: [string, Record<string, unknown>, RegExp][] = [
      [AuthPaths.registerStart, {}, /missing field "email"/],
      [AuthPaths.registerStart, { email: 'a@example.com' }, /missing field "registrationRequest"/],
      [AuthPaths.registerStart, { email: 42, registrationRequest: 'x' }, /"email" must be a string/],
      [AuthPaths.registerStart, { email: 'not-an-email', registrationRequest: 'x' }, /"email" is not a valid email/],
      [AuthPaths.registerStart, { email: 'a@example.com', registrationRequest: 'not base64!' }, /"registrationRequest" is not a valid/],
      [AuthPaths.registerStart, { email: 'a@example.com', registrationRequest: 'AAAA' }, /not a valid OPAQUE registration request/],
      [AuthPaths.registerStart, { email: 'a@example.com', registrationRequest: ['x'] }, /must be a string/],
      [AuthPaths.registerFinish, { email: 'a@example.com' }, /missing field "registrationRecord"/],
      [AuthPaths.registerFinish, { email: 'a@example.com', registrationRecord: 'A'.repeat(256) }, /not a valid OPAQUE registration record/],
      [AuthPaths.registerFinish, { email: 'a@example.com', registrationRecord: 'A'.repeat(255) }, /not a valid OPAQUE registration record/],
      [AuthPaths.loginStart, { email: 'a@example.com' }, /missing field "startLoginRequest"/],
      [AuthPaths.loginStart, { email: 'a@example.com', startLoginRequest: 'AAAA' }, /not a valid OPAQUE login request/],
      [AuthPaths.loginStart, { email: '', startLoginRequest: 'AAAA' }, /must not be empty/],
      [AuthPaths.loginFinish, { finishLoginRequest: 'AAAA' }, /missing field "loginId"/],
      [AuthPaths.loginFinish, { loginId: 'A'.repeat(43) }, /missing field "finishLoginRequest"/],
      [AuthPaths.loginFinish, { loginId: 'A'.repeat(43), finishLoginRequest: 'AAAA', totpCode: 123456 }, /"totpCode" must be a string/],
      [AuthPaths.loginFinish, { loginId: true, finishLoginRequest: 'AAAA' }, /"loginId" must be a string/],
      [AuthPaths.totpConfirm, {}, /missing field "code"/],
      [AuthPaths.totpConfirm, { code: 123456 }, /"code" must be a string/],
      [AuthPaths.apiTokenCreate, {}, /missing field "container"/],
    ];
    it.each(cases)('%s %j → BAD_REQUEST (%s)', async (url, body, reason) => {
      const response = await post(t.app, url, body, session);
      expectEnvelope(response, 'BAD_REQUEST', 400);
      expect(envelope(response).reason).toMatch(reason);
    });

    it('a valid login/start for a malformed-but-valid-looking email still validates the email first', async () => {
      const response = await post(t.app, AuthPaths.loginStart, { email: `${SECRETISH}@@example.com`, startLoginRequest: validStartLoginRequest });
      expectEnvelope(response, 'BAD_REQUEST', 400);
    });

    it('a garbage loginId is AUTHENTICATION_FAILED, not a server error', async () => {
      const response = await post(t.app, AuthPaths.loginFinish, { loginId: 'garbage', finishLoginRequest: 'AAAA' });
      expectEnvelope(response, 'AUTHENTICATION_FAILED', 401);
    });
  });
}
