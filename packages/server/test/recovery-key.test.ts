/**
 * recovery/1/recovery-key/*: put/get, regenerating replaces the record (the old key's
 * wrapped copy is gone), delete, validation, and per-account isolation. The record is
 * built with the real crypto core so the test shows what a device stores is what it gets.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromBase64, generateKey, generateRecoveryKey, parseRecoveryKey, recoverySigner, recoveryWrappingKey, unwrapKey, wrapKey } from '@coffer/crypto';
import type { RecoveryKeyRecord } from '@coffer/protocol';
import { testBackends } from '@coffer/storage';
import { b64, expectError, openDevicesHarness, randomB64, type DevicesHarness } from './devices-harness.js';

function recordFor(text: string, keychainKey = generateKey('keychain')): RecoveryKeyRecord {
  const rk = parseRecoveryKey(text);
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const signer = recoverySigner(rk);
  return { recoveryKeyId: signer.id, salt: b64(salt), wrappedKeychainKey: b64(wrapKey(recoveryWrappingKey(rk, salt), keychainKey)), signerPublicKey: b64(signer.signingPublicKey) };
}

for (const backend of testBackends()) {
  describe(`recovery key records (${backend.name})`, () => {
    let h: DevicesHarness;
    beforeAll(async () => {
      h = await openDevicesHarness(backend);
    });
    afterAll(async () => {
      await h.close();
    });

    it('stores the record, and regenerating replaces it so only the new key opens anything', async () => {
      expectError(await h.api('/recovery/1/recovery-key/get', {}), 'NOT_FOUND', /no recovery key/);
      const keychainKey = generateKey('keychain');
      const oldText = generateRecoveryKey();
      await h.ok('/recovery/1/recovery-key/put', recordFor(oldText, keychainKey));
      const newText = generateRecoveryKey();
      const fresh = recordFor(newText, keychainKey);
      await h.ok('/recovery/1/recovery-key/put', fresh);
      const stored = await h.ok<RecoveryKeyRecord>('/recovery/1/recovery-key/get', {});
      expect(stored).toEqual(fresh);

      const salt = fromBase64(stored.salt);
      const opened = unwrapKey(recoveryWrappingKey(parseRecoveryKey(newText), salt), fromBase64(stored.wrappedKeychainKey), 'keychain');
      expect(Buffer.from(opened.bytes)).toEqual(Buffer.from(keychainKey.bytes));
      expect(() => unwrapKey(recoveryWrappingKey(parseRecoveryKey(oldText), salt), fromBase64(stored.wrappedKeychainKey), 'keychain')).toThrow();
    });

    it('deletes, and another account never sees the record', async () => {
      const bob = await h.signUp('bob');
      expectError(await h.api('/recovery/1/recovery-key/get', {}, { user: bob }), 'NOT_FOUND');
      expectError(await h.api('/recovery/1/recovery-key/delete', {}, { user: bob }), 'NOT_FOUND');
      await h.ok('/recovery/1/recovery-key/delete', {});
      expectError(await h.api('/recovery/1/recovery-key/get', {}), 'NOT_FOUND');
    });

    it('validates every member', async () => {
      const good = recordFor(generateRecoveryKey());
      expectError(await h.api('/recovery/1/recovery-key/put', { ...good, recoveryKeyId: 'XYZ' }), 'BAD_REQUEST', /recoveryKeyId/);
      expectError(await h.api('/recovery/1/recovery-key/put', { ...good, salt: randomB64(8) }), 'BAD_REQUEST', /salt/);
      expectError(await h.api('/recovery/1/recovery-key/put', { ...good, signerPublicKey: randomB64(31) }), 'BAD_REQUEST', /signerPublicKey/);
      expectError(await h.api('/recovery/1/recovery-key/put', { ...good, wrappedKeychainKey: undefined }), 'BAD_REQUEST', /wrappedKeychainKey/);
      expectError(await h.api('/recovery/1/recovery-key/put', { ...good, recoveryKey: 'the key itself' }), 'BAD_REQUEST', /unknown member/);
      expectError(await h.api('/recovery/1/recovery-key/get', { x: 1 }), 'BAD_REQUEST', /unknown member/);
    });
  });
}
