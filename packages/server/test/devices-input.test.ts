/**
 * Every endpoint of devices/1, protection/1 and recovery/1 (protocol DevicePaths) against
 * unauthorised, malformed and oversized requests: always the CloudKit envelope with the
 * right code, never Fastify's default error shape, never an echo of the body.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DevicePaths, httpStatusOf, type ErrorEnvelope, type ServerErrorCode } from '@coffer/protocol';
import { testBackends } from '@coffer/storage';
import type { LightMyRequestResponse } from 'fastify';
import { openDevicesHarness, type DevicesHarness } from './devices-harness.js';

const GETS = new Set<string>([
  DevicePaths.log, DevicePaths.joinPending, DevicePaths.protectionStatus, DevicePaths.contactsList, DevicePaths.contactsInvitations, DevicePaths.contactsRequests,
]);
/** Endpoints whose body has no required member (an empty object is a valid request). */
const NO_REQUIRED = new Set<string>([
  DevicePaths.keychainGet, DevicePaths.keychainItemsGet, DevicePaths.recoveryKeyGet, DevicePaths.recoveryKeyDelete, DevicePaths.contactsSetGet,
  DevicePaths.contactsSetDelete, DevicePaths.passcodeStatus, DevicePaths.passcodeDelete, DevicePaths.keychainReset, DevicePaths.contactsIdentity,
]);
const ALL = Object.values(DevicePaths);
const SECRET = 'Body-Echo-Probe-31337';

function expectEnvelope(response: LightMyRequestResponse, code: ServerErrorCode, label: string): ErrorEnvelope {
  const body = response.json<ErrorEnvelope>();
  expect(body.serverErrorCode, `${label}: ${response.body}`).toBe(code);
  expect(response.statusCode, label).toBe(httpStatusOf(code));
  expect(typeof body.uuid, label).toBe('string');
  expect(typeof body.reason, label).toBe('string');
  expect(response.body, label).not.toContain(SECRET);
  return body;
}

for (const backend of testBackends()) {
  describe(`devices/protection/recovery input handling (${backend.name})`, () => {
    let h: DevicesHarness;
    beforeAll(async () => {
      h = await openDevicesHarness(backend);
    });
    afterAll(async () => {
      await h.close();
    });

    it('covers every path in DevicePaths', () => {
      expect(ALL.length).toBe(42);
      expect(new Set(ALL).size).toBe(ALL.length);
    });

    it('answers AUTHENTICATION_REQUIRED without credentials and AUTHENTICATION_FAILED with bad ones, on every endpoint', async () => {
      for (const path of ALL) {
        const method = GETS.has(path) ? 'GET' : 'POST';
        expectEnvelope(await h.api(path, {}, { method, user: null }), 'AUTHENTICATION_REQUIRED', `${path} anonymous`);
        expectEnvelope(await h.api(path, {}, { method, user: { ...h.alice, token: 'A'.repeat(43) } }), 'AUTHENTICATION_FAILED', `${path} bad token`);
        expectEnvelope(await h.api(path, {}, { method, headers: { authorization: 'Bearer' }, user: null }), 'AUTHENTICATION_FAILED', `${path} empty bearer`);
      }
    });

    it('answers NOT_FOUND for the wrong method', async () => {
      for (const path of ALL) {
        const method = GETS.has(path) ? 'POST' : 'GET';
        expectEnvelope(await h.api(path, {}, { method }), 'NOT_FOUND', `${path} ${method}`);
      }
    });

    it('refuses malformed JSON, non-objects, wrong content types, unknown and missing members on every POST endpoint', async () => {
      for (const path of ALL.filter((p) => !GETS.has(p))) {
        expectEnvelope(await h.api(path, undefined, { raw: `{"x": "${SECRET}"` }), 'BAD_REQUEST', `${path} bad JSON`);
        expectEnvelope(await h.api(path, undefined, { raw: JSON.stringify([SECRET]) }), 'BAD_REQUEST', `${path} array`);
        expectEnvelope(await h.api(path, undefined, { raw: JSON.stringify(SECRET) }), 'BAD_REQUEST', `${path} string`);
        expectEnvelope(await h.api(path, undefined, { raw: '{}', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 'BAD_REQUEST', `${path} content type`);
        const unknown = expectEnvelope(await h.api(path, { [`zz${SECRET}`]: 1 }), 'BAD_REQUEST', `${path} unknown member`);
        expect(unknown.reason).toMatch(/unknown member|exactly one/);
        if (!NO_REQUIRED.has(path)) {
          expectEnvelope(await h.api(path, {}), 'BAD_REQUEST', `${path} empty`);
          expectEnvelope(await h.api(path, { requestId: 42, entries: 'x', publicIdentity: 7, blinded: null }), 'BAD_REQUEST', `${path} wrong types`);
        }
      }
    });

    it('refuses oversized bodies with LIMIT_EXCEEDED on every POST endpoint', async () => {
      const huge = JSON.stringify({ blob: 'A'.repeat(2.5 * 1024 * 1024) });
      for (const path of ALL.filter((p) => !GETS.has(p))) {
        const body = expectEnvelope(await h.api(path, undefined, { raw: huge }), 'LIMIT_EXCEEDED', `${path} oversized`);
        expect(body.reason).toMatch(/larger than \d+ bytes/);
      }
    });

    it('refuses ids of the wrong shape before touching the database', async () => {
      for (const [path, body] of [
        [DevicePaths.joinStatus, { requestId: "' or 1=1 --" }],
        [DevicePaths.contactsRequestStatus, { requestId: '../../etc' }],
        [DevicePaths.contactsRemove, { contactUserRecordName: 'alice' }],
        [DevicePaths.contactsAccept, { ownerUserRecordName: '_' + 'G'.repeat(32) }],
        [DevicePaths.passcodeEnrollFinish, { enrollmentId: 'x'.repeat(33), wrappedKeychainKey: 'AAAA', verifier: 'AAAA' }],
      ] as const) {
        expectEnvelope(await h.api(path, body), 'BAD_REQUEST', path);
      }
    });
  });
}
