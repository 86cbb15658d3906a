/**
 * What the asset endpoints accept and how records name chunks (docs/ASSETS.md,
 * docs/PROTOCOL.md "Assets" and "Chunk batch v1"). The server never decrypts anything
 * here: a chunk id is an opaque keyed value (HMAC), and the only content check possible is
 * a transit check of the ciphertext against what the client declares — the CRC-32 of each
 * frame of `assets/upload-batch` (chunk-batch.ts), or the SHA-256 header of the
 * single-chunk `assets/upload` kept for simple clients. Security is the client's AEAD.
 */
import type { FieldWire } from '@coffer/protocol';

/** A chunk id on the wire: 43 characters of canonical unpadded base64url (32 bytes). */
export const CHUNK_ID_PATTERN = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/;

/** Largest plaintext chunk (Chunker v1 max). */
export const MAX_CHUNK_PLAINTEXT_BYTES = 4 * 1024 * 1024;
/**
 * Largest accepted chunk upload: a 4 MiB chunk Padmé-padded (≤ 4 MiB + 128 KiB for sizes
 * just above 4 MiB − 4) plus Chunk v1's 1 + 16·⌈n/64 KiB⌉ bytes of header and tags. The
 * test suite checks this against the crypto core's `assetChunkCiphertextSize`.
 */
export const MAX_CHUNK_UPLOAD_BYTES = MAX_CHUNK_PLAINTEXT_BYTES + 128 * 1024 + 4096;
/** Ids per `assets/missing` request. */
export const MAX_IDS_PER_REQUEST = 1000;

export function isChunkId(value: unknown): value is string {
  return typeof value === 'string' && CHUNK_ID_PATTERN.test(value);
}

/** `assets/missing` request and response bodies. */
export interface AssetsMissingRequest {
  chunkIds: string[];
}
export interface AssetsMissingResponse {
  /** The requested ids this user has no stored chunk for, in request order, without duplicates. */
  missing: string[];
}
/** `assets/upload` response body. */
export interface AssetsUploadResponse {
  chunkId: string;
  /** Bytes stored (and charged to the quota). */
  size: number;
}

/** The media type of an `assets/upload-batch` body (Chunk batch v1, chunk-batch.ts). */
export const CHUNK_BATCH_CONTENT_TYPE = 'application/vnd.coffer.chunk-batch';
/** `assets/upload-batch` response body: every chunk of the batch, in request order. */
export interface AssetsUploadBatchResponse {
  chunks: AssetsUploadResponse[];
}

/**
 * An ASSET field value as Coffer clients write it: CloudKit's asset dictionary key
 * `wrappingKey` (the asset key, Wrapped key v1 under the record key) plus two
 * extensions — `manifest`, the Asset manifest v1 envelope (base64), and `chunkIds`, the
 * chunks it needs (so the server can check they exist and keep them alive) — and
 * `size`, the stored bytes. The server reads only `chunkIds`.
 */
export interface CofferAssetValue {
  wrappingKey: string;
  manifest: string;
  chunkIds: string[];
  size?: number;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Error thrown with a reason naming the field, never its value. */
export class AssetValueError extends Error {}

/** Chunk ids one ASSET / ASSETID (or list) field references; other types give []. */
export function chunkIdsOfField(name: string, field: FieldWire): string[] {
  const type = field.type;
  if (!type.startsWith('ASSET')) return [];
  const values = type.endsWith('_LIST') ? field.value : [field.value];
  if (field.value === undefined) return [];
  if (!Array.isArray(values)) throw new AssetValueError(`field ${name}: ${type} value must be an array`);
  const ids: string[] = [];
  for (const value of values) {
    if (type.startsWith('ASSETID')) {
      // ASSETID: one chunk referenced directly (a single-blob asset).
      if (!isChunkId(value)) throw new AssetValueError(`field ${name}: ASSETID must be a chunk id (43 base64url characters)`);
      ids.push(value);
      continue;
    }
    if (!isPlainObject(value)) throw new AssetValueError(`field ${name}: ASSET value must be an asset dictionary`);
    const chunkIds = value.chunkIds;
    if (chunkIds === undefined) continue; // a CloudKit-style dictionary without Coffer chunks
    if (!Array.isArray(chunkIds) || !chunkIds.every(isChunkId)) throw new AssetValueError(`field ${name}: ASSET chunkIds must be an array of chunk ids`);
    ids.push(...chunkIds);
  }
  return ids;
}

/** Every chunk id a record's fields reference, deduplicated, in first-seen order. */
export function chunkIdsOfFields(fields: Record<string, FieldWire> | undefined): string[] {
  const seen = new Set<string>();
  for (const [name, field] of Object.entries(fields ?? {})) for (const id of chunkIdsOfField(name, field)) seen.add(id);
  return [...seen];
}
