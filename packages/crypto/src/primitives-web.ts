/**
 * Primitive backend for browsers and other non-Node runtimes: @noble/ciphers and
 * @noble/hashes (audited, pure JS, synchronous). Selected by the `default` condition of
 * the `#primitives` import map in package.json. Must stay byte-for-byte equivalent to
 * primitives-node.ts (test/primitives.test.ts runs both against the same vectors).
 */
import { gcm } from '@noble/ciphers/aes.js';
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
