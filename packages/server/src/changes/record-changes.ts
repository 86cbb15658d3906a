/**
 * records/changes and changes/zone: every record changed in a zone since a syncToken,
 * deletions as `deleted: true`, oldest change first, `moreComing` while pages remain.
 * Applying all pages from an empty token reproduces the zone exactly (see
 * storage records.changes for why this holds under concurrent writers).
 */
import { Limits, type ErrorEnvelope, type RecordsChangesRequest, type RecordsChangesResponse, type ZoneChangesRequest, type ZoneChangesResponse } from '@coffer/protocol';
import { CloudError } from '../http/cloud-error.js';
import { zoneIdFor, type RequestTarget } from '../http/request-target.js';
import { openForPlainClient } from '../records/escrow-bridge.js';
import { encodeRecord } from '../records/record-encode.js';
import { resolveZone } from '../records/zone-resolve.js';
import type { ApiContext } from '../routes/api-context.js';
import { openZoneToken, sealZoneToken } from '../tokens/sync-token.js';

/**
 * Where the next page starts. On the last page the token moves up to the database's
 * counter as read before the page was fetched: every write numbered up to it had
 * committed by then (writers commit in sequence order), so nothing is skipped, and an
 * idle zone's token keeps pace with the database (it never falls below purged history).
 */
export function nextPosition(page: { lastSeq: number; moreComing: boolean }, databaseSeqBefore: number): number {
  return page.moreComing ? page.lastSeq : Math.max(page.lastSeq, databaseSeqBefore);
}

export async function recordChanges(ctx: ApiContext, target: RequestTarget, request: RecordsChangesRequest, numbersAsStrings: boolean): Promise<RecordsChangesResponse> {
  const zone = await resolveZone(ctx, target, request.zoneID);
  const after = openZoneToken(ctx.tokens, request.syncToken, zone.zone, zone.database);
  const limit = Math.min(request.resultsLimit ?? Limits.recordsPerResponse, Limits.recordsPerResponse);
  const page = await ctx.store.records.changes(zone.zoneId, after, limit);
  const zoneID = zoneIdFor(target, zone.zoneName);
  const records = [];
  for (const record of page.records) {
    const opened = await openForPlainClient(ctx.escrow, ctx.store, target, zone.databaseId, zone.zoneName, record);
    records.push(encodeRecord(record, { zoneID, desiredKeys: request.desiredKeys, numbersAsStrings, opened }));
  }
  return { zoneID, records, syncToken: sealZoneToken(ctx.tokens, zone.zone, nextPosition(page, zone.database.seq)), moreComing: page.moreComing };
}

/** changes/zone: several zones at once; a failing zone gets its own error entry. */
export async function zoneChanges(ctx: ApiContext, target: RequestTarget, request: ZoneChangesRequest & { numbersAsStrings?: boolean }): Promise<ZoneChangesResponse> {
  const zones: (RecordsChangesResponse | ErrorEnvelope)[] = [];
  for (const entry of request.zones) {
    try {
      zones.push(await recordChanges(ctx, target, entry, request.numbersAsStrings === true));
    } catch (error) {
      if (!(error instanceof CloudError) || error.statusCode >= 500) throw error;
      zones.push({ ...error.toEnvelope(), zoneID: { zoneName: entry.zoneID.zoneName, ownerRecordName: target.ownerRecordName } });
    }
  }
  return { zones };
}
