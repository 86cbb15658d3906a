/** records/lookup: records by name; missing and deleted ones are per-record NOT_FOUND. */
import { NamePatterns, isValidName, type RecordResult, type RecordsLookupRequest, type RecordsLookupResponse } from '@coffer/protocol';
import { errorEnvelope } from '../http/cloud-error.js';
import { zoneIdFor, type RequestTarget } from '../http/request-target.js';
import type { ApiContext } from '../routes/api-context.js';
import { openForPlainClient } from './escrow-bridge.js';
import { encodeRecord } from './record-encode.js';
import { resolveWriteZone } from './zone-resolve.js';

export async function lookupRecords(ctx: ApiContext, target: RequestTarget, body: RecordsLookupRequest): Promise<RecordsLookupResponse> {
  const zone = await resolveWriteZone(ctx, target, body.zoneID);
  if ('error' in zone) {
    return { records: body.records.map((r) => errorEnvelope(zone.error.serverErrorCode, zone.error.reason, { ...zone.error.extras, recordName: r.recordName })) };
  }
  const zoneID = zoneIdFor(target, zone.zoneName);
  const names = body.records.map((r) => r.recordName).filter((n) => isValidName('recordName', n));
  const found = await ctx.store.records.lookup(zone.zoneId, names);
  const records: RecordResult[] = [];
  for (const { recordName } of body.records) {
    if (!NamePatterns.recordName.test(recordName)) {
      records.push(errorEnvelope('BAD_REQUEST', 'recordName is invalid: use 1–255 printable ASCII characters', { recordName: recordName.slice(0, 255) }));
      continue;
    }
    const record = found.get(recordName);
    if (!record || record.deleted) {
      records.push(errorEnvelope('NOT_FOUND', `record ${recordName} does not exist`, { recordName }));
      continue;
    }
    const opened = await openForPlainClient(ctx.escrow, ctx.store, target, zone.databaseId, zone.zoneName, record);
    records.push(encodeRecord(record, { zoneID, desiredKeys: body.desiredKeys, numbersAsStrings: body.numbersAsStrings === true, opened }));
  }
  return { records };
}
