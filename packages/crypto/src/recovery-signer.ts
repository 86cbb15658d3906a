/**
 * Recovery material and the keychain items box (docs/PROTOCOL.md "Devices and recovery
 * formats"): what every recovery method — the recovery key, recovery contacts, passcode
 * escrow — derives from its secret, and the formats that carry it.
 *
 * - **Keychain recovery signer**: an Ed25519 key derived from the keychain key (per key id
 *   and version) and registered in the device log with recovery-key-set. Whoever holds
 *   the keychain key — a trusted device, or a new device that recovered it through any
 *   recovery method — can sign an add-device entry with it (and nothing else: the log
 *   allows the recovery signer only to add devices). Rotating the keychain key (device
 *   removal) replaces the signer in the same append, so a removed device's old signer is
 *   dead. Like Apple's Octagon recovery peer, without a second secret to keep in sync.
 * - **Recovery encryption key** (X25519) per recovery method: the keychain key is
 *   HPKE-sealed to its public half ("Recovery keychain copy"). Sealing needs only the
 *   public key, so after a rotation a trusted device re-seals the new keychain key to every
 *   recovery method without knowing any recovery secret; the public keys travel inside the
 *   keychain items box, which only keychain-key holders can read or forge.
 * - Recovery contacts: a 32-byte secret split k-of-n with Shamir's scheme (the audited
 *   `shamir-secret-sharing`, GF(2^8)); each share ("Recovery share v1") is HPKE-sealed to a
 *   contact's device ("Recovery share box v1", purpose "hold"); the contact's device opens
 *   it and re-seals it to the recovering device (purpose "release") only after the code
 *   exchange of join-code.ts succeeds.
 */
import { Aes256Gcm, CipherSuite, HkdfSha256 } from '@hpke/core';
import { combine, split } from 'shamir-secret-sharing';
import { aes256gcmOpen, aes256gcmSeal, dhkemX25519HkdfSha256, ed25519PublicKey, hkdfSha256, sha256, x25519PublicKey } from '#primitives';
import { fromHex, randomBytes, toHex, utf8Encode } from './bytes.js';
import { ByteReader, ByteWriter, framed } from './encoding.js';
import { DecryptionError, FormatError } from './errors.js';
import { openSealedKey, sealKeyTo, type X25519KeyPair } from './hpke.js';
import type { SymmetricKey } from './keys.js';
import { Labels } from './labels.js';
import { parseRecoveryKey, recoveryKeyIdOf, type RecoveryKey, type RecoverySigner } from './recovery.js';

/**
 * Labels of the recovery formats, kept here like AssetLabels (asset-keys.ts); same rule
 * as labels.ts: a label never changes meaning.
 */
export const RecoveryLabels = {
  /** HKDF info prefix: keychain key → Ed25519 seed of the keychain recovery signer. */
  keychainSigner: 'coffer/v1/keychain/recovery-signer',
  /** HKDF info: recovery key symbols (salt = the record's salt) → X25519 private key. */
  recoveryKeyEncryptionKey: 'coffer/v1/recovery/encryption-key',
  /** HKDF info prefix: contacts/passcode recovery secret → X25519 private key (then lp(method)). */
  secretEncryptionKey: 'coffer/v1/recovery-secret/encryption-key',
  /** Sealed-key purpose: the keychain key sealed to a recovery encryption key. */
  keychainCopy: 'coffer/v1/recovery/keychain',
  /** Hash input prefix: the pseudo device id under which a recovery method's keychain copy is stored. */
  copyId: 'coffer/v1/recovery/copy-id',
  /** HKDF info and AD prefix of the keychain items box. */
  keychainItems: 'coffer/v1/keychain/items',
  /** HPKE info purpose of a share box held by a contact's device. */
  shareHold: 'hold',
  /** HPKE info purpose of a share box released to a recovering device. */
  shareRelease: 'release',
} as const;

/** Recovery methods that hold a recovery secret of 32 bytes. */
export type RecoverySecretMethod = 'contacts' | 'passcode';

export const RECOVERY_SECRET_LENGTH = 32;

/** A fresh 32-byte recovery secret (recovery contacts). */
export function generateRecoverySecret(): Uint8Array {
  return randomBytes(RECOVERY_SECRET_LENGTH);
}

function keyInfo(label: string, key: SymmetricKey): Uint8Array {
  return new ByteWriter(80).bytes(framed(label)).bytes(fromHex(key.id)).u32(key.version).finish();
}

