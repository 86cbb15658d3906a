/**
 * Chunk v1 (docs/PROTOCOL.md "Chunk v1"): authenticated encryption of one asset chunk,
 * in the STREAM construction of Hoang, Reyhanitabar, Rogaway, Vizár ("Online
 * Authenticated-Encryption and its Nonce-Reuse Misuse-Resistance", CRYPTO 2015, §7) as
 * age uses it (age-encryption.org/v1 "Payload"):
 *
 *   0x01 ‖ seg_0 ‖ … ‖ seg_{k−1},  seg_i = AES-256-GCM(key, nonce_i, pt_i, AD) ‖ tag
 *   nonce_i = i as 11-byte big-endian ‖ (0x01 if i = k−1 else 0x00)
 *   AD      = lp("coffer/v1/chunk") ‖ lp(caller ad)
 *
 * pt_i is 64 KiB except the last, which holds 1..64 KiB — or 0 bytes when the whole chunk
 * is empty. The last-segment flag makes truncation at a segment boundary and extension
 * detectable; the counter makes reordering detectable.
 *
 * The nonces are fixed, so a key must encrypt ONE chunk only (the same plaintext
 * again is harmless: identical output). Chunk keys are random per chunk or, under keyed
 * convergence (reserved, later issue), derived from the chunk content — either way one
 * key never meets two different plaintexts. The caller's `ad` must be a function of the
 * key (e.g. the chunk id) or constant, for the same reason.
 */
import { aes256gcmOpenInto, aes256gcmSealInto, aes256gcmSealParts } from '#primitives';
import { ByteWriter } from './encoding.js';
import { DecryptionError, FormatError } from './errors.js';
import { Labels } from './labels.js';

/** Plaintext bytes per segment (age uses the same 64 KiB). */
export const CHUNK_SEGMENT_SIZE = 65536;
export const CHUNK_V1 = 0x01;
const TAG = 16;
const SEALED_SEGMENT = CHUNK_SEGMENT_SIZE + TAG;
/** 2^32 segments (256 TiB) is far beyond any chunk; keeps the counter in a u32 write. */
const MAX_SEGMENTS = 0xffffffff;

function segmentCount(plaintextSize: number): number {
  return Math.max(1, Math.ceil(plaintextSize / CHUNK_SEGMENT_SIZE));
}

/** Size of the Chunk v1 ciphertext of `n` plaintext bytes: 1 + n + 16·max(1, ⌈n / 64 KiB⌉). */
export function chunkCiphertextSize(plaintextSize: number): number {
  if (!Number.isSafeInteger(plaintextSize) || plaintextSize < 0) throw new RangeError('chunkCiphertextSize: size must be a non-negative integer');
  return 1 + plaintextSize + TAG * segmentCount(plaintextSize);
}

/**
 * Plaintext size of a Chunk v1 ciphertext of `n` bytes.
 * @throws {@link FormatError} if no plaintext size yields exactly `n` bytes.
 */
export function chunkPlaintextSize(ciphertextSize: number): number {
  if (!Number.isSafeInteger(ciphertextSize) || ciphertextSize < 1 + TAG) throw new FormatError('chunk: ciphertext too short');
  const body = ciphertextSize - 1;
  const k = Math.ceil(body / SEALED_SEGMENT);
  const last = body - (k - 1) * SEALED_SEGMENT;
  // The last segment carries ≥ 1 byte unless it is the only one (the empty chunk).
  if (last < TAG || (last === TAG && k > 1)) throw new FormatError('chunk: impossible ciphertext size');
  return body - TAG * k;
}

function chunkAd(ad: Uint8Array): Uint8Array {
  return new ByteWriter(32 + ad.length).lpString(Labels.chunk).lp(ad).finish();
}

function setNonce(nonce: Uint8Array, view: DataView, index: number, last: boolean): void {
  // Bytes 0..6 of the 11-byte counter stay zero: index < 2^32.
  view.setUint32(7, index);
  nonce[11] = last ? 1 : 0;
}

/**
 * Encrypts one chunk. `key` must be 32 bytes and used for this chunk only (see module doc).
 * @throws RangeError on a key that is not 32 bytes.
 */
export function encryptChunk(key: Uint8Array, plaintext: Uint8Array, ad: Uint8Array = new Uint8Array(0)): Uint8Array {
  return encryptChunkInto(key, plaintext, new Uint8Array(chunkCiphertextSize(plaintext.length)), ad);
}

/**
 * {@link encryptChunk} into a caller-owned buffer (reused across chunks by an uploader: a
 * fresh multi-MiB buffer per chunk costs page faults). Returns the written prefix of `out`.
 * @throws RangeError on a key that is not 32 bytes or an `out` shorter than chunkCiphertextSize.
 */
