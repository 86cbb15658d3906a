/**
 * Why a zone the caller names is unavailable, for the record paths (records/*, zones/*,
 * changes/*): CloudKit's ZONE_NOT_FOUND reasons that SDKs branch on.
 *  - userDeletedZone: the zone's tombstone is there — the user deleted it;
 *  - userDidResetEncryptedDataKey: the zone's newest zone key is wrapped by a service key
 *    that a keychain reset retired — nobody can read it any more; the SDK deletes,
 *    recreates and re-uploads from its local cache.
 * Exported for the records code as `rejectUnavailableZone(...)`; one indexed lookup.
 */
import { ErrorReasons } from '@coffer/protocol';
import type { Store, ZoneInfo } from '@coffer/storage';
import { CloudError } from '../http/cloud-error.js';

export type ZoneUnavailableReason = (typeof ErrorReasons)[keyof typeof ErrorReasons];

/** The service key wrapping the zone's newest key, if the zone has keys. */
function newestServiceKeyId(zoneKeys: unknown): string | null {
  if (!Array.isArray(zoneKeys)) return null;
  let best: { version: number; serviceKeyId: string } | null = null;
  for (const k of zoneKeys as unknown[]) {
    const key = k as { version?: unknown; serviceKeyId?: unknown } | null;
    if (typeof key?.version !== 'number' || typeof key.serviceKeyId !== 'string') continue;
    if (best === null || key.version > best.version) best = { version: key.version, serviceKeyId: key.serviceKeyId };
  }
  return best?.serviceKeyId ?? null;
}

/** The reason the zone is unavailable, or null when it is live and readable (or simply absent). */
export async function zoneResetState(store: Store, owner: string, zone: ZoneInfo | null): Promise<ZoneUnavailableReason | null> {
  if (!zone) return null;
  if (zone.deleted) return ErrorReasons.userDeletedZone;
  if (owner === '') return null; // the public database has no per-user keys
  const keyId = newestServiceKeyId(zone.zoneKeys);
  if (keyId === null) return null;
  return (await store.devices.resets.retired(owner, [keyId])).has(keyId) ? ErrorReasons.userDidResetEncryptedDataKey : null;
}

/** Throws ZONE_NOT_FOUND with the fixed reason when the zone is deleted or reset; returns otherwise. */
export async function rejectUnavailableZone(store: Store, owner: string, zoneName: string, ownerRecordName: string, zone: ZoneInfo | null): Promise<void> {
  const reason = await zoneResetState(store, owner, zone);
  if (reason !== null) throw new CloudError('ZONE_NOT_FOUND', reason, { zoneID: { zoneName, ownerRecordName } });
}
