/**
 * Asset manifest v1 and its envelope (docs/PROTOCOL.md "Asset manifest v1").
 *
 * Manifest (plaintext, then pad(·, 256)):
 *   0x01 ‖ u64 fileSize ‖ lp(contentType) ‖ lp(fileName) ‖ u32 n
 *   ‖ n × ( chunk id (32) ‖ chunk key (32) ‖ u32 plaintext size )
 *
 * Envelope:
 *   0x01 ‖ asset key id (16) ‖ u32 asset key version ‖ nonce (12) ‖ AES-256-GCM(asset key, nonce, padded manifest, AD) ‖ tag (16)
 *   AD = lp("coffer/…/asset-manifest") ‖ lp(container) ‖ lp(database) ‖ lp(zoneName) ‖ lp(ownerRecordName)
 *        ‖ lp(recordName) ‖ lp(fieldName) ‖ u32 position ‖ the 21 header bytes
 *
 * The asset key is a random SymmetricKey of kind `asset`, wrapped by the record key
 * (keys.ts allows exactly that edge) and stored in the record; the AD binds the envelope
 * to its record, field and list position, so the server cannot move a manifest to
 * another record or field, or swap two entries of an ASSET_LIST.
 */
import { aes256gcmSeal } from '#primitives';
import { fromHex, isWellFormedString, randomBytes, toHex, utf8Encode } from './bytes.js';
import { CHUNK_ID_LENGTH, type AssetChunkRef } from './asset-chunk.js';
import { ByteReader, ByteWriter } from './encoding.js';
import { DecryptionError, FormatError, KeyHierarchyError } from './errors.js';
import { aes256gcmOpenAs, type SymmetricKey } from './keys.js';
import { Labels } from './labels.js';
import { pad, unpad } from './padding.js';

export const ASSET_MANIFEST_V1 = 0x01;
export const ASSET_MANIFEST_ENVELOPE_V1 = 0x01;
/** Smallest padded manifest: short names and single-chunk files all look alike. */
export const ASSET_MANIFEST_PAD_MINIMUM = 256;
const HEADER_LEN = 21;
const NONCE_LEN = 12;
const TAG_LEN = 16;
const CHUNK_ENTRY = CHUNK_ID_LENGTH + 32 + 4;
/** Longest content type / file name accepted, in UTF-8 bytes. */
const MAX_TEXT = 4096;

export interface AssetManifest {
  /** Plaintext bytes of the whole file; equals the sum of the chunk sizes. */
  readonly fileSize: number;
  /** MIME type, or '' when unknown. */
  readonly contentType: string;
  /** The file's name (no path), or ''. */
  readonly fileName: string;
  /** In file order. */
  readonly chunks: readonly AssetChunkRef[];
}

/** Where an asset lives; every member is bound into the envelope's associated data. */
export interface AssetContext {
  container: string;
  database: 'private' | 'shared' | 'public';
  zoneName: string;
  ownerRecordName: string;
  recordName: string;
  fieldName: string;
  /** Index in an ASSET_LIST field; 0 for an ASSET field. */
  position: number;
}

export interface AssetManifestEnvelopeHeader {
  readonly version: 1;
  readonly assetKeyId: string;
  readonly assetKeyVersion: number;
}

function checkText(value: string, what: string): void {
  if (typeof value !== 'string' || !isWellFormedString(value)) throw new FormatError(`asset manifest: ${what} must be a well-formed string`);
  if (utf8Encode(value).length > MAX_TEXT) throw new FormatError(`asset manifest: ${what} longer than ${MAX_TEXT} UTF-8 bytes`);
}

/**
 * The manifest's plaintext bytes (before padding).
 * @throws {@link FormatError} if sizes do not add up, a chunk ref is malformed or a string is too long.
 */
export function encodeAssetManifest(manifest: AssetManifest): Uint8Array {
  checkText(manifest.contentType, 'contentType');
  checkText(manifest.fileName, 'fileName');
  const w = new ByteWriter(64 + manifest.chunks.length * CHUNK_ENTRY)
    .u8(ASSET_MANIFEST_V1)
    .u64(manifest.fileSize)
    .lpString(manifest.contentType)
    .lpString(manifest.fileName)
    .u32(manifest.chunks.length);
  let total = 0;
  for (const chunk of manifest.chunks) {
    if (chunk.id.length !== CHUNK_ID_LENGTH || chunk.key.length !== 32) throw new FormatError('asset manifest: chunk id and key must be 32 bytes');
    if (!Number.isInteger(chunk.size) || chunk.size < 1) throw new FormatError('asset manifest: chunk size must be a positive integer');
    w.bytes(chunk.id).bytes(chunk.key).u32(chunk.size);
    total += chunk.size;
  }
  if (total !== manifest.fileSize) throw new FormatError('asset manifest: chunk sizes do not add up to the file size');
  return w.finish();
}

/**
 * Parses {@link encodeAssetManifest} output exactly (no trailing bytes, sizes consistent).
 * @throws {@link FormatError} otherwise.
 */