/**
 * The keychain recovery signer: Ed25519 seed = HKDF(keychain key, ∅,
 * lp("coffer/v1/keychain/recovery-signer") ‖ key id (16) ‖ u32 version); id = recoveryKeyIdOf(pk).
 * @throws {@link FormatError} for a key that is not a keychain key.
 */
export function keychainRecoverySigner(keychainKey: SymmetricKey): RecoverySigner {
  if (keychainKey.kind !== 'keychain') throw new FormatError('keychain recovery signer: only from a keychain key');
  const seed = hkdfSha256(keychainKey.bytes, new Uint8Array(0), keyInfo(RecoveryLabels.keychainSigner, keychainKey), 32);
  const signingPublicKey = ed25519PublicKey(seed);
  return Object.freeze({ id: recoveryKeyIdOf(signingPublicKey), signingPublicKey, signingPrivateKey: seed });
}

function x25519FromSeed(privateKey: Uint8Array): X25519KeyPair {
  return Object.freeze({ publicKey: x25519PublicKey(privateKey), privateKey });
}

/**
 * A recovery key's encryption key pair: X25519 private key = HKDF(ikm = the 28 canonical
 * symbols, salt, info = "coffer/v1/recovery/encryption-key").
 * @throws {@link RecoveryKeyError} on a malformed key; {@link FormatError} on a salt under 16 bytes.
 */
export function recoveryKeyEncryptionKey(rk: RecoveryKey, salt: Uint8Array): X25519KeyPair {
  if (salt.length < 16) throw new FormatError('recovery encryption key: salt must be at least 16 bytes');
  const symbols = utf8Encode(parseRecoveryKey(rk.text).text.replaceAll('-', ''));
  return x25519FromSeed(hkdfSha256(symbols, salt, utf8Encode(RecoveryLabels.recoveryKeyEncryptionKey), 32));
}

/**
 * A contacts/passcode recovery secret's encryption key pair: X25519 private key =
 * HKDF(secret, ∅, lp("coffer/v1/recovery-secret/encryption-key") ‖ lp(method)).
 * @throws {@link FormatError} if the secret is not 32 bytes or the method unknown.
 */
export function recoverySecretEncryptionKey(secret: Uint8Array, method: RecoverySecretMethod): X25519KeyPair {
  if (secret.length !== RECOVERY_SECRET_LENGTH) throw new FormatError('recovery secret: must be 32 bytes');
  if (method !== 'contacts' && method !== 'passcode') throw new FormatError('recovery secret: unknown method');
  return x25519FromSeed(hkdfSha256(secret, new Uint8Array(0), framed(RecoveryLabels.secretEncryptionKey, method), 32));
}

/**
 * "Recovery keychain copy": the keychain key as a Sealed key v1 to a recovery encryption
 * public key, purpose "coffer/v1/recovery/keychain" (102 bytes).
 */
export async function sealKeychainForRecovery(encryptionPublicKey: Uint8Array, keychainKey: SymmetricKey): Promise<Uint8Array> {
  if (keychainKey.kind !== 'keychain') throw new FormatError('recovery keychain copy: only a keychain key');
  return await sealKeyTo(encryptionPublicKey, keychainKey, RecoveryLabels.keychainCopy);
}

/**
 * The id (32 hex, like a device id) under which a keychain copy sealed to a recovery
 * encryption key is stored with the devices' copies: hex(SHA-256(lp(label) ‖ lp(pk))[0..16]).
 */
export function recoveryCopyId(encryptionPublicKey: Uint8Array): string {
  return toHex(sha256(framed(RecoveryLabels.copyId, encryptionPublicKey)).subarray(0, 16));
}

/**
 * Opens a recovery keychain copy.
 * @throws {@link DecryptionError} on another recovery secret, another purpose or tampering.
 */
export function openRecoveryKeychain(encryptionPrivateKey: Uint8Array, sealed: Uint8Array): Promise<SymmetricKey> {
  return openSealedKey(encryptionPrivateKey, sealed, RecoveryLabels.keychainCopy, 'keychain');
}

// ── Keychain items box v1 ──────────────────────────────────────────────────────
// 0x01 ‖ nonce (12) ‖ AES-256-GCM(items)
// key = HKDF(keychain key, ∅, lp("coffer/v1/keychain/items") ‖ key id ‖ u32 version, 32),
// AD  = lp("coffer/v1/keychain/items") ‖ key id (16) ‖ u32 version.

export const KEYCHAIN_ITEMS_V1 = 0x01;

