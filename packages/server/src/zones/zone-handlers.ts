/**
 * zones/list, zones/lookup, zones/modify, zones/changes (= changes/database).
 * `_defaultZone` exists in every database and cannot be created or deleted; the public
 * database has only it; the shared database is empty until sharing lands.
 */
import {
  DEFAULT_ZONE_NAME,
  Limits,
  NamePatterns,
  type ZoneResult,
  type ZonesChangesRequest,
  type ZonesChangesResponse,
  type ZonesListResponse,
  type ZonesLookupRequest,
  type ZonesLookupResponse,
  type ZonesModifyRequest,
  type ZonesModifyResponse,
} from '@coffer/protocol';
import { CloudError, errorEnvelope, zoneNotFound } from '../http/cloud-error.js';
import { zoneNameOf, type RequestTarget } from '../http/request-target.js';
import { rejectUnavailableZone } from '../devices/index.js';
import type { ApiContext } from '../routes/api-context.js';
import { nextPosition } from '../changes/record-changes.js';
import { openDatabaseToken, sealDatabaseToken } from '../tokens/sync-token.js';
import { encodeZone } from './zone-encode.js';
import { mergeZoneKeys } from './zone-keys.js';

export async function listZones(ctx: ApiContext, target: RequestTarget): Promise<ZonesListResponse> {
  if (target.scope === 'shared') return { zones: [] };
  const database = await ctx.store.databases.ensure(target.ref);
  return { zones: (await ctx.store.zones.list(database.id)).map((z) => encodeZone(target, z)) };
}

export async function lookupZones(ctx: ApiContext, target: RequestTarget, body: ZonesLookupRequest): Promise<ZonesLookupResponse> {
  const database = await ctx.store.databases.ensure(target.ref);
  const zones: ZoneResult[] = [];
  for (const zoneID of body.zones) {
    try {
      const zoneName = zoneNameOf(target, zoneID);
      const zone = await ctx.store.zones.find(database.id, zoneName);
      await rejectUnavailableZone(ctx.store, target.ref.owner, zoneName, target.ownerRecordName, zone); // deleted or reset: its reason
      if (!zone || zone.deleted) throw zoneNotFound(zoneName, target.ownerRecordName);
      zones.push(encodeZone(target, zone));
    } catch (error) {
      if (!(error instanceof CloudError)) throw error;
      zones.push(errorEnvelope(error.serverErrorCode, error.reason, { zoneID: { zoneName: zoneID.zoneName, ownerRecordName: zoneID.ownerRecordName ?? target.ownerRecordName } }));
    }
  }
  return { zones };
}

function checkZoneName(target: RequestTarget, zoneName: string): void {
  if (zoneName === DEFAULT_ZONE_NAME) throw new CloudError('BAD_REQUEST', `${DEFAULT_ZONE_NAME} always exists and cannot be created or deleted`);
  if (target.scope !== 'private') throw new CloudError('BAD_REQUEST', `custom zones exist only in the private database; the ${target.scope} database has only ${DEFAULT_ZONE_NAME}`);
  if (!NamePatterns.zoneName.test(zoneName)) {
    throw new CloudError(
      'BAD_REQUEST',
      zoneName.length > Limits.nameLength
        ? `zoneName is longer than ${Limits.nameLength} characters`
        : 'zoneName is invalid: start with a letter or digit, then letters, digits, ".", "_" or "-" (a leading "_" is reserved)',
    );
  }
}

export async function modifyZones(ctx: ApiContext, target: RequestTarget, body: ZonesModifyRequest): Promise<ZonesModifyResponse> {
  const database = await ctx.store.databases.ensure(target.ref);
  const zones: ZoneResult[] = [];
  for (const { operationType, zone } of body.operations) {
    try {
      const zoneName = zoneNameOf(target, zone.zoneID);
      checkZoneName(target, zoneName);
      if (operationType === 'create') {
        const { zone: created } = await ctx.store.zones.create(database.id, zoneName, { atomic: zone.atomic !== false, zoneKeys: zone.zoneKeys ?? null });
        zones.push(encodeZone(target, created));
      } else if (operationType === 'update') {
        const updated = await ctx.store.zones.updateKeys(database.id, zoneName, (current) => mergeZoneKeys(current, zone.zoneKeys ?? []));
        if (!updated) throw zoneNotFound(zoneName, target.ownerRecordName);
        zones.push(encodeZone(target, updated));
      } else {
        const deleted = await ctx.store.zones.delete(database.id, zoneName, target.quotaSubject);
        if (!deleted) throw zoneNotFound(zoneName, target.ownerRecordName);
        zones.push({ zoneID: { zoneName, ownerRecordName: target.ownerRecordName }, deleted: true });
      }
    } catch (error) {
      if (!(error instanceof CloudError)) throw error;
      zones.push(errorEnvelope(error.serverErrorCode, error.reason, { zoneID: { zoneName: zone.zoneID.zoneName, ownerRecordName: zone.zoneID.ownerRecordName ?? target.ownerRecordName } }));
    }
  }
  return { zones };
}

export async function zonesChanges(ctx: ApiContext, target: RequestTarget, body: ZonesChangesRequest): Promise<ZonesChangesResponse> {
  const database = await ctx.store.databases.ensure(target.ref);
  const after = openDatabaseToken(ctx.tokens, body.syncToken, database);
  if (target.scope === 'shared') return { zones: [], syncToken: sealDatabaseToken(ctx.tokens, database, after), moreComing: false };
  const limit = Math.min(body.resultsLimit ?? Limits.recordsPerResponse, Limits.recordsPerResponse);
  const page = await ctx.store.zones.changes(database.id, after, limit);
  return {
    zones: page.zones.map((z) => encodeZone(target, z)),
    syncToken: sealDatabaseToken(ctx.tokens, database, nextPosition(page, database.seq)),
    moreComing: page.moreComing,
  };
}

