/**
 * devices/1/keychain/*: per-device copies of the keychain key — each device gets only its
 * own copy (named by X-Coffer-Device, within the caller's account), rotation replaces all
 * copies at once — and the keychain items blob with compare-and-swap.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KeychainCopyResponse, KeychainItemsPutResponse, KeychainItemsResponse } from '@coffer/protocol';
import { testBackends } from '@coffer/storage';
import { expectError, openDevicesHarness, randomB64, type DevicesHarness } from './devices-harness.js';

const PHONE = '1'.repeat(32);
const LAPTOP = '2'.repeat(32);
const TABLET = '3'.repeat(32);

for (const backend of testBackends()) {
  describe(`keychain copies and items (${backend.name})`, () => {
    let h: DevicesHarness;
    const get = (deviceId: string, user = h.alice) => h.api('/devices/1/keychain/get', {}, { user, headers: { 'x-coffer-device': deviceId } });
    beforeAll(async () => {
      h = await openDevicesHarness(backend);
    });
    afterAll(async () => {
      await h.close();
    });

    it('stores one copy per device and gives each device only its own', async () => {
      const phoneCopy = randomB64(120);
      const laptopCopy = randomB64(120);
      await h.ok('/devices/1/keychain/put', { deviceId: PHONE, keychainKeyId: 'kc-1', sealedKeychainKey: phoneCopy });
      await h.ok('/devices/1/keychain/put', { deviceId: LAPTOP, keychainKeyId: 'kc-1', sealedKeychainKey: laptopCopy });
      expect((await get(PHONE)).json<KeychainCopyResponse>()).toEqual({ deviceId: PHONE, keychainKeyId: 'kc-1', sealedKeychainKey: phoneCopy });
      expect((await get(LAPTOP)).json<KeychainCopyResponse>().sealedKeychainKey).toBe(laptopCopy);
      expectError(await get(TABLET), 'NOT_FOUND', /no keychain key is stored for this device/);
      // Re-putting replaces that device's copy only.
      const newer = randomB64(120);
      await h.ok('/devices/1/keychain/put', { deviceId: PHONE, keychainKeyId: 'kc-1', sealedKeychainKey: newer });
      expect((await get(PHONE)).json<KeychainCopyResponse>().sealedKeychainKey).toBe(newer);
      expect((await get(LAPTOP)).json<KeychainCopyResponse>().sealedKeychainKey).toBe(laptopCopy);
    });

    it('replaces every copy on rotation: a device left out loses its copy', async () => {
      const phone2 = randomB64(120);
      const tablet2 = randomB64(120);
      await h.ok('/devices/1/keychain/rotate', { keychainKeyId: 'kc-2', copies: [{ deviceId: PHONE, sealedKeychainKey: phone2 }, { deviceId: TABLET, sealedKeychainKey: tablet2 }] });
      expect((await get(PHONE)).json<KeychainCopyResponse>()).toEqual({ deviceId: PHONE, keychainKeyId: 'kc-2', sealedKeychainKey: phone2 });
      expect((await get(TABLET)).json<KeychainCopyResponse>().keychainKeyId).toBe('kc-2');
      expectError(await get(LAPTOP), 'NOT_FOUND');
      expectError(await h.api('/devices/1/keychain/rotate', { keychainKeyId: 'kc-3', copies: [] }), 'BAD_REQUEST', /copies/);
      expectError(await h.api('/devices/1/keychain/rotate', { keychainKeyId: 'kc-3', copies: [{ deviceId: PHONE, sealedKeychainKey: phone2 }, { deviceId: PHONE, sealedKeychainKey: phone2 }] }), 'BAD_REQUEST', /must not repeat/);
      expectError(await h.api('/devices/1/keychain/rotate', { keychainKeyId: 'kc-3', copies: [{ deviceId: PHONE }] }), 'BAD_REQUEST', /sealedKeychainKey/);
      expectError(await h.api('/devices/1/keychain/rotate', { keychainKeyId: 'kc-3', copies: ['x'] }), 'BAD_REQUEST', /copies\[0\] must be an object/);
      expect((await get(PHONE)).json<KeychainCopyResponse>().keychainKeyId).toBe('kc-2');
    });

    it('never hands one account\'s copy to another account, even for the same device id', async () => {
      const mallory = await h.signUp('mallory');
      expectError(await get(PHONE, mallory), 'NOT_FOUND');
      await h.ok('/devices/1/keychain/put', { deviceId: PHONE, keychainKeyId: 'm', sealedKeychainKey: randomB64(50) }, { user: mallory });
      expect((await get(PHONE)).json<KeychainCopyResponse>().keychainKeyId).toBe('kc-2');
    });

    it('needs the device header and well-formed bodies', async () => {
      expectError(await h.api('/devices/1/keychain/get', {}), 'BAD_REQUEST', /x-coffer-device/);
      expectError(await get('not-a-device'), 'BAD_REQUEST', /x-coffer-device/);
      expectError(await h.api('/devices/1/keychain/get', { deviceId: PHONE }, { headers: { 'x-coffer-device': PHONE } }), 'BAD_REQUEST', /unknown member/);
      expectError(await h.api('/devices/1/keychain/put', { deviceId: PHONE, keychainKeyId: 'k' }), 'BAD_REQUEST', /sealedKeychainKey/);
      expectError(await h.api('/devices/1/keychain/put', { deviceId: 'A'.repeat(32), keychainKeyId: 'k', sealedKeychainKey: randomB64(10) }), 'BAD_REQUEST', /deviceId/);
      expectError(await h.api('/devices/1/keychain/put', { deviceId: PHONE, keychainKeyId: 'has space', sealedKeychainKey: randomB64(10) }), 'BAD_REQUEST', /keychainKeyId/);
      expectError(await h.api('/devices/1/keychain/put', { deviceId: PHONE, keychainKeyId: 'k', sealedKeychainKey: randomB64(5000) }), 'BAD_REQUEST', /sealedKeychainKey/);
    });

    it('keeps the items blob with compare-and-swap', async () => {
      expect(await h.ok<KeychainItemsResponse>('/devices/1/keychain/items/get', {})).toEqual({ version: 0 });
      const first = randomB64(300);
      expect(await h.ok<KeychainItemsPutResponse>('/devices/1/keychain/items/put', { expectedVersion: 0, keychainKeyId: 'kc-2', blob: first })).toEqual({ version: 1 });
      expectError(await h.api('/devices/1/keychain/items/put', { expectedVersion: 0, keychainKeyId: 'kc-2', blob: randomB64(10) }), 'CONFLICT', /not at version 0/);
      const second = randomB64(300);
      expect(await h.ok<KeychainItemsPutResponse>('/devices/1/keychain/items/put', { expectedVersion: 1, keychainKeyId: 'kc-2', blob: second })).toEqual({ version: 2 });
      expectError(await h.api('/devices/1/keychain/items/put', { expectedVersion: 1, keychainKeyId: 'kc-2', blob: randomB64(10) }), 'CONFLICT');
      expect(await h.ok<KeychainItemsResponse>('/devices/1/keychain/items/get', {})).toEqual({ version: 2, keychainKeyId: 'kc-2', blob: second });
      const other = await h.signUp('other');
      expect(await h.ok<KeychainItemsResponse>('/devices/1/keychain/items/get', {}, { user: other })).toEqual({ version: 0 });
      expectError(await h.api('/devices/1/keychain/items/put', { expectedVersion: -1, keychainKeyId: 'k', blob: randomB64(10) }), 'BAD_REQUEST', /expectedVersion/);
    });
  });
}
