/**
 * records/query: filterBy/sortBy/resultsLimit/desiredKeys, paged with an opaque
 * continuationMarker (an HMAC'd seek position bound to the zone and the exact query).
 */
import { createHash } from 'node:crypto';
import { Limits, isValidName, type RecordsQueryRequest, type RecordsQueryResponse } from '@coffer/protocol';
import type { QueryCursor } from '@coffer/storage';
import { badRequest } from '../http/cloud-error.js';
import { zoneIdFor, type RequestTarget } from '../http/request-target.js';
import type { ApiContext } from '../routes/api-context.js';
import { openForPlainClient } from './escrow-bridge.js';
import { ensureQueryable } from './query-indexes.js';
import { planFilter, planSort } from './query-plan.js';
import { encodeRecord } from './record-encode.js';
import { resolveZone } from './zone-resolve.js';

interface MarkerPayload { v: 1; k: 'query'; z: number; i: number; h: string; c: QueryCursor }

function queryHash(body: RecordsQueryRequest): string {
  const { recordType, filterBy, sortBy } = body.query;
  return createHash('sha256').update(JSON.stringify([recordType, filterBy ?? [], sortBy ?? []])).digest('base64url').slice(0, 22);
}

function isCursor(value: unknown): value is QueryCursor {
  if (typeof value !== 'object' || value === null) return false;
  const c = value as Record<string, unknown>;
  return typeof c.id === 'number' && Number.isSafeInteger(c.id) && Array.isArray(c.keys) && c.keys.every((k) => k === null || typeof k === 'string' || typeof k === 'number');
}

export async function queryRecords(ctx: ApiContext, target: RequestTarget, body: RecordsQueryRequest): Promise<RecordsQueryResponse> {
  const zone = await resolveZone(ctx, target, body.zoneID);
  const { recordType } = body.query;
  if (!isValidName('recordType', recordType)) throw badRequest('query.recordType is invalid: use a letter followed by letters, digits or _');
  const schema = await ctx.store.schema.get(target.container, target.environment, [recordType]);
  if (!schema.has(recordType)) throw badRequest(`Did not find record type: ${recordType}`);

  await ensureQueryable(ctx, target, recordType, schema, body.query.filterBy ?? [], body.query.sortBy ?? []);
  const filters = (body.query.filterBy ?? []).map((f) => planFilter(schema, recordType, f));
  const sorts = (body.query.sortBy ?? []).map((s) => planSort(schema, recordType, s));
  const limit = Math.min(body.resultsLimit ?? Limits.recordsPerResponse, Limits.recordsPerResponse);
  const hash = queryHash(body);

  let after: QueryCursor | undefined;
  if (body.continuationMarker !== undefined) {
    const p = ctx.tokens.open(body.continuationMarker, 'continuationMarker');
    if (p.v !== 1 || p.k !== 'query' || p.z !== zone.zoneId || p.i !== zone.zone.incarnation || p.h !== hash || !isCursor(p.c) || p.c.keys.length !== sorts.length) {
      throw badRequest('continuationMarker belongs to another query or zone; send it with the exact query that returned it');
    }
    after = p.c;
  }

  const page = await ctx.store.records.query(zone.zoneId, { recordType, filters, sorts, limit, ...(after ? { after } : {}) });
  const zoneID = zoneIdFor(target, zone.zoneName);
  const records = [];
  for (const record of page.records) {
    const opened = await openForPlainClient(ctx.escrow, ctx.store, target, zone.databaseId, zone.zoneName, record);
    records.push(encodeRecord(record, { zoneID, desiredKeys: body.desiredKeys, numbersAsStrings: body.numbersAsStrings === true, opened }));
  }
  const response: RecordsQueryResponse = { records };
  if (page.next) {
    const payload: MarkerPayload = { v: 1, k: 'query', z: zone.zoneId, i: zone.zone.incarnation, h: hash, c: page.next };
    response.continuationMarker = ctx.tokens.seal(payload);
  }
  return response;
}
