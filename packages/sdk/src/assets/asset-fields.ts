/**
 * ASSET fields of records: sealing `CofferAsset` values when a record is encoded (the
 * record codec calls `sealPendingAssets`) and opening a fetched record's asset for
 * download. Both use the record key, so an asset is exactly as protected as the record's
 * `encryptedValues`: service key → zone key → record key → asset key → manifest → chunks.
 */
import { DecryptionError, type AssetContext, type AssetManifest, type SymmetricKey } from '@coffer/crypto';
import type { FieldWire } from '@coffer/protocol';
import { InvalidArgumentError, InvalidFieldError, KeyUnavailableError } from '../errors.js';
import { getRecordKeyState, type CofferRecord } from '../record.js';
import { openAsset, sealAsset } from './asset-seal.js';
import { asAssetWireValue, holdsPendingAsset, isCofferAsset, manifestOfAsset } from './asset-value.js';

/** Where a record lives: the AD of its assets' manifests, minus field and position. */
export type AssetRecordContext = Omit<AssetContext, 'fieldName' | 'position'>;

/** Names of the record's plaintext fields holding a not-yet-sealed CofferAsset. */
export function pendingAssetFields(record: CofferRecord): string[] {
  return record.plainKeys().filter((name) => holdsPendingAsset(record.fields[name]));
}

/** Replaces each pending asset in `fields` (the wire fields being built) by its sealed value. */
export function sealPendingAssets(fields: Record<string, FieldWire>, record: CofferRecord, names: readonly string[], recordKey: SymmetricKey, at: AssetRecordContext): void {
  if (at.database !== 'private' && names.length > 0) {
    throw new InvalidFieldError(names[0]!, 'assets can only be saved in the private database (their chunks live there)');
  }
  for (const fieldName of names) {
    const value = record.fields[fieldName];
    const type = record.typeOf(fieldName)!;
    const seal = (element: unknown, position: number): unknown =>
      isCofferAsset(element) ? sealAsset(element, recordKey, { ...at, fieldName, position }) : element;
    const sealed = Array.isArray(value) ? value.map(seal) : seal(value, 0);
    fields[fieldName] = { type, value: sealed } as unknown as FieldWire;
  }
}

/**
 * The manifest of a fetched record's asset field.
 * @throws InvalidArgumentError if the field holds no Coffer asset; KeyUnavailableError if
 *   the record has no key on this device; DecryptionError on tampering.
 */
export function openAssetField(record: CofferRecord, fieldName: string, position: number, at: AssetRecordContext): AssetManifest {
  const raw = record.fields[fieldName];
  const element = Array.isArray(raw) ? raw[position] : position === 0 ? raw : undefined;
  // Uploaded on this device: its manifest is at hand and its chunks are on the server.
  if (isCofferAsset(element)) return manifestOfAsset(element);
  const wire = asAssetWireValue(element);
  if (wire === undefined) throw new InvalidArgumentError(`field ${fieldName}${Array.isArray(raw) ? `[${position}]` : ''} of record ${record.recordName} holds no Coffer asset`);
  const keyState = getRecordKeyState(record);
  if (keyState === undefined) {
    // From the server without protectionInfo: an asset value no key opens (stripped or moved).
    if (record.recordChangeTag !== undefined) throw new DecryptionError(`record ${record.recordName}: asset without a record key`);
    throw new KeyUnavailableError(`record ${record.recordName} has no record key on this device: fetch it from the server (fetchRecords/performQuery) before downloading its assets`);
  }
  try {
    return openAsset(wire, keyState.key, { ...at, fieldName, position });
  } catch (error) {
    if (error instanceof DecryptionError) throw error;
    throw new DecryptionError('asset value');
  }
}
