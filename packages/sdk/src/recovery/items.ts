/**
 * The keychain items: the account keychain's secrets and settings other than keys —
 * here the public parameters of each recovery method, which a trusted device needs to
 * re-seal a rotated keychain key to them without knowing any recovery secret. Stored on
 * the server only as a "Keychain items box v1" under the keychain key (compare-and-swap
 * on `version`), so the server can neither read nor forge them. Unknown top-level fields
 * are kept as they are, for other features that store their items here.
 */
import { openKeychainItems, sealKeychainItems, utf8Decode, utf8Encode, type SymmetricKey } from '@coffer/crypto';
import { DevicePaths, type ContactShareWire, type KeychainItemsPutRequest, type KeychainItemsResponse } from '@coffer/protocol';
import { fromBase64, toBase64 } from '../base64.js';
import type { DeviceApi } from '../devices/api.js';
import { DeviceError } from '../devices/errors.js';

export interface RecoveryKeyItem {
  recoveryKeyId: string;
  /** base64 HKDF salt of the recovery encryption key. */
  salt: string;
  /** base64 X25519 public key the keychain key is sealed to. */
  publicKey: string;
}

export interface ContactSetItem {
  setId: string;
  threshold: number;
  salt: string;
  publicKey: string;
  /** The share boxes (sealed to the contacts' devices), to put the set again after a rotation. */
  shares: ContactShareWire[];
}

export interface PasscodeItem {
  /** base64 X25519 public key of the passcode recovery secret R (the keychain copy is sealed to it). */
  publicKey: string;
  /** The pseudo device id the copy is stored under (crypto `recoveryCopyId`). */
  copyId: string;
}

export interface KeychainItems {
  version: 1;
  recoveryKey?: RecoveryKeyItem;
  contacts?: ContactSetItem;
  passcode?: PasscodeItem;
  [other: string]: unknown;
}

export interface LoadedItems {
  items: KeychainItems;
  /** Server CAS version (0 when nothing is stored). */
  version: number;
}

export async function loadItems(api: DeviceApi, keychainKey: SymmetricKey): Promise<LoadedItems> {
  const r = await api.post<KeychainItemsResponse>(DevicePaths.keychainItemsGet, {});
  if (r.version === 0 || r.blob === undefined) return { items: { version: 1 }, version: 0 };
  if (r.keychainKeyId !== keychainKey.id) {
    throw new DeviceError('SERVER_MISBEHAVED', `the keychain items are sealed under keychain key ${String(r.keychainKeyId)}, not the current ${keychainKey.id}`);
  }
  let items: KeychainItems;
  try {
    items = JSON.parse(utf8Decode(openKeychainItems(keychainKey, fromBase64(r.blob)))) as KeychainItems;
  } catch (error) {
    throw new DeviceError('SERVER_MISBEHAVED', 'the keychain items do not open under the keychain key (altered?)', error);
  }
  if (items.version !== 1) throw new DeviceError('SERVER_MISBEHAVED', 'the keychain items have an unknown version');
  return { items, version: r.version };
}

export async function saveItems(api: DeviceApi, keychainKey: SymmetricKey, items: KeychainItems, expectedVersion: number): Promise<number> {
  const blob = toBase64(sealKeychainItems(keychainKey, utf8Encode(JSON.stringify(items))));
  const r = await api.post<{ version: number }>(DevicePaths.keychainItemsPut, { expectedVersion, keychainKeyId: keychainKey.id, blob } satisfies KeychainItemsPutRequest);
  return r.version;
}

/** Load, change, save — retried on a CAS race. */
export async function updateItems(api: DeviceApi, keychainKey: SymmetricKey, change: (items: KeychainItems) => void): Promise<KeychainItems> {
  for (let attempt = 0; ; attempt++) {
    const loaded = await loadItems(api, keychainKey);
    change(loaded.items);
    try {
      await saveItems(api, keychainKey, loaded.items, loaded.version);
      return loaded.items;
    } catch (error) {
      if (attempt >= 3 || (error as { serverErrorCode?: string }).serverErrorCode !== 'CONFLICT') throw error;
    }
  }
}
