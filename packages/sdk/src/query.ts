/**
 * `records/query` as an async iterator over pages: each page is one request, the next
 * one follows the server's `continuationMarker` until it is absent. Filter values are
 * given as device values (Date, bigint, …) and converted to the wire here. Encrypted
 * fields cannot be filtered or sorted on — the server cannot read them and answers
 * BAD_REQUEST.
 */
import type { Comparator, FieldType, QueryFilter, QuerySort, RecordsQueryRequest, RecordsQueryResponse } from '@coffer/protocol';
import type { DatabaseContext } from './database-context.js';
import type { CofferError } from './errors.js';
import { isError, recordError } from './modify.js';
import type { CofferRecord, ZoneID } from './record.js';
import type { QueryPage } from './results.js';
import { PageIterator } from './results.js';
import { inferFieldType, normalizeValue, valueToWire, type FieldValue } from './values.js';

export interface QueryFilterInput {
  fieldName: string;
  comparator: Comparator;
  /** A device value, or CloudKit's `{ value, type? }` wire form. */
  fieldValue: FieldValue | { value: unknown; type?: FieldType };
  /** The value's type, when inference would guess wrong (e.g. INT64 for a number). */
  type?: FieldType;
}

export interface Query {
  recordType: string;
  filterBy?: QueryFilterInput[];
  sortBy?: QuerySort[];
}

export interface QueryOptions {
  zoneID?: ZoneID;
  /** Records per page (server maximum 200). */
  resultsLimit?: number;
  /** Fields to return; all when omitted. */
  desiredKeys?: string[];
}

export function performQuery(ctx: DatabaseContext, query: Query, options: QueryOptions = {}): PageIterator<QueryPage> {
  const filterBy = query.filterBy?.map(toWireFilter);
  return new PageIterator(async function* pages() {
    let continuationMarker: string | undefined;
    do {
      const request: RecordsQueryRequest = {
        query: { recordType: query.recordType, ...(filterBy === undefined ? {} : { filterBy }), ...(query.sortBy === undefined ? {} : { sortBy: query.sortBy }) },
      };
      if (options.zoneID !== undefined) request.zoneID = options.zoneID;
      if (options.resultsLimit !== undefined) request.resultsLimit = options.resultsLimit;
      if (options.desiredKeys !== undefined) request.desiredKeys = options.desiredKeys;
      if (continuationMarker !== undefined) request.continuationMarker = continuationMarker;
      const response = await ctx.post<RecordsQueryResponse>('records/query', request);
      const records: CofferRecord[] = [];
      const errors: CofferError[] = [];
      for (const result of response.records) {
        if (isError(result)) errors.push(await recordError(ctx, result, options.zoneID));
        else records.push(await ctx.codec.decode(result, options.zoneID));
      }
      continuationMarker = response.continuationMarker;
      yield { records, errors, ...(continuationMarker === undefined ? {} : { continuationMarker }) };
    } while (continuationMarker !== undefined);
  });
}

function toWireFilter(filter: QueryFilterInput): QueryFilter {
  const raw = filter.fieldValue;
  if (isWireForm(raw)) {
    const type = filter.type ?? raw.type;
    return { comparator: filter.comparator, fieldName: filter.fieldName, fieldValue: { value: raw.value as QueryFilter['fieldValue']['value'], ...(type === undefined ? {} : { type }) } };
  }
  const type = filter.type ?? inferFieldType(filter.fieldName, raw);
  const value = valueToWire(filter.fieldName, type, normalizeValue(filter.fieldName, type, raw));
  return { comparator: filter.comparator, fieldName: filter.fieldName, fieldValue: { value, type } };
}

/** `{ value: … }` with nothing else that would make it a Location or Reference. */
function isWireForm(value: unknown): value is { value: unknown; type?: FieldType } {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date) && !(value instanceof Uint8Array) && 'value' in value;
}
