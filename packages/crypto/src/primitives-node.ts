/**
 * Primitive backend for Node: node:crypto (OpenSSL), and @hpke/core's WebCrypto DHKEM,
 * which node also runs on OpenSSL. Selected by the `node` condition of the `#primitives`
 * import map in package.json; primitives-web.ts is the browser twin and must stay
 * byte-for-byte equivalent (test/primitives.test.ts and test/curves.test.ts run both).
 *
 * No wrapper objects, no algorithm parameters: each function names the one primitive
 * it computes, as age's primitives.go does (the DHKEM is handed to @hpke/core whole).
 */
import {
  createCipheriv, createDecipheriv, createHash, createHmac, createPrivateKey, createPublicKey, hkdfSync, sign, verify, type KeyObject,
} from 'node:crypto';
import { DhkemX25519HkdfSha256, type KemInterface } from '@hpke/core';
import { isStrictEd25519PublicKey } from './ed25519-strict.js';
import { DecryptionError } from './errors.js';

/** Which backend `#primitives` resolved to; tests assert it. */
export const primitivesBackend = 'node' as 'node' | 'web';

const TAG = 16;

function check(key: Uint8Array, nonce: Uint8Array): void {
  if (key.length !== 32) throw new RangeError('aes-256-gcm: key must be 32 bytes');
  if (nonce.length !== 12) throw new RangeError('aes-256-gcm: nonce must be 12 bytes');
}

/** AES-256-GCM (NIST SP 800-38D): returns ciphertext ‖ 16-byte tag. */
export function aes256gcmSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, ad: Uint8Array): Uint8Array {
  const out = new Uint8Array(plaintext.length + TAG);
  aes256gcmSealInto(key, nonce, plaintext, ad, out, 0);
  return out;
}

/**
 * AES-256-GCM encryption writing ciphertext ‖ tag (plaintext.length + 16 bytes) into
 * `out` at `offset` — the chunk fast path, which fills one preallocated buffer.
 */
export function aes256gcmSealInto(
  key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, ad: Uint8Array, out: Uint8Array, offset: number,
): void {
  check(key, nonce);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  if (ad.length > 0) cipher.setAAD(ad);
  // node:crypto cannot encrypt into a caller's buffer: one memcpy per byte is the floor.
  const body = cipher.update(plaintext);
  out.set(body, offset);
  const tail = cipher.final(); // empty for GCM; handled rather than assumed
  out.set(tail, offset + body.length);
  out.set(cipher.getAuthTag(), offset + body.length + tail.length);
}

/**
 * AES-256-GCM encryption returning [ciphertext, tag] as node:crypto produced them — no
 * copy into a contiguous buffer. On 4 MiB chunks that copy costs about a third of the
 * throughput (measured: 64 KiB segments, parts ≈ raw streamed GCM; copied ≈ 0.65 of it).
 */
export function aes256gcmSealParts(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, ad: Uint8Array): Uint8Array[] {
  check(key, nonce);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  if (ad.length > 0) cipher.setAAD(ad);
  const body = cipher.update(plaintext);
  const tail = cipher.final();
  return tail.length === 0 ? [body, cipher.getAuthTag()] : [body, tail, cipher.getAuthTag()];
}

/**
 * Opens ciphertext ‖ tag.
 * @throws {@link DecryptionError} if the tag does not verify or the input is shorter than a tag.
 */
export function aes256gcmOpen(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, ad: Uint8Array): Uint8Array {
  if (sealed.length < TAG) throw new DecryptionError('aes-256-gcm');
  const out = new Uint8Array(sealed.length - TAG);
  aes256gcmOpenInto(key, nonce, sealed, ad, out, 0);
  return out;
}

/**
 * Opens ciphertext ‖ tag into `out` at `offset`. Nothing is written to `out` unless the
 * tag verifies: OpenSSL releases unverified keystream output from update(), so we hold
 * it in a temporary until final() has checked the tag (style.md: never release
 * unverified plaintext).
 * @throws {@link DecryptionError} if the tag does not verify.
 */
