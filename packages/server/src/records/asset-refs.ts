/**
 * records/modify ↔ the asset module (docs/ASSETS.md "Commit check"): a record whose ASSET
 * or ASSETID fields name chunk ids commits only if every chunk is stored, and its chunk
 * references are written in the same transaction as the record, so the garbage collector
 * never sees a committed record whose chunks it may delete.
 *
 * Two steps, because per-record failures must stay per-record:
 * 1. before the transaction, `assetPrecheck` asks for each record's chunks (which also
 *    extends their lease by the grace period) and fails only that record when one is
 *    missing (VALIDATING_REFERENCE_ERROR);
 * 2. inside the transaction, `assetReferencesHook` re-checks and sets the references of
 *    every written record that has (or had) asset fields; a deletion drops them.
 */
import type { FieldWire } from '@coffer/protocol';
import type { WrittenRecord } from '@coffer/storage';
import { AssetChunksMissingError, AssetValueError, chunkIdsOfFields, type AssetService } from '../assets/index.js';
import type { RequestTarget } from '../http/request-target.js';
import type { DecodedField } from './field-decode.js';
import { RecordError } from './record-error.js';

type AnyFields = Record<string, { type: string; value?: unknown } | null | undefined>;

function hasAssetFields(fields: AnyFields | undefined): boolean {
  return Object.values(fields ?? {}).some((f) => f?.type.startsWith('ASSET') === true);
}

function chunkIdsOf(fields: AnyFields): string[] {
  const wire: Record<string, FieldWire> = {};
  for (const [name, field] of Object.entries(fields)) {
    if (field?.type.startsWith('ASSET') === true && field.value !== undefined) wire[name] = field as FieldWire;
  }
  return chunkIdsOfFields(wire);
}

/** The reference name of a record: stable for the zone incarnation and record name. */
function refOf(zoneId: number, recordName: string): string {
  return `z${zoneId}/${recordName}`;
}

/**
 * Checks the chunks one record's new plaintext fields name.
 * @throws RecordError BAD_REQUEST for malformed asset values or assets outside the private
 *   database; VALIDATING_REFERENCE_ERROR when a chunk is not (completely) uploaded.
 */
export async function assetPrecheck(assets: AssetService | undefined, target: RequestTarget, fields: Record<string, DecodedField>): Promise<void> {
  const plain: AnyFields = {};
  for (const [name, field] of Object.entries(fields)) if (field.kind === 'plain') plain[name] = { type: field.type, value: field.value };
  if (!hasAssetFields(plain)) return;
  let ids: string[];
  try {
    ids = chunkIdsOf(plain);
  } catch (error) {
    if (error instanceof AssetValueError) throw new RecordError('BAD_REQUEST', error.message);
    throw error;
  }
  if (ids.length === 0) return;
  if (assets === undefined || target.scope !== 'private' || target.userRecordName === null) {
    throw new RecordError('BAD_REQUEST', 'asset chunks live in the private database: a record naming chunk ids must be saved there');
  }
  try {
    await assets.assertChunksPresent(target.userRecordName, ids);
  } catch (error) {
    if (error instanceof AssetChunksMissingError) throw new RecordError('VALIDATING_REFERENCE_ERROR', error.reason);
    throw error;
  }
}

/** The `afterWrite` hook of the batch: chunk references of every written record with assets. */
export function assetReferencesHook(assets: AssetService | undefined, target: RequestTarget): ((trx: Parameters<AssetService['commitChunkReferences']>[3], written: readonly WrittenRecord[]) => Promise<void>) | undefined {
  const user = target.userRecordName;
  if (assets === undefined || target.scope !== 'private' || user === null) return undefined;
  return async (trx, written) => {
    for (const { zoneId, record, previous } of written) {
      const now = record.deleted ? undefined : (record.fields as AnyFields);
      if (!hasAssetFields(now) && !hasAssetFields(previous?.fields)) continue;
      // The precheck leased these chunks; re-checking here, inside the transaction, closes the
      // window in which a collector could claim one whose lease just ran out.
      await assets.commitChunkReferences(user, refOf(zoneId, record.recordName), now === undefined ? [] : chunkIdsOf(now), trx);
    }
  };
}