export function decodeAssetManifest(bytes: Uint8Array): AssetManifest {
  const r = new ByteReader(bytes, 'asset manifest');
  if (r.u8() !== ASSET_MANIFEST_V1) throw new FormatError('asset manifest: unknown version');
  const fileSize = r.u64();
  const contentType = r.lpString();
  const fileName = r.lpString();
  const n = r.u32();
  if (n * CHUNK_ENTRY !== r.remaining) throw new FormatError('asset manifest: chunk table length does not match the chunk count');
  const chunks: AssetChunkRef[] = [];
  let total = 0;
  for (let i = 0; i < n; i++) {
    const id = r.bytes(CHUNK_ID_LENGTH);
    const key = r.bytes(32);
    const size = r.u32();
    if (size < 1) throw new FormatError('asset manifest: empty chunk');
    total += size;
    chunks.push({ id, key, size });
  }
  r.end();
  if (total !== fileSize) throw new FormatError('asset manifest: chunk sizes do not add up to the file size');
  return { fileSize, contentType, fileName, chunks };
}

function contextAd(ctx: AssetContext, header: Uint8Array): Uint8Array {
  const w = new ByteWriter(192).lpString(Labels.assetManifest);
  for (const s of [ctx.container, ctx.database, ctx.zoneName, ctx.ownerRecordName, ctx.recordName, ctx.fieldName]) {
    // A lone surrogate would UTF-8-encode to U+FFFD and let two contexts collide.
    if (typeof s !== 'string' || !isWellFormedString(s)) throw new FormatError('asset context: every name must be a well-formed string');
    w.lpString(s);
  }
  if (!Number.isInteger(ctx.position) || ctx.position < 0 || ctx.position > 0xffffffff) throw new FormatError('asset context: position must be a u32');
  return w.u32(ctx.position).bytes(header).finish();
}

function checkAssetKey(key: SymmetricKey): void {
  if (key.kind !== 'asset') throw new KeyHierarchyError(`asset manifests are encrypted with an asset key, not a ${key.kind} key`);
}

/**
 * Encrypts a manifest under a fresh-per-asset key of kind `asset`, for exactly `ctx`.
 * @throws {@link KeyHierarchyError} if `assetKey` is not an asset key; {@link FormatError} on a malformed manifest or context.
 */
export function encryptAssetManifest(assetKey: SymmetricKey, ctx: AssetContext, manifest: AssetManifest): Uint8Array {
  return encryptAssetManifestWithNonce(assetKey, ctx, manifest, randomBytes(NONCE_LEN));
}

/**
 * Internal (vectors): encryptAssetManifest with a caller-chosen nonce. Random 96-bit
 * nonces are safe: an asset key seals a handful of manifest versions, far from 2^32.
 */
export function encryptAssetManifestWithNonce(assetKey: SymmetricKey, ctx: AssetContext, manifest: AssetManifest, nonce: Uint8Array): Uint8Array {
  checkAssetKey(assetKey);
  if (nonce.length !== NONCE_LEN) throw new RangeError('nonce must be 12 bytes');
  const header = new ByteWriter(HEADER_LEN).u8(ASSET_MANIFEST_ENVELOPE_V1).bytes(fromHex(assetKey.id)).u32(assetKey.version).finish();
  const plaintext = pad(encodeAssetManifest(manifest), ASSET_MANIFEST_PAD_MINIMUM);
  try {
    const sealed = aes256gcmSeal(assetKey.bytes, nonce, plaintext, contextAd(ctx, header));
    const out = new Uint8Array(HEADER_LEN + NONCE_LEN + sealed.length);
    out.set(header, 0);
    out.set(nonce, HEADER_LEN);
    out.set(sealed, HEADER_LEN + NONCE_LEN);
    return out;
  } finally {
    plaintext.fill(0);
  }
}

/**
 * Reads the envelope header (which asset key opens it) without decrypting.
 * @throws {@link FormatError} on an unknown version or a truncated envelope.
 */
export function inspectAssetManifest(envelope: Uint8Array): AssetManifestEnvelopeHeader {
  if (envelope.length < 1 || envelope[0] !== ASSET_MANIFEST_ENVELOPE_V1) throw new FormatError('asset manifest envelope: unknown version');
  if (envelope.length < HEADER_LEN + NONCE_LEN + TAG_LEN) throw new FormatError('asset manifest envelope: truncated');
  const view = new DataView(envelope.buffer, envelope.byteOffset, envelope.byteLength);
  return { version: 1, assetKeyId: toHex(envelope.subarray(1, 17)), assetKeyVersion: view.getUint32(17) };
}

/**
 * Opens a manifest envelope written for exactly `ctx` under `assetKey`.
 * @throws {@link DecryptionError} on an unknown version, truncation, another key, another
 *   context (container, database, zone, owner, record, field or position) or any flipped bit.
 */
export function decryptAssetManifest(assetKey: SymmetricKey, ctx: AssetContext, envelope: Uint8Array): AssetManifest {
  checkAssetKey(assetKey);
  let header: AssetManifestEnvelopeHeader;
  try {
    header = inspectAssetManifest(envelope);
  } catch {
    throw new DecryptionError('asset manifest');
  }
  if (header.assetKeyId !== assetKey.id || header.assetKeyVersion !== assetKey.version) throw new DecryptionError('asset manifest');
  const plaintext = aes256gcmOpenAs(
    assetKey.bytes,
    envelope.subarray(HEADER_LEN, HEADER_LEN + NONCE_LEN),
    envelope.subarray(HEADER_LEN + NONCE_LEN),
    contextAd(ctx, envelope.subarray(0, HEADER_LEN)),
    'asset manifest',
  );
  try {
    return decodeAssetManifest(unpad(plaintext, ASSET_MANIFEST_PAD_MINIMUM));
  } catch {
    // Authentic but malformed: only a buggy or malicious key holder writes this.
    throw new DecryptionError('asset manifest');
  } finally {
    plaintext.fill(0);
  }
}
