/**
 * Sealed key v1 (docs/PROTOCOL.md "Sealed key v1"): a SymmetricKey encrypted to an X25519
 * public key with HPKE (RFC 9180) base mode, suite DHKEM(X25519, HKDF-SHA256) /
 * HKDF-SHA256 / AES-256-GCM, single-shot (§6.1):
 *
 *   0x01 ‖ kind (1) ‖ key id (16) ‖ key version (u32) ‖ enc (32) ‖ ct (32 + 16)   = 102 bytes
 *   HPKE info = lp("coffer/v1/sealed-key") ‖ lp(purpose),  HPKE aad = the 22-byte header
 *
 * The purpose string (e.g. Labels.escrow, Labels.deviceKeychain) keeps a box sealed for
 * one use from opening in another; the aad binds the key's kind, id and version; HPKE's
 * KEM context binds the recipient key.
 */
import { Aes256Gcm, CipherSuite, HkdfSha256 } from '@hpke/core';
import { dhkemX25519HkdfSha256, x25519PublicKey } from '#primitives';
import { fromHex, isWellFormedString, randomBytes, toHex } from './bytes.js';
import { ByteReader, ByteWriter, framed } from './encoding.js';
import { DecryptionError, FormatError } from './errors.js';
import { KIND_CODE, kindFromCode, type KeyKind, type SymmetricKey } from './keys.js';
import { Labels } from './labels.js';

export interface X25519KeyPair {
  readonly publicKey: Uint8Array;
  /** Secret. */
  readonly privateKey: Uint8Array;
}

export interface SealedKeyHeader {
  readonly kind: KeyKind;
  readonly keyId: string;
  readonly keyVersion: number;
}

export const SEALED_KEY_V1 = 0x01;
const HEADER_LEN = 22;
const ENC_LEN = 32;
export const SEALED_KEY_LENGTH = HEADER_LEN + ENC_LEN + 32 + 16;

// The KEM comes from the primitive backend: @hpke/core's WebCrypto X25519 in Node (OpenSSL),
// noble-derived @hpke/dhkem-x25519 elsewhere. The rest of HPKE is @hpke/core on both.
const suite = new CipherSuite({ kem: dhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead: new Aes256Gcm() });

/** A fresh X25519 key pair, e.g. the server's escrow key or a browser session key. */
export function generateX25519KeyPair(): X25519KeyPair {
  const privateKey = randomBytes(32);
  return { publicKey: x25519PublicKey(privateKey), privateKey };
}

function hpkeInfo(purpose: string): Uint8Array {
  if (typeof purpose !== 'string' || purpose.length === 0 || !isWellFormedString(purpose)) {
    throw new FormatError('sealed key: purpose must be a non-empty well-formed string');
  }
  return framed(Labels.sealedKey, purpose);
}

function header(key: SymmetricKey): Uint8Array {
  return new ByteWriter(HEADER_LEN).u8(SEALED_KEY_V1).u8(KIND_CODE[key.kind]).bytes(fromHex(key.id)).u32(key.version).finish();
}

/**
 * Seals `key` to `recipientPublicKey` for `purpose` (use a Labels entry).
 * @throws {@link FormatError} on a public key that is not 32 bytes or an empty purpose.
 */
export async function sealKeyTo(recipientPublicKey: Uint8Array, key: SymmetricKey, purpose: string): Promise<Uint8Array> {
  return sealKeyToWithEphemeral(recipientPublicKey, key, purpose, undefined);
}

/**
 * Internal (vectors): with `ephemeralIkm`, the ephemeral key pair is DeriveKeyPair(ikm)
 * (RFC 9180 §7.1.3) instead of random — test use only.
 */
export async function sealKeyToWithEphemeral(
  recipientPublicKey: Uint8Array, key: SymmetricKey, purpose: string, ephemeralIkm: Uint8Array | undefined,
): Promise<Uint8Array> {
  if (recipientPublicKey.length !== 32) throw new FormatError('sealed key: recipient public key must be 32 bytes');
  const info = hpkeInfo(purpose);
  const h = header(key);
  let sealed: { ct: ArrayBuffer; enc: ArrayBuffer };
  try {
    const recipient = await suite.kem.deserializePublicKey(recipientPublicKey);
    sealed = await suite.seal({ recipientPublicKey: recipient, info, ...(ephemeralIkm ? { ekm: ephemeralIkm } : {}) }, key.bytes, h);
  } catch {
    // RFC 9180 §7.1.4: a low-order point gives an all-zero DH output, which the KEM rejects.
    throw new FormatError('sealed key: invalid recipient public key');
  }
  const { ct, enc } = sealed;
  return new ByteWriter(SEALED_KEY_LENGTH).bytes(h).bytes(new Uint8Array(enc)).bytes(new Uint8Array(ct)).finish();
}

/**
 * Reads the header of a sealed key without opening it.
 * @throws {@link FormatError} on an unknown version, a wrong length or an unknown kind.
 */
export function inspectSealedKey(sealed: Uint8Array): SealedKeyHeader {
  if (sealed.length < 1 || sealed[0] !== SEALED_KEY_V1) throw new FormatError('sealed key: unknown version');
  if (sealed.length !== SEALED_KEY_LENGTH) throw new FormatError('sealed key: wrong length');
  const r = new ByteReader(sealed, 'sealed key');
  r.u8();
  const kind = kindFromCode(r.u8());
  if (kind === undefined) throw new FormatError('sealed key: unknown key kind');
  return { kind, keyId: toHex(r.bytes(16)), keyVersion: r.u32() };
}

/**
 * Opens a sealed key with the recipient's X25519 private key.
 * @param expectedKind - if given, a key of any other kind is rejected.
 * @throws {@link DecryptionError} on an unknown version, wrong length, wrong recipient,
 *   another purpose, another expected kind, or any flipped bit.
 */
export async function openSealedKey(
  recipientPrivateKey: Uint8Array, sealed: Uint8Array, purpose: string, expectedKind?: KeyKind,
): Promise<SymmetricKey> {
  const info = hpkeInfo(purpose);
  let h: SealedKeyHeader;
  try {
    h = inspectSealedKey(sealed);
  } catch {
    throw new DecryptionError('sealed key');
  }
  if (expectedKind !== undefined && h.kind !== expectedKind) throw new DecryptionError('sealed key');
  try {
    const recipientKey = await suite.kem.deserializePrivateKey(recipientPrivateKey);
    const pt = await suite.open(
      { recipientKey, enc: sealed.subarray(HEADER_LEN, HEADER_LEN + ENC_LEN), info },
      sealed.subarray(HEADER_LEN + ENC_LEN),
      sealed.subarray(0, HEADER_LEN),
    );
    const bytes = new Uint8Array(pt);
    if (bytes.length !== 32) throw new Error('length');
    return Object.freeze({ kind: h.kind, id: h.keyId, version: h.keyVersion, bytes });
  } catch {
    throw new DecryptionError('sealed key');
  }
}
