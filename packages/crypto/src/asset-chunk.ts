/**
 * Asset chunk v1 (docs/PROTOCOL.md "Asset chunk v1"): one content-defined chunk of a file,
 * encrypted under keyed convergence.
 *
 *   h   = SHA-256(chunk)
 *   key = HMAC-SHA-256(K_k, h)                       (32 bytes, secret, goes in the manifest)
 *   id  = HMAC-SHA-256(K_i, h)                       (32 bytes, the only name the server sees)
 *   ciphertext = Chunk v1 (chunk.ts) of pad(chunk) under `key` with ad = id
 *
 * pad() is Padmé (padding.ts), so the server learns a chunk's size only to O(log log n)
 * bits: with secret boundaries this is what keeps the sequence of chunk sizes from
 * fingerprinting a known file.
 *
 * Why fixed-nonce Chunk v1 is safe here: `key` is a PRF of the chunk's content, so one key
 * only ever encrypts one plaintext (a repeat gives identical bytes: that is the dedup),
 * and `ad` = id is a function of the same hash (chunk.ts module doc states both rules).
 * Binding the id as AD means a chunk served under another id — a swap — fails to open.
 */
import { fromBase64, toBase64 } from './bytes.js';
import { chunkCiphertextSize, decryptChunk, decryptChunkInto, encryptChunkInto } from './chunk.js';
import { hmacSha256, sha256 } from './derive.js';
import { DecryptionError, FormatError } from './errors.js';
import type { ConvergenceKeys } from './asset-keys.js';
import { pad, paddedLength, unpad } from './padding.js';

/** Bytes of a raw chunk id (and of a chunk key). */
export const CHUNK_ID_LENGTH = 32;

/** What the manifest records per chunk: enough to fetch, open and place it. */
export interface AssetChunkRef {
  /** 32-byte keyed id (the server's name for the chunk). */
  readonly id: Uint8Array;
  /** 32-byte chunk key. Secret. */
  readonly key: Uint8Array;
  /** Plaintext bytes (before padding). */
  readonly size: number;
}

export interface EncryptedAssetChunk extends AssetChunkRef {
  /** Asset chunk v1 bytes, what gets uploaded under {@link chunkIdToString}(id). */
  readonly ciphertext: Uint8Array;
}

/**
 * Id and key of a chunk without encrypting it (e.g. to ask the server which chunks it
 * lacks before spending AES time on ones it already has).
 */
export function assetChunkIdentity(keys: ConvergenceKeys, plaintext: Uint8Array): AssetChunkRef {
  const h = sha256(plaintext);
  return { id: hmacSha256(keys.chunkIdKey, h), key: hmacSha256(keys.chunkKeyKey, h), size: plaintext.length };
}

/** Size of the Asset chunk v1 ciphertext of `plaintextSize` bytes (padding + Chunk v1 overhead). */
export function assetChunkCiphertextSize(plaintextSize: number): number {
  return chunkCiphertextSize(paddedLength(plaintextSize));
}

/**
 * Caller-owned buffers for the hot path (a worker encrypting chunk after chunk): reusing
 * them avoids a fresh multi-MiB allocation — and its page faults — per chunk.
 */
export interface AssetChunkBuffers {
  /** Scratch for the padded plaintext; used when it holds paddedLength(n) bytes, wiped after use. */
  padded?: Uint8Array;
  /** Where the ciphertext goes (its prefix is returned) when it holds assetChunkCiphertextSize(n) bytes. */
  out?: Uint8Array;
}

/** pad() (padding.ts, Padded form v1) written into `target`, which is exactly the padded size. */
function padInto(data: Uint8Array, target: Uint8Array): Uint8Array {
  new DataView(target.buffer, target.byteOffset, target.byteLength).setUint32(0, data.length);
  target.set(data, 4);
  target.fill(0, 4 + data.length);
  return target;
}

/**
 * Encrypts one chunk (the whole of it: chunks are at most a few MiB).
 * @throws {@link FormatError} on a chunk of 2^32 bytes or more.
 */
