/**
 * records/modify: decode and check every operation (names, field values, schema,
 * encryption rules), seal plain clients' isEncrypted values through the escrow, then
 * apply the batch in one storage transaction. Per-record failures come back in place;
 * with `atomic: true` any failure means nothing is written and the other operations
 * report ATOMIC_ERROR.
 */
import { Limits, type ErrorEnvelope, type RecordResult, type RecordsModifyRequest, type RecordsModifyResponse } from '@coffer/protocol';
import type { BatchOperation, StoredField, StoredRecord } from '@coffer/storage';
import { errorEnvelope } from '../http/cloud-error.js';
import { zoneIdFor, type RequestTarget } from '../http/request-target.js';
import type { ApiContext } from '../routes/api-context.js';
import { assetPrecheck, assetReferencesHook } from './asset-refs.js';
import { openForPlainClient } from './escrow-bridge.js';
import { decodeField, type DecodedField } from './field-decode.js';
import { decodeRecordHead, reportedName, type RecordHead } from './record-decode.js';
import { encodeRecord } from './record-encode.js';
import { RecordError } from './record-error.js';
import { checkRecordSchema, type PendingSchema } from './schema-check.js';
import { sealRecordFields } from './seal-fields.js';
import { resolveWriteZone } from './zone-resolve.js';

interface Pending {
  index: number;
  head: RecordHead;
  kind: BatchOperation['kind'];
  recordType: string | undefined;
  fields: Record<string, DecodedField>;
  desiredKeys: string[] | undefined;
}

const ATOMIC_REASON = 'atomic batch failed because another operation in it failed; nothing was written';

