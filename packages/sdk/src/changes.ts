/**
 * Change tracking as async iterators. `fetchZoneChanges` pages through `records/changes`
 * from a sync token: apply each page, persist its `syncToken`, and you converge on the
 * server's state (deletions arrive as `deleted` names). `fetchDatabaseChanges` does the
 * same for zones (`changes/database`).
 */
import type { DatabaseChangesResponse, RecordsChangesRequest, RecordsChangesResponse, ZoneChangesRequest, ZoneChangesResponse, ZoneIDWire, ZonesChangesRequest } from '@coffer/protocol';
import { errorFromEnvelope } from './server-errors.js';
import type { DatabaseContext } from './database-context.js';
import type { CofferRecord, ZoneID } from './record.js';
import { PageIterator, type DatabaseChangesPage, type Outcome, type ZoneChangesPage } from './results.js';
import { toRecordZone } from './zones.js';

export interface ZoneChangesOptions {
  /** Where the previous sync ended; omit to fetch everything. */
  syncToken?: string;
  /** Records per page. */
  resultsLimit?: number;
  desiredKeys?: string[];
}

export function fetchZoneChanges(ctx: DatabaseContext, zoneID: ZoneID, options: ZoneChangesOptions = {}): PageIterator<ZoneChangesPage> {
  return new PageIterator(async function* pages() {
    let syncToken = options.syncToken;
    for (;;) {
      const request: RecordsChangesRequest = { zoneID: { ...zoneID } };
      if (syncToken !== undefined) request.syncToken = syncToken;
      if (options.resultsLimit !== undefined) request.resultsLimit = options.resultsLimit;
      if (options.desiredKeys !== undefined) request.desiredKeys = options.desiredKeys;
      const response = await ctx.post<RecordsChangesResponse>('records/changes', request);
      syncToken = response.syncToken;
      yield await toPage(ctx, response, zoneID);
      if (!response.moreComing) return;
    }
  });
}

export interface DatabaseChangesOptions {
  syncToken?: string;
  resultsLimit?: number;
}

export function fetchDatabaseChanges(ctx: DatabaseContext, options: DatabaseChangesOptions = {}): PageIterator<DatabaseChangesPage> {
  return new PageIterator(async function* pages() {
    let syncToken = options.syncToken;
    for (;;) {
      const request: ZonesChangesRequest = {};
      if (syncToken !== undefined) request.syncToken = syncToken;
      if (options.resultsLimit !== undefined) request.resultsLimit = options.resultsLimit;
      const response = await ctx.post<DatabaseChangesResponse>('changes/database', request);
      syncToken = response.syncToken;
      yield { zones: response.zones.map((z) => toRecordZone(ctx, z)), syncToken: response.syncToken, moreComing: response.moreComing };
      if (!response.moreComing) return;
    }
  });
}

/** One zone of a multi-zone changes request. */
export interface RecordZoneChangesRequest {
  zoneID: ZoneID;
  syncToken?: string;
  resultsLimit?: number;
  desiredKeys?: string[];
}

/**
 * CloudKit JS `fetchRecordZoneChanges`: one page of changes for each of several zones in a
 * single request (`changes/zone`). A zone whose page has `moreComing` is continued with
 * {@link fetchZoneChanges} from that page's token; a zone that fails (e.g. ZONE_NOT_FOUND,
 * CHANGE_TOKEN_EXPIRED) is an error outcome without failing the others.
 */
export async function fetchRecordZoneChanges(ctx: DatabaseContext, zones: readonly RecordZoneChangesRequest[]): Promise<Outcome<ZoneChangesPage>[]> {
  const request: ZoneChangesRequest = { zones: zones.map((z) => ({ ...z, zoneID: { ...z.zoneID } })) };
  const response = await ctx.post<ZoneChangesResponse>('changes/zone', request);
  const out: Outcome<ZoneChangesPage>[] = [];
  for (const [i, result] of response.zones.entries()) {
    if ('serverErrorCode' in result) out.push({ ok: false, error: errorFromEnvelope(result) });
    else out.push({ ok: true, value: await toPage(ctx, result, zones[i]?.zoneID ?? result.zoneID) });
  }
  return out;
}

async function toPage(ctx: DatabaseContext, response: RecordsChangesResponse, requested: ZoneIDWire): Promise<ZoneChangesPage> {
  const zone = response.zoneID ?? requested;
  const records: CofferRecord[] = [];
  for (const wire of response.records) records.push(await ctx.codec.decode(wire, zone));
  return {
    zoneID: ctx.codec.resolveZone(zone),
    changed: records.filter((r) => !r.deleted),
    deleted: records.filter((r) => r.deleted).map((r) => r.recordName),
    records,
    syncToken: response.syncToken,
    moreComing: response.moreComing,
  };
}