/** Encrypts the account's keychain items (any bytes; the SDK puts JSON) under the keychain key. */
export function sealKeychainItems(keychainKey: SymmetricKey, items: Uint8Array, nonce: Uint8Array = randomBytes(12)): Uint8Array {
  if (keychainKey.kind !== 'keychain') throw new FormatError('keychain items: only under a keychain key');
  if (nonce.length !== 12) throw new FormatError('keychain items: nonce must be 12 bytes');
  const info = keyInfo(RecoveryLabels.keychainItems, keychainKey);
  const key = hkdfSha256(keychainKey.bytes, new Uint8Array(0), info, 32);
  const sealed = aes256gcmSeal(key, nonce, items, info);
  return new ByteWriter(13 + sealed.length).u8(KEYCHAIN_ITEMS_V1).bytes(nonce).bytes(sealed).finish();
}

/**
 * Opens a keychain items box.
 * @throws {@link DecryptionError} on another keychain key (or version), tampering or an unknown version.
 */
export function openKeychainItems(keychainKey: SymmetricKey, box: Uint8Array): Uint8Array {
  if (keychainKey.kind !== 'keychain' || box.length < 1 + 12 + 16 || box[0] !== KEYCHAIN_ITEMS_V1) throw new DecryptionError('keychain items');
  const info = keyInfo(RecoveryLabels.keychainItems, keychainKey);
  const key = hkdfSha256(keychainKey.bytes, new Uint8Array(0), info, 32);
  try {
    return aes256gcmOpen(key, box.subarray(1, 13), box.subarray(13), info);
  } catch {
    throw new DecryptionError('keychain items');
  }
}

// ── Recovery share v1 ──────────────────────────────────────────────────────────
// 0x01 ‖ setId (16) ‖ threshold (1) ‖ total (1) ‖ index (1) ‖ lp(share bytes)
// threshold = 1: the share bytes are the secret itself; otherwise a shamir-secret-sharing
// share (secret length + 1 bytes, its last byte the x coordinate).

export const RECOVERY_SHARE_V1 = 0x01;

export interface RecoveryShare {
  /** Random id of the split (16 bytes): shares of different splits never combine. */
  readonly setId: Uint8Array;
  readonly threshold: number;
  readonly total: number;
  /** 0-based position in the split. */
  readonly index: number;
  /** Secret. */
  readonly bytes: Uint8Array;
}

export function encodeRecoveryShare(share: RecoveryShare): Uint8Array {
  if (share.setId.length !== 16) throw new FormatError('recovery share: set id must be 16 bytes');
  checkSplit(share.total, share.threshold);
  if (!Number.isInteger(share.index) || share.index < 0 || share.index >= share.total) throw new FormatError('recovery share: index out of range');
  return new ByteWriter(64).u8(RECOVERY_SHARE_V1).bytes(share.setId).u8(share.threshold).u8(share.total).u8(share.index).lp(share.bytes).finish();
}

export function decodeRecoveryShare(bytes: Uint8Array): RecoveryShare {
  const r = new ByteReader(bytes, 'recovery share');
  if (r.u8() !== RECOVERY_SHARE_V1) throw new FormatError('recovery share: unknown version');
  const setId = r.bytes(16);
  const threshold = r.u8();
  const total = r.u8();
  const index = r.u8();
  const shareBytes = r.lp();
  r.end();
  checkSplit(total, threshold);
  if (index >= total) throw new FormatError('recovery share: index out of range');
  return Object.freeze({ setId, threshold, total, index, bytes: shareBytes });
}

function checkSplit(total: number, threshold: number): void {
  if (!Number.isInteger(total) || !Number.isInteger(threshold) || threshold < 1 || total < threshold || total > 255) {
    throw new FormatError('recovery share: need 1 ≤ threshold ≤ total ≤ 255');
  }
}

/**
 * Splits a recovery secret into `total` shares, any `threshold` of which rebuild it.
 * @throws {@link FormatError} unless 1 ≤ threshold ≤ total ≤ 255.
 */
export async function splitRecoverySecret(secret: Uint8Array, total: number, threshold: number): Promise<RecoveryShare[]> {
  checkSplit(total, threshold);
  if (secret.length !== RECOVERY_SECRET_LENGTH) throw new FormatError('recovery secret: must be 32 bytes');
  const setId = randomBytes(16);
  let parts: Uint8Array[];
  if (threshold === 1) parts = Array.from({ length: total }, () => secret.slice());
  else if (total === 1) throw new FormatError('recovery share: need 1 ≤ threshold ≤ total ≤ 255');
  else parts = await split(secret, total, threshold);
  return parts.map((bytes, index) => Object.freeze({ setId, threshold, total, index, bytes }));
}

