/**
 * `CofferAsset`: CloudKit's CKAsset on the device — an uploaded file waiting to be saved
 * in an ASSET field (`record.fields.photo = await db.uploadAsset(path)`). It holds the
 * plaintext manifest (chunk ids, chunk keys, sizes, file name, content type) in a
 * module-private slot: the manifest is secret and is only ever sent sealed under a fresh
 * asset key (asset-seal.ts), so neither `JSON.stringify` nor `console.log` can leak it.
 *
 * `AssetWireValue` is what an ASSET field holds on the wire and in fetched records.
 */
import type { AssetManifest } from '@coffer/crypto';
import { InvalidFieldError } from '../errors.js';

/** An ASSET field value on the wire (docs/ASSETS.md, CloudKit's `wrappingKey` + Coffer's extensions). */
export interface AssetWireValue {
  /** The asset key, Wrapped key v1 under the record key, base64. */
  wrappingKey: string;
  /** The Asset manifest v1 envelope, base64. */
  manifest: string;
  /** Every chunk the asset needs (base64url keyed ids): the server checks and keeps these. */
  chunkIds: string[];
  /** Stored (padded, encrypted) bytes; the exact file size is only in the manifest. */
  size: number;
}

const manifests = new WeakMap<CofferAsset, AssetManifest>();

export class CofferAsset {
  /** The file's name (no path), or ''. */
  readonly fileName: string;
  /** MIME type, or ''. */
  readonly contentType: string;
  /** Plaintext bytes. */
  readonly size: number;
  /** The server-visible chunk ids, in first-use order, without duplicates. */
  readonly chunkIds: readonly string[];
  /** Encrypted bytes stored for this asset (chunks shared with other assets counted once here). */
  readonly storedSize: number;

  /** @internal Made by `db.uploadAsset` / `AssetSession`. */
  constructor(manifest: AssetManifest, chunkIds: readonly string[], storedSize: number) {
    manifests.set(this, manifest);
    this.fileName = manifest.fileName;
    this.contentType = manifest.contentType;
    this.size = manifest.fileSize;
    this.chunkIds = Object.freeze([...chunkIds]);
    this.storedSize = storedSize;
  }

  /** Refuses to serialize: an asset reaches the wire only sealed by the record codec. */
  toJSON(): never {
    throw new InvalidFieldError(this.fileName === '' ? 'asset' : this.fileName, 'a CofferAsset is not JSON: put it in an ASSET field of a record and save the record');
  }
}

/** @internal The asset's plaintext manifest (secret). */
export function manifestOfAsset(asset: CofferAsset): AssetManifest {
  const manifest = manifests.get(asset);
  if (manifest === undefined) throw new InvalidFieldError('asset', 'not an asset made by uploadAsset');
  return manifest;
}

export function isCofferAsset(value: unknown): value is CofferAsset {
  return value instanceof CofferAsset;
}

/** True when a field value is a CofferAsset or a list holding one (it must be sealed before sending). */
export function holdsPendingAsset(value: unknown): boolean {
  return Array.isArray(value) ? value.some(isCofferAsset) : isCofferAsset(value);
}

/** Parses an ASSET wire value (as found in a fetched record); undefined if it is not a Coffer asset. */
export function asAssetWireValue(value: unknown): AssetWireValue | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.wrappingKey !== 'string' || typeof v.manifest !== 'string' || !Array.isArray(v.chunkIds)) return undefined;
  if (!v.chunkIds.every((id) => typeof id === 'string')) return undefined;
  return { wrappingKey: v.wrappingKey, manifest: v.manifest, chunkIds: v.chunkIds, size: typeof v.size === 'number' ? v.size : 0 };
}
