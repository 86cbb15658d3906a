/**
 * Zone operations. Zones the SDK creates in the private database carry their first
 * zone key, generated on the device and wrapped by the container's service key, so the
 * server stores only the wrapped form.
 */
import {
  DEFAULT_ZONE_NAME,
  type ZoneIDWire,
  type ZoneOperation,
  type ZoneResult,
  type ZonesListResponse,
  type ZonesLookupResponse,
  type ZonesModifyResponse,
  type ZoneWire,
} from '@coffer/protocol';
import type { DatabaseContext } from './database-context.js';
import { InvalidArgumentError } from './errors.js';
import type { ZoneID } from './record.js';
import { ZonesResult, type Outcome, type RecordZone } from './results.js';
import { errorFromEnvelope } from './server-errors.js';

/** A zone name, or a zone id. */
export type ZoneRef = string | ZoneID;

export function toZoneID(ref: ZoneRef): ZoneIDWire {
  return typeof ref === 'string' ? { zoneName: ref } : { ...ref };
}

/** Creates zones (private database: with device-generated zone keys). */
export async function saveRecordZones(ctx: DatabaseContext, refs: readonly ZoneRef[]): Promise<ZonesResult> {
  const operations: ZoneOperation[] = [];
  for (const ref of refs) {
    const zoneID = toZoneID(ref);
    if (zoneID.zoneName === DEFAULT_ZONE_NAME) throw new InvalidArgumentError('the default zone always exists and cannot be created');
    const zone: ZoneWire = { zoneID };
    if (ctx.keyring !== undefined) zone.zoneKeys = await ctx.keyring.newZoneKeys();
    operations.push({ operationType: 'create', zone });
  }
  const response = await ctx.post<ZonesModifyResponse>('zones/modify', { operations });
  const result = toResult(ctx, response.zones);
  // Prime the keyring with what the server stored (the keys we sent, or an existing zone's).
  for (const zone of response.zones) {
    if (!isError(zone) && zone.zoneKeys !== undefined && zone.zoneKeys.length > 0) ctx.keyring?.remember(zone.zoneID, zone.zoneKeys);
  }
  return result;
}

export async function fetchRecordZones(ctx: DatabaseContext, refs: readonly ZoneRef[]): Promise<ZonesResult> {
  const response = await ctx.post<ZonesLookupResponse>('zones/lookup', { zones: refs.map(toZoneID) });
  return toResult(ctx, response.zones);
}

export async function deleteRecordZones(ctx: DatabaseContext, refs: readonly ZoneRef[]): Promise<ZonesResult> {
  const zoneIDs = refs.map(toZoneID);
  const response = await ctx.post<ZonesModifyResponse>('zones/modify', {
    operations: zoneIDs.map((zoneID): ZoneOperation => ({ operationType: 'delete', zone: { zoneID } })),
  });
  for (const zoneID of zoneIDs) ctx.keyring?.forget(ctx.codec.resolveZone(zoneID));
  return toResult(ctx, response.zones);
}

export async function fetchAllRecordZones(ctx: DatabaseContext): Promise<RecordZone[]> {
  const response = await ctx.get<ZonesListResponse>('zones/list');
  return response.zones.map((zone) => toRecordZone(ctx, zone));
}

export function toRecordZone(ctx: DatabaseContext, zone: ZoneWire): RecordZone {
  const out: RecordZone = { zoneID: ctx.codec.resolveZone(zone.zoneID) };
  if (zone.syncToken !== undefined) out.syncToken = zone.syncToken;
  if (zone.atomic !== undefined) out.atomic = zone.atomic;
  if (zone.deleted !== undefined) out.deleted = zone.deleted;
  return out;
}

function toResult(ctx: DatabaseContext, zones: readonly ZoneResult[]): ZonesResult {
  return new ZonesResult(
    zones.map((zone): Outcome<RecordZone> => (isError(zone) ? { ok: false, error: errorFromEnvelope(zone) } : { ok: true, value: toRecordZone(ctx, zone) })),
  );
}

function isError(zone: ZoneResult): zone is Exclude<ZoneResult, ZoneWire> {
  return 'serverErrorCode' in zone;
}
