/**
 * The TOTP second factor on both backends: setup → confirm → required at sign-in; wrong,
 * missing and replayed codes; throttling; the secret is sealed at rest. Also the RFC 6238
 * test vectors for the code generator itself.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthReasons, type TotpSetupResponse } from '@coffer/protocol';
import { testBackends, type TestStore } from '@coffer/storage';
import { base32Decode, base32Encode, hotp, totpAt } from '../src/auth/totp.js';
import { authApp, envelope, finishLogin, findInDatabase, login, post, registerUser, startLogin, type AuthTestApp } from './auth-helpers.js';

const PASSWORD = 'totp user password 123';

describe('TOTP code generator', () => {
  // RFC 6238 Appendix B (SHA-1 seed "12345678901234567890"), truncated to 6 digits.
  const seed = new TextEncoder().encode('12345678901234567890');
  it.each([
    [59, '287082'],
    [1111111109, '081804'],
    [1111111111, '050471'],
    [1234567890, '005924'],
    [2000000000, '279037'],
    [20000000000, '353130'],
  ])('at T=%i the code is %s', (seconds, code) => {
    expect(totpAt(seed, seconds * 1000)).toBe(code);
  });

  it('matches RFC 4226 Appendix D HOTP values', () => {
    expect([0, 1, 2, 9].map((c) => hotp(seed, c))).toEqual(['755224', '287082', '359152', '520489']);
  });

  it('round-trips base32', () => {
    expect(base32Encode(seed)).toBe('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
    expect(base32Decode('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ')).toEqual(seed);
  });
});

for (const backend of testBackends()) {
  describe(`TOTP second factor (${backend.name})`, () => {
    let store: TestStore;
    let t: AuthTestApp;
    let token: string;
    let secret: Uint8Array;
    let secretText: string;

    beforeAll(async () => {
      store = await backend.open();
      t = await authApp(store, { totpPerAccount: { limit: 3, windowMs: 60_000 } });
      token = (await registerUser(t.app, 'totp@example.com', PASSWORD)).sessionToken;
    });
    afterAll(async () => {
      await t.close();
      await store.close();
    });

    const code = (offsetSteps = 0) => totpAt(secret, t.clock.now + offsetSteps * 30_000);

    it('setup needs a session', async () => {
      const response = await post(t.app, '/auth/1/totp/setup', {});
      expect(response.statusCode).toBe(421);
      expect(envelope(response).serverErrorCode).toBe('AUTHENTICATION_REQUIRED');
    });

    it('setup returns a base32 secret and an otpauth URL; nothing is required until confirmed', async () => {
      const response = await post(t.app, '/auth/1/totp/setup', {}, token);
      expect(response.statusCode).toBe(200);
      const body = response.json<TotpSetupResponse>();
      expect(body.secret).toMatch(/^[A-Z2-7]{32}$/);
      expect(body.otpauthUrl).toBe(
        `otpauth://totp/Coffer:totp%40example.com?secret=${body.secret}&issuer=Coffer&algorithm=SHA1&digits=6&period=30`,
      );
      secretText = body.secret;
      secret = base32Decode(body.secret);
      // Not yet confirmed: sign-in works without a code.
      await login(t.app, 'totp@example.com', PASSWORD);
    });

    it('confirm rejects a wrong code and accepts the current one', async () => {
      const wrong = await post(t.app, '/auth/1/totp/confirm', { code: code(5) }, token);
      expect(wrong.statusCode).toBe(401);
      expect(envelope(wrong)).toMatchObject({ serverErrorCode: 'AUTHENTICATION_FAILED', reason: AuthReasons.totpInvalid });
      const malformed = await post(t.app, '/auth/1/totp/confirm', { code: '12ab56' }, token);
      expect(envelope(malformed).serverErrorCode).toBe('BAD_REQUEST');
      const ok = await post(t.app, '/auth/1/totp/confirm', { code: code() }, token);
      expect(ok.statusCode).toBe(200);
      expect(ok.json()).toEqual({});
      // A second setup while on is refused.
      expect(envelope(await post(t.app, '/auth/1/totp/setup', {}, token)).serverErrorCode).toBe('EXISTS');
    });

    it('the secret is sealed at rest: not in the database in any encoding', async () => {
      expect(await findInDatabase(store, secret)).toBeNull();
      expect(await findInDatabase(store, secretText)).toBeNull();
    });

    it('sign-in now requires the code: missing → totpRequired, and the same loginId can then be completed', async () => {
      t.clock.advance(60_000); // past the step used by confirm
      const attempt = await startLogin(t.app, 'totp@example.com', PASSWORD);
      const body = { loginId: attempt.loginId, finishLoginRequest: attempt.finishLoginRequest };
      const missing = await finishLogin(t.app, body);
      expect(missing.statusCode).toBe(401);
      expect(envelope(missing)).toMatchObject({ serverErrorCode: 'AUTHENTICATION_FAILED', reason: AuthReasons.totpRequired });
      const ok = await finishLogin(t.app, { ...body, totpCode: code() });
      expect(ok.statusCode).toBe(200);
    });

    it('a code is accepted once (replay refused), an older step too; the next step works', async () => {
      const replay = await startLogin(t.app, 'totp@example.com', PASSWORD);
      const replayed = await finishLogin(t.app, { loginId: replay.loginId, finishLoginRequest: replay.finishLoginRequest, totpCode: code() });
      expect(envelope(replayed)).toMatchObject({ serverErrorCode: 'AUTHENTICATION_FAILED', reason: AuthReasons.totpReplayed });
      const older = await finishLogin(t.app, { loginId: replay.loginId, finishLoginRequest: replay.finishLoginRequest, totpCode: code(-1) });
      expect(envelope(older).reason).toBe(AuthReasons.totpReplayed);
      // ±1 step of skew: the next step's code is accepted now.
      const next = await finishLogin(t.app, { loginId: replay.loginId, finishLoginRequest: replay.finishLoginRequest, totpCode: code(1) });
      expect(next.statusCode).toBe(200);
    });

    it('wrong codes are counted and throttled (THROTTLED with retryAfter), then the window passes', async () => {
      t.clock.advance(120_000);
      const attempt = await startLogin(t.app, 'totp@example.com', PASSWORD);
      const body = { loginId: attempt.loginId, finishLoginRequest: attempt.finishLoginRequest };
      // Replayed-then-wrong: all count. The policy allows 3.
      for (let i = 0; i < 2; i++) {
        expect(envelope(await finishLogin(t.app, { ...body, totpCode: code(7 + i) })).reason).toBe(AuthReasons.totpInvalid);
      }
      const third = await finishLogin(t.app, { ...body, totpCode: code(9) });
      expect(envelope(third).reason).toBe(AuthReasons.totpInvalid);
      const blocked = await finishLogin(t.app, { ...body, totpCode: code() });
      expect(blocked.statusCode).toBe(429);
      expect(envelope(blocked)).toMatchObject({ serverErrorCode: 'THROTTLED' });
      expect(envelope(blocked).retryAfter).toBeGreaterThan(0);
      expect(blocked.headers['retry-after']).toBe(String(envelope(blocked).retryAfter));

      t.clock.advance(61_000);
      await login(t.app, 'totp@example.com', PASSWORD, code());
    });
  });
}