export async function modifyRecords(ctx: ApiContext, target: RequestTarget, body: RecordsModifyRequest): Promise<RecordsModifyResponse> {
  const results: (RecordResult | undefined)[] = new Array<RecordResult | undefined>(body.operations.length);
  const fail = (i: number, error: RecordError, recordName: string | undefined) => {
    results[i] = errorEnvelope(error.serverErrorCode, error.reason, recordName === undefined ? {} : { recordName });
  };
  const numbersAsStrings = body.numbersAsStrings === true;

  const zone = await resolveWriteZone(ctx, target, body.zoneID);
  if ('error' in zone) {
    return { records: body.operations.map((op) => errorEnvelope(zone.error.serverErrorCode, zone.error.reason, { ...zone.error.extras, ...nameOf(op.record) })) };
  }
  const zoneID = zoneIdFor(target, zone.zoneName);

  // 1. Record heads: names, tags, protectionInfo.
  const pending: Pending[] = [];
  body.operations.forEach((op, index) => {
    try {
      const head = decodeRecordHead(op.record as unknown as Record<string, unknown>, op.operationType, zone.zoneName);
      pending.push({ index, head, kind: op.operationType, recordType: head.recordType, fields: {}, desiredKeys: op.desiredKeys ?? body.desiredKeys });
    } catch (error) {
      if (!(error instanceof RecordError)) throw error;
      fail(index, error, reportedName(op.record));
    }
  });

  // 2. Current records where the request leaves something to them (type of an update, key of a merge).
  const needExisting = pending.filter((p) => p.recordType === undefined || p.kind === 'update' || p.kind === 'forceUpdate').map((p) => p.head.recordName);
  const existing = needExisting.length > 0 ? await ctx.store.records.lookup(zone.zoneId, needExisting) : new Map<string, StoredRecord>();
  for (const p of pending) {
    const current = existing.get(p.head.recordName);
    if (p.recordType === undefined && current && !current.deleted) p.recordType = current.recordType;
  }

  // 3. Fields against the schema; development learns new ones.
  const types = [...new Set(pending.map((p) => p.recordType).filter((t): t is string => t !== undefined))];
  const schema = await ctx.store.schema.get(target.container, target.environment, types);
  const learned: PendingSchema = new Map();
  let valid = pending.filter((p) => {
    try {
      if (p.kind === 'delete' || p.kind === 'forceDelete') return true;
      const schemaType = p.recordType === undefined ? undefined : schema.get(p.recordType);
      for (const [name, raw] of Object.entries(p.head.rawFields ?? {})) {
        const declared = schemaType?.fields.get(name)?.fieldType ?? learned.get(p.recordType ?? '')?.get(name)?.fieldType;
        p.fields[name] = decodeField(name, raw, declared as Parameters<typeof decodeField>[2]);
      }
      if (p.recordType !== undefined) checkRecordSchema({ environment: target.environment, scope: target.scope, schema, pending: learned }, p.recordType, p.fields);
      return true;
    } catch (error) {
      if (!(error instanceof RecordError)) throw error;
      fail(p.index, error, p.head.recordName);
      return false;
    }
  });
  if (learned.size > 0) {
    const stored = await ctx.store.schema.learn(
      target.container,
      target.environment,
      [...learned].map(([recordType, fields]) => ({ recordType, fields: [...fields.values()] })),
    );
    // Another writer may have recorded a field first with another type: re-check against what is stored.
    valid = valid.filter((p) => {
      // `stored` holds only the types learned here; records of other types passed the first check.
      if (p.recordType === undefined || p.kind === 'delete' || p.kind === 'forceDelete' || !learned.has(p.recordType)) return true;
      try {
        checkRecordSchema({ environment: target.environment, scope: target.scope, schema: stored, pending: null }, p.recordType, p.fields);
        return true;
      } catch (error) {
        if (!(error instanceof RecordError)) throw error;
        fail(p.index, error, p.head.recordName);
        return false;
      }
    });
  }

  // 4. Plain clients' isEncrypted values → ciphertext under the zone's keys.
  const operations: { p: Pending; op: BatchOperation }[] = [];
  for (const p of valid) {
    try {
      await assetPrecheck(ctx.assets, target, p.fields);
      const sealed = await sealRecordFields(ctx, target, zone, p, existing.get(p.head.recordName));
      operations.push({ p, op: toBatchOperation(p, sealed.fields, sealed.protection) });
    } catch (error) {
      if (!(error instanceof RecordError)) throw error;
      fail(p.index, error, p.head.recordName);
    }
  }

  if (body.atomic === true && results.some((r) => r !== undefined)) {
    for (const { p } of operations) results[p.index] = errorEnvelope('ATOMIC_ERROR', ATOMIC_REASON, { recordName: p.head.recordName });
    return { records: results.map((r) => r!) };
  }

  // 5. One transaction.
  if (operations.length > 0) {
    const batch = await ctx.store.records.applyBatch({
      databaseId: zone.databaseId,
      zoneName: zone.zoneName,
      atomic: body.atomic === true,
      actor: { userRecordName: target.userRecordName ?? '', deviceId: target.deviceId },
      now: Date.now(),
      quota: { subject: target.quotaSubject, limitBytes: ctx.quotaBytes },
      // Only queryable fields are indexed (records/query makes a field queryable on first use in development).
      index: { container: target.container, environment: target.environment },
      maxRecordBytes: Limits.recordBytes,
      operations: operations.map((o) => o.op),
      ...(target.scope === 'public'
        ? {
            authorize: (current: StoredRecord) =>
              current.created.by === target.userRecordName ? null : `record ${current.recordName} belongs to another user; in the public database only its creator may change or delete it`,
          }
        : {}),
      afterWrite: assetReferencesHook(ctx.assets, target),
      validate: (record) => {
        const encrypted = Object.values(record.fields).some((f) => f.encrypted === true);
        return encrypted && (record.protection === null || record.protection === undefined)
          ? `record ${record.recordName} has encrypted fields but no protectionInfo (the wrapped record key); send protectionInfo`
          : null;
      },
    });
    for (const [i, outcome] of batch.outcomes.entries()) {
      const { p } = operations[i]!;
      if (outcome.ok) {
        const opened = await openForPlainClient(ctx.escrow, ctx.store, target, zone.databaseId, zone.zoneName, outcome.record);
        results[p.index] = encodeRecord(outcome.record, { zoneID, desiredKeys: p.desiredKeys, numbersAsStrings, opened });
      } else {
        const extras: Omit<ErrorEnvelope, 'uuid' | 'serverErrorCode' | 'reason'> = { recordName: outcome.recordName };
        if (outcome.serverRecord) {
          const opened = await openForPlainClient(ctx.escrow, ctx.store, target, zone.databaseId, zone.zoneName, outcome.serverRecord);
          extras.serverRecord = encodeRecord(outcome.serverRecord, { zoneID, numbersAsStrings, opened });
        }
        results[p.index] = errorEnvelope(outcome.code, outcome.reason, extras);
      }
    }
  }
  return { records: results.map((r) => r!) };
}

function nameOf(record: unknown): { recordName?: string } {
  const name = reportedName(record);
  return name === undefined ? {} : { recordName: name };
}

function toBatchOperation(p: Pending, fields: Record<string, StoredField | null>, protection: unknown): BatchOperation {
  const op: BatchOperation = { kind: p.kind, recordName: p.head.recordName };
  if (p.head.recordType !== undefined) op.recordType = p.head.recordType;
  if (p.head.changeTag !== undefined) op.changeTag = p.head.changeTag;
  if (p.kind !== 'delete' && p.kind !== 'forceDelete') {
    op.fields = fields;
    if (protection !== undefined) op.protection = protection;
  }
  return op;
}
