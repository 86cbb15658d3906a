/**
 * recovery/1/passcode/*: passcode escrow with a real RFC 9497 OPRF client (@noble/curves).
 * The correct passcode opens; each wrong guess spends an attempt BEFORE evaluation; after
 * 10 the record is destroyed and the 11th guess — even the right passcode — fails forever;
 * the OPRF key lives only in `<dataDir>/passcode-oprf.key` (0600), never in the database;
 * the free evaluation of enroll/start is useless against the active record.
 */
import { createHmac, hkdfSync } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ristretto255_oprf } from '@noble/curves/ed25519.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PasscodeReasons, type PasscodeEnrollStartResponse, type PasscodeEvaluateResponse, type PasscodeOpenResponse, type PasscodeStatusResponse } from '@coffer/protocol';
import { testBackends } from '@coffer/storage';
import { buildServer } from '../src/index.js';
import { findInDatabase } from './auth-helpers.js';
import { b64, expectError, expireRow, openDevicesHarness, randomB64, type DevicesHarness, type TestUser } from './devices-harness.js';

/** The client side: blind → (server evaluates) → finalize → verifier. */
function blindPasscode(userRecordName: string, passcode: string) {
  const input = new TextEncoder().encode(`coffer/v1/test/passcode\u0000${userRecordName}\u0000${passcode}`);
  const { blind, blinded } = ristretto255_oprf.oprf.blind(input);
  return {
    blinded: b64(blinded),
    verifier(evaluated: string): string {
      const output = ristretto255_oprf.oprf.finalize(input, blind, new Uint8Array(Buffer.from(evaluated, 'base64')));
      const authKey = Buffer.from(hkdfSync('sha256', output, new Uint8Array(0), 'coffer/v1/passcode/auth-key', 32));
      return createHmac('sha256', authKey).update('coffer/v1/passcode-verifier').digest('base64');
    },
  };
}

