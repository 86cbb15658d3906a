/**
 * devices/1/join/*: the approval lifecycle end to end (request → pending → approve →
 * status with the sealed keychain key, which really opens on the new device), deny,
 * expiry, decisions being final, the optional commit-reveal nonces, the pending limit,
 * and isolation: another account sees and decides nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDeviceIdentity, generateKey, openSealedKey, sealKeyTo } from '@coffer/crypto';
import type { JoinPendingResponse, JoinRequestCreated, JoinStatusResponse, KeychainCopyResponse } from '@coffer/protocol';
import { testBackends } from '@coffer/storage';
import { b64, expectError, expireRow, identityB64, openDevicesHarness, randomB64, type DevicesHarness } from './devices-harness.js';

const PURPOSE = 'coffer/v1/test/device-keychain';

for (const backend of testBackends()) {
  describe(`join by approval (${backend.name})`, () => {
    let h: DevicesHarness;
    beforeAll(async () => {
      h = await openDevicesHarness(backend);
    });
    afterAll(async () => {
      await h.close();
    });

    it('relays a request to a trusted device and the sealed keychain key back to the new device', async () => {
      const newDevice = generateDeviceIdentity('new laptop');
      const created = await h.ok<JoinRequestCreated>('/devices/1/join/request', { publicIdentity: identityB64(newDevice) });
      expect(created.requestId).toMatch(/^[0-9a-f]{32}$/);
      expect(created.expiresAt).toBeGreaterThan(Date.now() + 9 * 60_000);
      expect(await h.ok<JoinStatusResponse>('/devices/1/join/status', { requestId: created.requestId })).toEqual({ state: 'pending', expiresAt: created.expiresAt });

      const pending = await h.ok<JoinPendingResponse>('/devices/1/join/pending', undefined, { method: 'GET' });
      expect(pending.requests).toEqual([expect.objectContaining({ requestId: created.requestId, publicIdentity: identityB64(newDevice), expiresAt: created.expiresAt })]);

      const keychainKey = generateKey('keychain');
      const sealed = b64(await sealKeyTo(newDevice.hpkePublicKey, keychainKey, PURPOSE));
      await h.ok('/devices/1/join/approve', { requestId: created.requestId, sealedKeychainKey: sealed, deviceId: newDevice.id, keychainKeyId: keychainKey.id });

      const status = await h.ok<JoinStatusResponse>('/devices/1/join/status', { requestId: created.requestId });
      expect(status.state).toBe('approved');
      const opened = await openSealedKey(newDevice.hpkePrivateKey, new Uint8Array(Buffer.from(status.sealedKeychainKey!, 'base64')), PURPOSE);
      expect(Buffer.from(opened.bytes)).toEqual(Buffer.from(keychainKey.bytes));
      // Approving with deviceId also stored the new device's keychain copy.
      const copy = await h.ok<KeychainCopyResponse>('/devices/1/keychain/get', {}, { headers: { 'x-coffer-device': newDevice.id } });
      expect(copy).toEqual({ deviceId: newDevice.id, keychainKeyId: keychainKey.id, sealedKeychainKey: sealed });

      expect((await h.ok<JoinPendingResponse>('/devices/1/join/pending', undefined, { method: 'GET' })).requests).toEqual([]);
      expectError(await h.api('/devices/1/join/approve', { requestId: created.requestId, sealedKeychainKey: sealed }), 'CONFLICT', /already approved/);
      expectError(await h.api('/devices/1/join/deny', { requestId: created.requestId }), 'CONFLICT', /already approved/);
    });

    it('denies, and a denied request stays denied', async () => {
      const { requestId } = await h.ok<JoinRequestCreated>('/devices/1/join/request', { publicIdentity: identityB64(generateDeviceIdentity('x')) });
      await h.ok('/devices/1/join/deny', { requestId });
      expect((await h.ok<JoinStatusResponse>('/devices/1/join/status', { requestId })).state).toBe('denied');
      expectError(await h.api('/devices/1/join/approve', { requestId, sealedKeychainKey: randomB64(90) }), 'CONFLICT', /already denied/);
      expect((await h.ok<JoinStatusResponse>('/devices/1/join/status', { requestId })).sealedKeychainKey).toBeUndefined();
    });

    it('expires requests: no longer pending, cannot be approved', async () => {
      const { requestId } = await h.ok<JoinRequestCreated>('/devices/1/join/request', { publicIdentity: identityB64(generateDeviceIdentity('y')) });
      // Time passes: the stored expiry moves into the past (the server compares with its clock).
      await expireRow(h.store, 'device_join_requests', 'request_id', requestId);
      expect((await h.ok<JoinStatusResponse>('/devices/1/join/status', { requestId })).state).toBe('expired');
      expect((await h.ok<JoinPendingResponse>('/devices/1/join/pending', undefined, { method: 'GET' })).requests.map((r) => r.requestId)).not.toContain(requestId);
      expectError(await h.api('/devices/1/join/approve', { requestId, sealedKeychainKey: randomB64(90) }), 'CONFLICT', /already expired/);
    });

    it('relays the commit-reveal nonces, each once', async () => {
      const commitment = randomB64(32);
      const { requestId } = await h.ok<JoinRequestCreated>('/devices/1/join/request', { publicIdentity: identityB64(generateDeviceIdentity('z')), commitment });
      const approverNonce = randomB64(16);
      const deviceNonce = randomB64(16);
      await h.ok('/devices/1/join/nonce', { requestId, approverNonce });
      expectError(await h.api('/devices/1/join/nonce', { requestId, approverNonce: randomB64(16) }), 'CONFLICT', /already set/);
      expect(await h.ok<JoinStatusResponse>('/devices/1/join/status', { requestId })).toMatchObject({ commitment, approverNonce });
      await h.ok('/devices/1/join/nonce', { requestId, deviceNonce });
      const listed = (await h.ok<JoinPendingResponse>('/devices/1/join/pending', undefined, { method: 'GET' })).requests.find((r) => r.requestId === requestId);
      expect(listed).toMatchObject({ commitment, approverNonce, deviceNonce });
      expectError(await h.api('/devices/1/join/nonce', { requestId, approverNonce, deviceNonce }), 'BAD_REQUEST', /exactly one/);
      expectError(await h.api('/devices/1/join/nonce', { requestId }), 'BAD_REQUEST', /exactly one/);
      expectError(await h.api('/devices/1/join/nonce', { requestId, deviceNonce: randomB64(65) }), 'BAD_REQUEST', /deviceNonce/);
    });

    it('limits pending requests per account', async () => {
      const bob = await h.signUp('bob');
      for (let i = 0; i < 20; i++) await h.ok('/devices/1/join/request', { publicIdentity: randomB64(100) }, { user: bob });
      const refused = await h.api('/devices/1/join/request', { publicIdentity: randomB64(100) }, { user: bob });
      expectError(refused, 'THROTTLED', /20 pending/);
      expect(refused.headers['retry-after']).toBe('600');
    });

    it('never shows or decides another account\'s requests', async () => {
      const mallory = await h.signUp('mallory');
      const { requestId } = await h.ok<JoinRequestCreated>('/devices/1/join/request', { publicIdentity: identityB64(generateDeviceIdentity('victim')) });
      expect((await h.ok<JoinPendingResponse>('/devices/1/join/pending', undefined, { method: 'GET', user: mallory })).requests).toEqual([]);
      expectError(await h.api('/devices/1/join/status', { requestId }, { user: mallory }), 'NOT_FOUND');
      expectError(await h.api('/devices/1/join/approve', { requestId, sealedKeychainKey: randomB64(90) }, { user: mallory }), 'NOT_FOUND');
      expectError(await h.api('/devices/1/join/deny', { requestId }, { user: mallory }), 'NOT_FOUND');
      expectError(await h.api('/devices/1/join/nonce', { requestId, approverNonce: randomB64(16) }, { user: mallory }), 'NOT_FOUND');
      expect((await h.ok<JoinStatusResponse>('/devices/1/join/status', { requestId })).state).toBe('pending');
    });

    it('refuses malformed requests', async () => {
      expectError(await h.api('/devices/1/join/request', {}), 'BAD_REQUEST', /publicIdentity/);
      expectError(await h.api('/devices/1/join/request', { publicIdentity: '' }), 'BAD_REQUEST', /publicIdentity/);
      expectError(await h.api('/devices/1/join/request', { publicIdentity: randomB64(4097) }), 'BAD_REQUEST', /publicIdentity/);
      expectError(await h.api('/devices/1/join/status', { requestId: 'nope' }), 'BAD_REQUEST', /requestId/);
      expectError(await h.api('/devices/1/join/status', { requestId: 'a'.repeat(32) }), 'NOT_FOUND');
      const { requestId } = await h.ok<JoinRequestCreated>('/devices/1/join/request', { publicIdentity: randomB64(100) });
      expectError(await h.api('/devices/1/join/approve', { requestId }), 'BAD_REQUEST', /sealedKeychainKey/);
      expectError(await h.api('/devices/1/join/approve', { requestId, sealedKeychainKey: randomB64(90), deviceId: 'a'.repeat(32) }), 'BAD_REQUEST', /together/);
      expectError(await h.api('/devices/1/join/approve', { requestId, sealedKeychainKey: randomB64(90), deviceId: 'XYZ', keychainKeyId: 'k' }), 'BAD_REQUEST', /deviceId/);
    });
  });
}