/**
 * Rebuilds a recovery secret from at least `threshold` shares of one split.
 * @throws {@link FormatError} on too few shares, shares of different splits, duplicates, or a wrong result length.
 */
export async function combineRecoveryShares(shares: readonly RecoveryShare[]): Promise<Uint8Array> {
  const first = shares[0];
  if (first === undefined) throw new FormatError('recovery shares: none given');
  const unique = new Map<number, RecoveryShare>();
  for (const s of shares) {
    if (s.threshold !== first.threshold || s.total !== first.total || !sameBytes(s.setId, first.setId)) {
      throw new FormatError('recovery shares: from different splits');
    }
    unique.set(s.index, s);
  }
  if (unique.size < first.threshold) throw new FormatError(`recovery shares: ${first.threshold} needed, ${unique.size} given`);
  const chosen = [...unique.values()].slice(0, first.threshold);
  let secret: Uint8Array;
  if (first.threshold === 1) secret = chosen[0]!.bytes.slice();
  else {
    try {
      secret = await combine(chosen.map((s) => s.bytes));
    } catch {
      throw new FormatError('recovery shares: malformed');
    }
  }
  if (secret.length !== RECOVERY_SECRET_LENGTH) throw new FormatError('recovery shares: malformed');
  return secret;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

// ── Recovery share box v1 ──────────────────────────────────────────────────────
// 0x01 ‖ enc (32) ‖ HPKE ciphertext (encoded share + 16)
// HPKE base mode, same suite as Sealed key v1; info = lp("coffer/v1/reserved/recovery-contact") ‖ lp(purpose),
// aad = lp(context) where context names the owner, the contact and (release) the request and new device.

export const RECOVERY_SHARE_BOX_V1 = 0x01;
const suite = new CipherSuite({ kem: dhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead: new Aes256Gcm() });

export type ShareBoxPurpose = typeof RecoveryLabels.shareHold | typeof RecoveryLabels.shareRelease;

/** The associated data of a share box: who it belongs to and where it may be opened. */
export function shareBoxContext(purpose: ShareBoxPurpose, parts: readonly string[]): Uint8Array {
  return framed(Labels.recoveryContact, purpose, ...parts);
}

/**
 * Seals an encoded recovery share to an X25519 public key (a contact's device, or the recovering device).
 * @param context - {@link shareBoxContext}; the opener must give the same.
 */
export async function sealRecoveryShare(
  recipientPublicKey: Uint8Array, share: RecoveryShare, purpose: ShareBoxPurpose, context: Uint8Array, ephemeralIkm?: Uint8Array,
): Promise<Uint8Array> {
  if (recipientPublicKey.length !== 32) throw new FormatError('recovery share box: recipient public key must be 32 bytes');
  let recipient: CryptoKey;
  try {
    recipient = await suite.kem.deserializePublicKey(recipientPublicKey);
  } catch {
    throw new FormatError('recovery share box: invalid recipient public key');
  }
  const info = framed(Labels.recoveryContact, purpose);
  const { ct, enc } = await suite.seal(
    { recipientPublicKey: recipient, info, ...(ephemeralIkm ? { ekm: ephemeralIkm } : {}) },
    encodeRecoveryShare(share),
    context,
  );
  return new ByteWriter(200).u8(RECOVERY_SHARE_BOX_V1).bytes(new Uint8Array(enc)).bytes(new Uint8Array(ct)).finish();
}

/**
 * Opens a share box.
 * @throws {@link DecryptionError} on a wrong recipient, purpose or context, tampering, or a malformed share inside.
 */
export async function openRecoveryShare(
  recipientPrivateKey: Uint8Array, box: Uint8Array, purpose: ShareBoxPurpose, context: Uint8Array,
): Promise<RecoveryShare> {
  try {
    if (box.length < 1 + 32 + 16 || box[0] !== RECOVERY_SHARE_BOX_V1) throw new Error('format');
    const recipientKey = await suite.kem.deserializePrivateKey(recipientPrivateKey);
    const pt = await suite.open(
      { recipientKey, enc: box.subarray(1, 33), info: framed(Labels.recoveryContact, purpose) },
      box.subarray(33),
      context,
    );
    return decodeRecoveryShare(new Uint8Array(pt));
  } catch {
    throw new DecryptionError('recovery share box');
  }
}