export function encryptChunkInto(key: Uint8Array, plaintext: Uint8Array, out: Uint8Array, ad: Uint8Array = new Uint8Array(0)): Uint8Array {
  if (key.length !== 32) throw new RangeError('encryptChunk: key must be 32 bytes');
  const k = segmentCount(plaintext.length);
  if (k > MAX_SEGMENTS) throw new RangeError('encryptChunk: chunk too large');
  const size = 1 + plaintext.length + TAG * k;
  if (out.length < size) throw new RangeError('encryptChunk: output buffer too small');
  out[0] = CHUNK_V1;
  const fullAd = chunkAd(ad);
  const nonce = new Uint8Array(12);
  const view = new DataView(nonce.buffer);
  for (let i = 0; i < k; i++) {
    const start = i * CHUNK_SEGMENT_SIZE;
    setNonce(nonce, view, i, i === k - 1);
    aes256gcmSealInto(key, nonce, plaintext.subarray(start, start + CHUNK_SEGMENT_SIZE), fullAd, out, 1 + i * SEALED_SEGMENT);
  }
  return out.subarray(0, size);
}

/**
 * {@link encryptChunk} as a list of parts whose concatenation is exactly the Chunk v1
 * ciphertext (version byte, then each segment's ciphertext and tag). For uploaders that
 * write parts to a socket or file (writev) — it skips the copy into one contiguous buffer,
 * which is what keeps the chunk path at raw streamed AES-GCM speed (bench/crypto).
 * @throws RangeError on a key that is not 32 bytes.
 */
export function encryptChunkParts(key: Uint8Array, plaintext: Uint8Array, ad: Uint8Array = new Uint8Array(0)): Uint8Array[] {
  if (key.length !== 32) throw new RangeError('encryptChunk: key must be 32 bytes');
  const k = segmentCount(plaintext.length);
  if (k > MAX_SEGMENTS) throw new RangeError('encryptChunk: chunk too large');
  const fullAd = chunkAd(ad);
  const parts: Uint8Array[] = [Uint8Array.of(CHUNK_V1)];
  for (let i = 0; i < k; i++) {
    // A fresh nonce array per segment: the parts must not alias a buffer we mutate.
    const nonce = new Uint8Array(12);
    setNonce(nonce, new DataView(nonce.buffer), i, i === k - 1);
    const start = i * CHUNK_SEGMENT_SIZE;
    for (const part of aes256gcmSealParts(key, nonce, plaintext.subarray(start, start + CHUNK_SEGMENT_SIZE), fullAd)) parts.push(part);
  }
  return parts;
}

/**
 * Decrypts one chunk, verifying every segment; returns nothing unless all verify.
 * @throws {@link DecryptionError} on an unknown version, an impossible size, truncation
 *   (including at a segment boundary), extension, reordered segments, another key or
 *   ad, or any flipped bit.
 */
export function decryptChunk(key: Uint8Array, ciphertext: Uint8Array, ad: Uint8Array = new Uint8Array(0)): Uint8Array {
  return decryptChunkInto(key, ciphertext, new Uint8Array(plaintextSizeOrFail(ciphertext)), ad);
}

function plaintextSizeOrFail(ciphertext: Uint8Array): number {
  // Version first and exactly (PROTOCOL.md "Versioning"), then the size.
  if (ciphertext.length < 1 || ciphertext[0] !== CHUNK_V1) throw new DecryptionError('chunk');
  try {
    return chunkPlaintextSize(ciphertext.length);
  } catch {
    throw new DecryptionError('chunk');
  }
}

/**
 * {@link decryptChunk} into a caller-owned buffer; returns the plaintext prefix of `out`.
 * On failure the part of `out` already written is zeroed before the error is thrown.
 * @throws {@link DecryptionError} as decryptChunk; RangeError on a bad key or a short `out`.
 */
export function decryptChunkInto(key: Uint8Array, ciphertext: Uint8Array, out: Uint8Array, ad: Uint8Array = new Uint8Array(0)): Uint8Array {
  if (key.length !== 32) throw new RangeError('decryptChunk: key must be 32 bytes');
  const n = plaintextSizeOrFail(ciphertext);
  if (out.length < n) throw new RangeError('decryptChunk: output buffer too small');
  const k = segmentCount(n);
  const fullAd = chunkAd(ad);
  const nonce = new Uint8Array(12);
  const view = new DataView(nonce.buffer);
  try {
    for (let i = 0; i < k; i++) {
      const start = 1 + i * SEALED_SEGMENT;
      setNonce(nonce, view, i, i === k - 1);
      aes256gcmOpenInto(key, nonce, ciphertext.subarray(start, start + SEALED_SEGMENT), fullAd, out, i * CHUNK_SEGMENT_SIZE);
    }
  } catch {
    // Verified segments are already in `out`; wipe them so no partial plaintext escapes.
    out.fill(0, 0, n);
    throw new DecryptionError('chunk');
  }
  return out.subarray(0, n);
}
