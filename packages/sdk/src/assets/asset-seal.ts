/**
 * An asset's manifest ↔ its ASSET field value. Sealing makes a fresh random asset key,
 * encrypts the manifest under it for exactly one record field and list position (Asset
 * manifest v1: the AD binds container, database, zone, owner, record, field, position),
 * and wraps the asset key with the record key — so the key travels in the record's
 * encrypted part and the server sees only chunk ids and stored sizes.
 */
import {
  assetChunkCiphertextSize,
  decryptAssetManifest,
  DecryptionError,
  encryptAssetManifest,
  generateKey,
  unwrapKey,
  wrapKey,
  type AssetContext,
  type AssetManifest,
  type SymmetricKey,
} from '@coffer/crypto';
import { fromBase64, toBase64 } from '../base64.js';
import { manifestOfAsset, type AssetWireValue, type CofferAsset } from './asset-value.js';

/** The wire value of `asset` in field `ctx.fieldName` (position `ctx.position`) of a record keyed by `recordKey`. */
export function sealAsset(asset: CofferAsset, recordKey: SymmetricKey, ctx: AssetContext): AssetWireValue {
  const manifest = manifestOfAsset(asset);
  // A fresh key per seal: each (record, field, position) gets its own envelope and key.
  const assetKey = generateKey('asset');
  return {
    wrappingKey: toBase64(wrapKey(recordKey, assetKey)),
    manifest: toBase64(encryptAssetManifest(assetKey, ctx, manifest)),
    chunkIds: [...asset.chunkIds],
    size: asset.storedSize,
  };
}

/**
 * The manifest of an ASSET wire value.
 * @throws DecryptionError when the wrapped key or the manifest does not open for this
 *   record key and context (tampered, moved to another record/field/position, or swapped).
 */
export function openAsset(value: AssetWireValue, recordKey: SymmetricKey, ctx: AssetContext): AssetManifest {
  let wrapped: Uint8Array;
  let envelope: Uint8Array;
  try {
    wrapped = fromBase64(value.wrappingKey);
    envelope = fromBase64(value.manifest);
  } catch {
    throw new DecryptionError('asset value');
  }
  return decryptAssetManifest(unwrapKey(recordKey, wrapped, 'asset'), ctx, envelope);
}

/** Encrypted bytes the server stores for these chunks (each distinct chunk once). */
export function storedSizeOf(chunks: readonly { id: string; size: number }[]): number {
  const seen = new Set<string>();
  let total = 0;
  for (const chunk of chunks) {
    if (seen.has(chunk.id)) continue;
    seen.add(chunk.id);
    total += assetChunkCiphertextSize(chunk.size);
  }
  return total;
}
