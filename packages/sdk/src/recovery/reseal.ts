/**
 * After a keychain-key rotation: every recovery method gets a copy of the NEW keychain
 * key, sealed to the method's recovery encryption public key (kept in the keychain items).
 * No recovery secret is needed, and nothing the removed device knew opens the new copies.
 */
import { keychainRecoverySigner, sealKeychainForRecovery, type SymmetricKey } from '@coffer/crypto';
import { DevicePaths, type ContactSetRecord, type KeychainPutRequest, type RecoveryKeyRecord } from '@coffer/protocol';
import { fromBase64, toBase64 } from '../base64.js';
import type { DeviceApi } from '../devices/api.js';
import type { KeychainItems } from './items.js';

async function copyFor(publicKeyB64: string, keychainKey: SymmetricKey): Promise<string> {
  return toBase64(await sealKeychainForRecovery(fromBase64(publicKeyB64), keychainKey));
}

export async function putRecoveryKeyCopy(api: DeviceApi, keychainKey: SymmetricKey, item: NonNullable<KeychainItems['recoveryKey']>, signerPublicKey: string): Promise<void> {
  await api.post(DevicePaths.recoveryKeyPut, {
    recoveryKeyId: item.recoveryKeyId,
    salt: item.salt,
    wrappedKeychainKey: await copyFor(item.publicKey, keychainKey),
    signerPublicKey,
  } satisfies RecoveryKeyRecord);
}

export async function putContactSet(api: DeviceApi, keychainKey: SymmetricKey, item: NonNullable<KeychainItems['contacts']>, signerPublicKey: string): Promise<void> {
  await api.post(DevicePaths.contactsSetPut, {
    setId: item.setId,
    threshold: item.threshold,
    salt: item.salt,
    wrappedKeychainKey: await copyFor(item.publicKey, keychainKey),
    signerPublicKey,
    shares: item.shares,
  } satisfies ContactSetRecord);
}

/**
 * The passcode escrow's keychain copy: stored like a device's copy under a pseudo device id
 * and sealed to the passcode recovery secret's key, so a rotation re-seals it with the
 * devices' copies (`keychain/rotate`) — the escrow record itself never changes.
 */
export async function passcodeCopy(keychainKey: SymmetricKey, item: NonNullable<KeychainItems['passcode']>): Promise<{ deviceId: string; sealedKeychainKey: string }> {
  return { deviceId: item.copyId, sealedKeychainKey: await copyFor(item.publicKey, keychainKey) };
}

export async function putPasscodeCopy(api: DeviceApi, keychainKey: SymmetricKey, item: NonNullable<KeychainItems['passcode']>): Promise<void> {
  const copy = await passcodeCopy(keychainKey, item);
  await api.post(DevicePaths.keychainPut, { ...copy, keychainKeyId: keychainKey.id } satisfies KeychainPutRequest);
}

/** Re-seals `keychainKey` to the recovery key and the contact set (the passcode copy travels with keychain/rotate). */
export async function resealRecoveryCopies(api: DeviceApi, keychainKey: SymmetricKey, items: KeychainItems): Promise<void> {
  const signerPublicKey = toBase64(keychainRecoverySigner(keychainKey).signingPublicKey);
  if (items.recoveryKey !== undefined) await putRecoveryKeyCopy(api, keychainKey, items.recoveryKey, signerPublicKey);
  if (items.contacts !== undefined) await putContactSet(api, keychainKey, items.contacts, signerPublicKey);
}

