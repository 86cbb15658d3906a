/**
 * After a keychain reset (a user with no device and no recovery method started over with
 * new keys), zones sealed under the old keys answer ZONE_NOT_FOUND with reason
 * `userDidResetEncryptedDataKey` (`ZoneNotFoundError.userDidResetEncryptedDataKey`). Their
 * data is lost on the server; an app that keeps a local cache re-uploads it with
 * {@link recreateZoneFromCache}. A zone the user deleted answers the distinct
 * `userDeletedZone`: nothing is re-uploaded unless the caller confirms.
 */
import { InvalidArgumentError, PartialFailureError } from '../errors.js';
import { CofferRecord, type FieldMap } from '../record.js';
import type { RecordsResult } from '../results.js';
import type { Database } from '../database.js';
import { ZoneNotFoundError } from '../server-errors.js';
import type { ZoneRef } from '../zones.js';
import type { FieldValue } from '../values.js';

/** The ZoneNotFoundError in `error`: itself, or the first one of a partial failure's per-record errors. */
export function zoneNotFoundIn(error: unknown): ZoneNotFoundError | undefined {
  if (error instanceof ZoneNotFoundError) return error;
  if (error instanceof PartialFailureError) return error.errors.find((e): e is ZoneNotFoundError => e instanceof ZoneNotFoundError);
  return undefined;
}

/** True for the ZONE_NOT_FOUND a keychain reset causes (re-upload from the local cache); also inside a partial failure. */
export function isEncryptedDataResetError(error: unknown): boolean {
  return zoneNotFoundIn(error)?.userDidResetEncryptedDataKey === true;
}

/** True for the ZONE_NOT_FOUND of a zone the user deleted (ask before doing anything); also inside a partial failure. */
export function isUserDeletedZoneError(error: unknown): boolean {
  return zoneNotFoundIn(error)?.userDeletedZone === true;
}

export interface RecreateOptions {
  /** Re-upload even though the user deleted the zone (only after asking them). */
  confirmUserDeletedZone?: boolean;
}

/**
 * Deletes the zone (clearing the reset marker), creates it again with new zone keys under
 * the current service key, and saves `records` (the app's local copies) into it as new
 * records. Checks the zone's state first:
 * - `userDidResetEncryptedDataKey` → recreate;
 * - `userDeletedZone` → refused unless `confirmUserDeletedZone`;
 * - the zone is fine, or missing for another reason → refused (nothing to recover).
 */
export async function recreateZoneFromCache(db: Database, zone: ZoneRef, records: readonly CofferRecord[], options: RecreateOptions = {}): Promise<RecordsResult> {
  const lookup = await db.fetchRecordZones(zone);
  const outcome = lookup.outcomes[0];
  if (outcome === undefined) throw new InvalidArgumentError('the server did not answer for the zone');
  if (outcome.ok) throw new InvalidArgumentError('the zone is readable: nothing to recreate');
  const error = outcome.error;
  if (isUserDeletedZoneError(error)) {
    if (options.confirmUserDeletedZone !== true) throw new InvalidArgumentError('the user deleted this zone: ask them before re-uploading (confirmUserDeletedZone)');
  } else if (!isEncryptedDataResetError(error)) {
    throw new InvalidArgumentError(`the zone cannot be recreated from the cache: ${error.message}`);
  }
  await db.deleteRecordZones(zone);
  (await db.saveRecordZones(zone)).throwIfErrors();
  const zoneID = typeof zone === 'string' ? { zoneName: zone } : zone;
  const copies = records.map((r) => new CofferRecord({
    recordType: r.recordType,
    recordName: r.recordName,
    zoneID,
    fields: defined(r.fields),
    encryptedValues: defined(r.encryptedValues),
  }));
  const saved = await db.saveRecords(copies);
  return saved.throwIfErrors();
}

function defined(map: FieldMap): Record<string, FieldValue> {
  const out: Record<string, FieldValue> = {};
  for (const [name, value] of Object.entries(map)) if (value !== undefined) out[name] = value;
  return out;
}