for (const backend of testBackends()) {
  describe(`passcode escrow (${backend.name})`, () => {
    let h: DevicesHarness;
    const wrapped = randomB64(120);

    async function enroll(user: TestUser, passcode: string, wrappedKeychainKey = wrapped): Promise<void> {
      const c = blindPasscode(user.userRecordName, passcode);
      const start = await h.ok<PasscodeEnrollStartResponse>('/recovery/1/passcode/enroll/start', { blinded: c.blinded }, { user });
      const finished = await h.ok<PasscodeStatusResponse>('/recovery/1/passcode/enroll/finish', { enrollmentId: start.enrollmentId, wrappedKeychainKey, verifier: c.verifier(start.evaluated) }, { user });
      expect(finished).toEqual({ enrolled: true, attemptsLeft: 10 });
    }

    /** One guess: evaluate (spends an attempt) then open. */
    async function guess(user: TestUser, passcode: string) {
      const c = blindPasscode(user.userRecordName, passcode);
      const evaluated = await h.api('/recovery/1/passcode/evaluate', { blinded: c.blinded }, { user });
      if (evaluated.statusCode !== 200) return { evaluated };
      const body = evaluated.json<PasscodeEvaluateResponse>();
      const opened = await h.api('/recovery/1/passcode/open', { proof: c.verifier(body.evaluated) }, { user });
      return { evaluated, attemptsLeft: body.attemptsLeft, opened };
    }

    beforeAll(async () => {
      h = await openDevicesHarness(backend);
    });
    afterAll(async () => {
      await h.close();
    });

    it('opens with the correct passcode; wrong guesses spend attempts first; success resets them', async () => {
      await enroll(h.alice, '482913');
      for (const [i, wrong] of ['000000', '123456', '111111'].entries()) {
        const g = await guess(h.alice, wrong);
        expect(g.attemptsLeft).toBe(9 - i);
        expectError(g.opened!, 'ACCESS_DENIED', PasscodeReasons.passcodeIncorrect);
      }
      expect(await h.ok<PasscodeStatusResponse>('/recovery/1/passcode/status', {})).toEqual({ enrolled: true, attemptsLeft: 7 });
      const right = await guess(h.alice, '482913');
      expect(right.attemptsLeft).toBe(6);
      expect(right.opened!.json<PasscodeOpenResponse>()).toEqual({ wrappedKeychainKey: wrapped });
      expect(await h.ok<PasscodeStatusResponse>('/recovery/1/passcode/status', {})).toEqual({ enrolled: true, attemptsLeft: 10 });
    });

    it('destroys the record after 10 wrong guesses: the 11th fails forever, even with the right passcode', async () => {
      const bob = await h.signUp('bob');
      const bobWrapped = randomB64(120);
      await enroll(bob, '975310', bobWrapped);
      for (let i = 0; i < 9; i++) expectError((await guess(bob, `10000${i}`)).opened!, 'ACCESS_DENIED', PasscodeReasons.passcodeIncorrect);
      const tenth = await guess(bob, '999999');
      expect(tenth.attemptsLeft).toBe(0);
      expectError(tenth.opened!, 'ACCESS_DENIED', PasscodeReasons.passcodeAttemptsExhausted);
      const eleventh = await guess(bob, '975310');
      expectError(eleventh.evaluated, 'NOT_FOUND', PasscodeReasons.passcodeNotEnrolled);
      expect(await h.ok<PasscodeStatusResponse>('/recovery/1/passcode/status', {}, { user: bob })).toEqual({ enrolled: false });
      expect(await h.store.devices.passcode.get(bob.userRecordName)).toBeNull();
      expect(await findInDatabase(h.store, bobWrapped)).toBeNull();
    });

    it('spends attempts on evaluation alone: 10 evaluations without opening, then the record is gone', async () => {
      const carol = await h.signUp('carol');
      await enroll(carol, '246810', randomB64(120));
      const c = blindPasscode(carol.userRecordName, '246810');
      for (let i = 9; i >= 0; i--) {
        expect((await h.ok<PasscodeEvaluateResponse>('/recovery/1/passcode/evaluate', { blinded: c.blinded }, { user: carol })).attemptsLeft).toBe(i);
      }
      // The 10th evaluation was of the right passcode: it may still open (and would reset the count)…
      // …but an 11th evaluation finds no attempts left and destroys the record.
      expectError(await h.api('/recovery/1/passcode/evaluate', { blinded: c.blinded }, { user: carol }), 'NOT_FOUND', PasscodeReasons.passcodeAttemptsExhausted);
      expectError(await h.api('/recovery/1/passcode/evaluate', { blinded: c.blinded }, { user: carol }), 'NOT_FOUND', PasscodeReasons.passcodeNotEnrolled);
      expectError(await h.api('/recovery/1/passcode/open', { proof: randomB64(32) }, { user: carol }), 'NOT_FOUND', PasscodeReasons.passcodeNotEnrolled);
    });

    it('keeps the OPRF key out of the database: only the 0600 key file holds it', async () => {
      const path = join(h.store.testDatabase.dataDir, 'passcode-oprf.key');
      expect(statSync(path).mode & 0o777).toBe(0o600);
      const hex = readFileSync(path, 'utf8').trim();
      expect(hex).toMatch(/^[0-9a-f]{64}$/);
      expect(await findInDatabase(h.store, hex)).toBeNull();
      expect(await findInDatabase(h.store, new Uint8Array(Buffer.from(hex, 'hex')))).toBeNull();
      // A restarted server (same data dir) reads the same key: enrolled passcodes still open.
      const again = await buildServer({ dataDir: h.store.testDatabase.dataDir, store: h.store });
      try {
        const c = blindPasscode(h.alice.userRecordName, '482913');
        const evaluated = await again.inject({ method: 'POST', url: '/recovery/1/passcode/evaluate', headers: { authorization: `Bearer ${h.alice.token}`, 'content-type': 'application/json' }, payload: JSON.stringify({ blinded: c.blinded }) });
        const opened = await again.inject({
          method: 'POST', url: '/recovery/1/passcode/open', headers: { authorization: `Bearer ${h.alice.token}`, 'content-type': 'application/json' },
          payload: JSON.stringify({ proof: c.verifier(evaluated.json<PasscodeEvaluateResponse>().evaluated) }),
        });
        expect(opened.json<PasscodeOpenResponse>()).toEqual({ wrappedKeychainKey: wrapped });
      } finally {
        await again.close();
      }
    });

    it('gives no free guesses: enroll/start evaluates under a fresh key, useless against the active record', async () => {
      const c = blindPasscode(h.alice.userRecordName, '482913'); // the RIGHT passcode
      const start = await h.ok<PasscodeEnrollStartResponse>('/recovery/1/passcode/enroll/start', { blinded: c.blinded });
      expectError(await h.api('/recovery/1/passcode/open', { proof: c.verifier(start.evaluated) }), 'ACCESS_DENIED', PasscodeReasons.passcodeIncorrect);
      // An unfinished enrollment replaces nothing; an expired one cannot be finished.
      expect((await guess(h.alice, '482913')).opened!.json<PasscodeOpenResponse>()).toEqual({ wrappedKeychainKey: wrapped });
      await expireRow(h.store, 'passcode_enrollments', 'enrollment_id', start.enrollmentId);
      expectError(await h.api('/recovery/1/passcode/enroll/finish', { enrollmentId: start.enrollmentId, wrappedKeychainKey: randomB64(50), verifier: randomB64(32) }), 'NOT_FOUND', /no pending passcode enrollment/);
    });

    it('refuses malformed input without spending an attempt', async () => {
      expectError(await h.api('/recovery/1/passcode/evaluate', { blinded: randomB64(31) }), 'BAD_REQUEST', /blinded/);
      expectError(await h.api('/recovery/1/passcode/evaluate', { blinded: b64(new Uint8Array(32).fill(0xff)) }), 'BAD_REQUEST', /not a valid ristretto255 element/);
      expectError(await h.api('/recovery/1/passcode/evaluate', { blinded: b64(new Uint8Array(32)) }), 'BAD_REQUEST', /not a valid ristretto255 element/);
      expectError(await h.api('/recovery/1/passcode/evaluate', {}), 'BAD_REQUEST', /blinded/);
      expectError(await h.api('/recovery/1/passcode/open', { proof: randomB64(16) }), 'BAD_REQUEST', /proof/);
      expectError(await h.api('/recovery/1/passcode/enroll/finish', { enrollmentId: 'x', wrappedKeychainKey: randomB64(50), verifier: randomB64(32) }), 'BAD_REQUEST', /enrollmentId/);
      expectError(await h.api('/recovery/1/passcode/enroll/finish', { enrollmentId: 'a'.repeat(32), wrappedKeychainKey: randomB64(50), verifier: randomB64(31) }), 'BAD_REQUEST', /verifier/);
      expect(await h.ok<PasscodeStatusResponse>('/recovery/1/passcode/status', {})).toEqual({ enrolled: true, attemptsLeft: 10 });
    });

    it('keeps accounts apart and deletes on request', async () => {
      const mallory = await h.signUp('mallory');
      expectError((await guess(mallory, '482913')).evaluated, 'NOT_FOUND', PasscodeReasons.passcodeNotEnrolled);
      expectError(await h.api('/recovery/1/passcode/open', { proof: randomB64(32) }, { user: mallory }), 'NOT_FOUND');
      expect(await h.ok<PasscodeStatusResponse>('/recovery/1/passcode/status', {})).toEqual({ enrolled: true, attemptsLeft: 10 });
      expectError(await h.api('/recovery/1/passcode/delete', {}, { user: mallory }), 'NOT_FOUND');
      await h.ok('/recovery/1/passcode/delete', {});
      expect(await h.ok<PasscodeStatusResponse>('/recovery/1/passcode/status', {})).toEqual({ enrolled: false });
    });
  });
}
