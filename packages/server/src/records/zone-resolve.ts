/** The zone a record request addresses, checked to exist (foreign and missing zones look the same). */
import type { ZoneIDWire } from '@coffer/protocol';
import type { DatabaseInfo, ZoneInfo } from '@coffer/storage';
import { CloudError, zoneNotFound } from '../http/cloud-error.js';
import { zoneNameOf, type RequestTarget } from '../http/request-target.js';
import { rejectUnavailableZone } from '../devices/index.js';
import type { ApiContext } from '../routes/api-context.js';

export interface ResolvedZone {
  database: DatabaseInfo;
  databaseId: number;
  zone: ZoneInfo;
  zoneId: number;
  zoneName: string;
}

/** For per-record answers: a missing zone is a value, not an exception. */
export async function resolveWriteZone(ctx: ApiContext, target: RequestTarget, zoneID: ZoneIDWire | undefined): Promise<ResolvedZone | { error: CloudError }> {
  try {
    return await resolveZone(ctx, target, zoneID);
  } catch (error) {
    if (error instanceof CloudError && error.serverErrorCode === 'ZONE_NOT_FOUND') return { error };
    throw error;
  }
}

/** Throws ZONE_NOT_FOUND (top-level) when the zone does not exist for the caller. */
export async function resolveZone(ctx: ApiContext, target: RequestTarget, zoneID: ZoneIDWire | undefined): Promise<ResolvedZone> {
  const zoneName = zoneNameOf(target, zoneID);
  const database = await ctx.store.databases.ensure(target.ref);
  const zone = await ctx.store.zones.find(database.id, zoneName);
  await rejectUnavailableZone(ctx.store, target.ref.owner, zoneName, target.ownerRecordName, zone); // deleted or reset: ZONE_NOT_FOUND with its reason
  if (!zone || zone.deleted) throw zoneNotFound(zoneName, target.ownerRecordName);
  return { database, databaseId: database.id, zone, zoneId: zone.id, zoneName };
}