export function aes256gcmOpenInto(
  key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, ad: Uint8Array, out: Uint8Array, offset: number,
): void {
  check(key, nonce);
  if (sealed.length < TAG) throw new DecryptionError('aes-256-gcm');
  const n = sealed.length - TAG;
  const decipher = createDecipheriv('aes-256-gcm', key, nonce);
  decipher.setAuthTag(sealed.subarray(n));
  if (ad.length > 0) decipher.setAAD(ad);
  const body = decipher.update(sealed.subarray(0, n));
  try {
    decipher.final();
  } catch {
    body.fill(0);
    throw new DecryptionError('aes-256-gcm');
  }
  out.set(body, offset);
}

/** SHA-256 (FIPS 180-4). */
export function sha256(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(data).digest());
}

/** HMAC-SHA-256 (RFC 2104). */
export function hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
  return new Uint8Array(createHmac('sha256', key).update(data).digest());
}

/** HKDF-SHA-256 (RFC 5869), extract-then-expand; `length` ≤ 255·32. */
export function hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  // node's hkdfSync caps info at 1024 bytes; our labels are far shorter.
  return new Uint8Array(hkdfSync('sha256', ikm, salt, info, length));
}

// ── Curves ───────────────────────────────────────────────────────────────────────
// OpenSSL does these in microseconds where @noble/curves, pure JS, first builds its
// precomputed tables (~0.1 s) and then takes about a millisecond per operation.

/** RFC 8410 PKCS#8 headers; the 32-byte private key follows. */
const ED25519_PKCS8 = Uint8Array.of(0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20);
const X25519_PKCS8 = Uint8Array.of(0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20);

function view(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * A private KeyObject from 32 raw bytes, through PKCS#8 DER: the documented route. (A JWK
 * import is ~8× faster, but node demands its `x` and then ignores it — undocumented.)
 */
function privateKeyObject(header: Uint8Array, secret: Uint8Array, what: string): KeyObject {
  if (secret.length !== 32) throw new RangeError(`${what}: private key must be 32 bytes`);
  const der = new Uint8Array(48);
  der.set(header);
  der.set(secret, 16);
  try {
    return createPrivateKey({ key: view(der), format: 'der', type: 'pkcs8' });
  } finally {
    der.fill(0);
  }
}

function rawPublicKey(key: KeyObject): Uint8Array {
  const { x } = createPublicKey(key).export({ format: 'jwk' });
  return new Uint8Array(Buffer.from(x!, 'base64url'));
}

/** Ed25519 (RFC 8032 §5.1.5) public key of a 32-byte secret seed. */
export function ed25519PublicKey(seed: Uint8Array): Uint8Array {
  return rawPublicKey(privateKeyObject(ED25519_PKCS8, seed, 'ed25519'));
}

/** Ed25519 signature (RFC 8032 §5.1.6, deterministic): 64 bytes R ‖ S. */
export function ed25519Sign(seed: Uint8Array, message: Uint8Array): Uint8Array {
  return new Uint8Array(sign(null, message, privateKeyObject(ED25519_PKCS8, seed, 'ed25519')));
}

/**
 * Ed25519 verification under Coffer's strict rule (ed25519-strict.ts): A must have prime
 * order, then OpenSSL checks S < ℓ and R = [S]B − [k]A byte for byte. False — never a
 * throw — on any malformed key or signature.
 */
export function ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== 64 || !isStrictEd25519PublicKey(publicKey)) return false;
  try {
    const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: view(publicKey).toString('base64url') }, format: 'jwk' });
    return verify(null, message, key, signature);
  } catch {
    return false;
  }
}

/** X25519 (RFC 7748) public key of a 32-byte private key (clamped inside, as the RFC says). */
export function x25519PublicKey(privateKey: Uint8Array): Uint8Array {
  return rawPublicKey(privateKeyObject(X25519_PKCS8, privateKey, 'x25519'));
}

/**
 * HPKE's DHKEM(X25519, HKDF-SHA256) (RFC 9180 §4.1) for @hpke/core: its WebCrypto one,
 * which node runs on OpenSSL. Like the web twin it refuses an all-zero shared secret
 * (a low-order public key).
 */
export function dhkemX25519HkdfSha256(): KemInterface {
  return new DhkemX25519HkdfSha256();
}