export function encryptAssetChunk(keys: ConvergenceKeys, plaintext: Uint8Array, buffers: AssetChunkBuffers = {}): EncryptedAssetChunk {
  if (plaintext.length > 0xffffffff - 4) throw new FormatError('asset chunk: too large');
  return sealAssetChunk(assetChunkIdentity(keys, plaintext), plaintext, buffers);
}

/**
 * The encryption half of {@link encryptAssetChunk}, for a caller that already computed
 * `ref = assetChunkIdentity(keys, plaintext)` — e.g. to skip chunks it has seen before
 * without hashing twice. `ref` must be exactly that (a key or id from anywhere else
 * breaks convergence, and with it dedup and the one-key-one-plaintext rule).
 * @throws {@link FormatError} on a chunk of 2^32 bytes or more, or a ref of another size.
 */
export function sealAssetChunk(ref: AssetChunkRef, plaintext: Uint8Array, buffers: AssetChunkBuffers = {}): EncryptedAssetChunk {
  if (plaintext.length > 0xffffffff - 4) throw new FormatError('asset chunk: too large');
  if (ref.size !== plaintext.length || ref.id.length !== CHUNK_ID_LENGTH || ref.key.length !== 32) throw new FormatError('asset chunk: ref does not describe this plaintext');
  const paddedSize = paddedLength(plaintext.length);
  const padded = buffers.padded !== undefined && buffers.padded.length >= paddedSize
    ? padInto(plaintext, buffers.padded.subarray(0, paddedSize))
    : pad(plaintext);
  const size = chunkCiphertextSize(paddedSize);
  const out = buffers.out !== undefined && buffers.out.length >= size ? buffers.out : new Uint8Array(size);
  try {
    return { ...ref, ciphertext: encryptChunkInto(ref.key, padded, out, ref.id) };
  } finally {
    padded.fill(0);
  }
}

/**
 * Opens one chunk fetched under `ref.id`; returns nothing unless the whole chunk verifies.
 * `scratch`, if large enough, receives the padded plaintext (then wiped) instead of a fresh buffer.
 * @throws {@link DecryptionError} if the bytes are corrupted, truncated, another chunk's
 *   (swapped), under another key, or of another plaintext size than the manifest says.
 */
export function decryptAssetChunk(ref: AssetChunkRef, ciphertext: Uint8Array, scratch?: Uint8Array): Uint8Array {
  if (ref.id.length !== CHUNK_ID_LENGTH || ref.key.length !== 32) throw new DecryptionError('asset chunk');
  const padded = scratch !== undefined && ciphertext.length <= scratch.length
    ? decryptChunkInto(ref.key, ciphertext, scratch, ref.id)
    : decryptChunk(ref.key, ciphertext, ref.id);
  try {
    const plaintext = unpad(padded);
    if (plaintext.length !== ref.size) {
      plaintext.fill(0);
      throw new DecryptionError('asset chunk');
    }
    return plaintext;
  } catch (error) {
    if (error instanceof DecryptionError) throw error;
    // Authentic but not our padding: only a buggy or malicious key holder writes this.
    throw new DecryptionError('asset chunk');
  } finally {
    padded.fill(0);
  }
}

/** The wire form of a chunk id: unpadded base64url (RFC 4648 §5), 43 characters. */
export function chunkIdToString(id: Uint8Array): string {
  if (id.length !== CHUNK_ID_LENGTH) throw new FormatError('chunk id must be 32 bytes');
  return toBase64(id).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

const CHUNK_ID_TEXT = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/;

/**
 * Parses {@link chunkIdToString} output; only the canonical form is accepted.
 * @throws {@link FormatError} otherwise.
 */
export function chunkIdFromString(text: string): Uint8Array {
  if (!CHUNK_ID_TEXT.test(text)) throw new FormatError('chunk id: expected 43 characters of canonical base64url');
  return fromBase64(`${text.replaceAll('-', '+').replaceAll('_', '/')}=`);
}
