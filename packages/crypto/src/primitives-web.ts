/**
 * Primitive backend for browsers and other non-Node runtimes: @noble/ciphers,
 * @noble/hashes and @noble/curves (audited, pure JS, synchronous), and @hpke/dhkem-x25519
 * (noble-derived; WebCrypto X25519 is missing from older browsers). Selected by the
 * `default` condition of the `#primitives` import map in package.json. Must stay
 * byte-for-byte equivalent to primitives-node.ts (test/primitives.test.ts and
 * test/curves.test.ts run both against the same vectors and each other).
 */
import { gcm } from '@noble/ciphers/aes.js';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { DhkemX25519HkdfSha256 } from '@hpke/dhkem-x25519';
import type { KemInterface } from '@hpke/core';
import { isStrictEd25519PublicKey, isTorsionFreeEd25519Point } from './ed25519-strict.js';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { hmac } from '@noble/hashes/hmac.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { DecryptionError } from './errors.js';

/** Which backend `#primitives` resolved to; tests assert it. */
export const primitivesBackend = 'web' as 'node' | 'web';

const TAG = 16;

function check(key: Uint8Array, nonce: Uint8Array): void {
  if (key.length !== 32) throw new RangeError('aes-256-gcm: key must be 32 bytes');
  if (nonce.length !== 12) throw new RangeError('aes-256-gcm: nonce must be 12 bytes');
}

/** AES-256-GCM (NIST SP 800-38D): returns ciphertext ‖ 16-byte tag. */
export function aes256gcmSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, ad: Uint8Array): Uint8Array {
  check(key, nonce);
  return gcm(key, nonce, ad).encrypt(plaintext);
}

/** AES-256-GCM encryption writing ciphertext ‖ tag (plaintext.length + 16 bytes) into `out` at `offset`. */
export function aes256gcmSealInto(
  key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, ad: Uint8Array, out: Uint8Array, offset: number,
): void {
  check(key, nonce);
  out.set(gcm(key, nonce, ad).encrypt(plaintext), offset);
}

/**
 * AES-256-GCM encryption returning the sealed form as parts whose concatenation is
 * ciphertext ‖ tag (one part here; the node backend avoids a copy with two).
 */
export function aes256gcmSealParts(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, ad: Uint8Array): Uint8Array[] {
  return [aes256gcmSeal(key, nonce, plaintext, ad)];
}

/**
 * Opens ciphertext ‖ tag.
 * @throws {@link DecryptionError} if the tag does not verify or the input is shorter than a tag.
 */
export function aes256gcmOpen(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, ad: Uint8Array): Uint8Array {
  check(key, nonce);
  if (sealed.length < TAG) throw new DecryptionError('aes-256-gcm');
  try {
    // noble verifies the tag before decrypting and returns nothing on failure.
    return gcm(key, nonce, ad).decrypt(sealed);
  } catch {
    throw new DecryptionError('aes-256-gcm');
  }
}

/**
 * Opens ciphertext ‖ tag into `out` at `offset`; writes nothing unless the tag verifies.
 * @throws {@link DecryptionError} if the tag does not verify.
 */
export function aes256gcmOpenInto(
  key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, ad: Uint8Array, out: Uint8Array, offset: number,
): void {
  out.set(aes256gcmOpen(key, nonce, sealed, ad), offset);
}

/** SHA-256 (FIPS 180-4). */
export function sha256(data: Uint8Array): Uint8Array {
  return nobleSha256(data);
}

/** HMAC-SHA-256 (RFC 2104). */
export function hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
  return hmac(nobleSha256, key, data);
}

/** HKDF-SHA-256 (RFC 5869), extract-then-expand; `length` ≤ 255·32. */
export function hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  return hkdf(nobleSha256, ikm, salt, info, length);
}

// ── Curves ───────────────────────────────────────────────────────────────────────

function checkSecret(secret: Uint8Array, what: string): void {
  if (secret.length !== 32) throw new RangeError(`${what}: private key must be 32 bytes`);
}

/** Ed25519 (RFC 8032 §5.1.5) public key of a 32-byte secret seed. */
export function ed25519PublicKey(seed: Uint8Array): Uint8Array {
  checkSecret(seed, 'ed25519');
  return ed25519.getPublicKey(seed);
}

/** Ed25519 signature (RFC 8032 §5.1.6, deterministic): 64 bytes R ‖ S. */
export function ed25519Sign(seed: Uint8Array, message: Uint8Array): Uint8Array {
  checkSecret(seed, 'ed25519');
  return ed25519.sign(message, seed);
}

/**
 * Ed25519 verification under Coffer's strict rule (ed25519-strict.ts): A must have prime
 * order; noble's strict mode checks canonical encodings, S < ℓ and the cofactored
 * equation, which with R torsion-free is the cofactorless one OpenSSL checks. False —
 * never a throw — on any malformed key or signature.
 */
export function ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== 64 || !isStrictEd25519PublicKey(publicKey)) return false;
  try {
    return ed25519.verify(signature, message, publicKey, { zip215: false }) && isTorsionFreeEd25519Point(signature.subarray(0, 32));
  } catch {
    return false;
  }
}

/** X25519 (RFC 7748) public key of a 32-byte private key (clamped inside, as the RFC says). */
export function x25519PublicKey(privateKey: Uint8Array): Uint8Array {
  checkSecret(privateKey, 'x25519');
  return x25519.getPublicKey(privateKey);
}

/**
 * HPKE's DHKEM(X25519, HKDF-SHA256) (RFC 9180 §4.1) for @hpke/core, on noble-derived
 * X25519. Refuses an all-zero shared secret (a low-order public key), as the node twin does.
 */
export function dhkemX25519HkdfSha256(): KemInterface {
  return new DhkemX25519HkdfSha256();
}
