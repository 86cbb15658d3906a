/**
 * records/modify as one transaction: take the database lock, decide each operation
 * against the current state (record-operation.ts), enforce the record-size and quota
 * limits, write records with fresh sequence numbers and change tags, then rewrite the
 * query index of every touched record. An atomic batch with any failure rolls back.
 */
import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { DatabaseSchema } from '../database-schema.js';
import type { DialectKind } from '../dialect/dialect-kind.js';
import { lockDatabase, saveDatabaseSeq } from '../databases/database-repository.js';
import { StorageError } from '../errors.js';
import { addLockedUsage, lockUsage } from '../usage/usage-repository.js';
import { toZoneInfo } from '../zones/zone-rows.js';
import { indexEntriesOf } from './field-index.js';
import { deleteIndexRows, insertIndexRows, toIndexRows, type IndexRow } from './index-writer.js';
import { indexedFieldsIn } from '../schema/schema-repository.js';
import { decide, type BatchFailure, type BatchOperation } from './record-operation.js';
import { changeTagFor, recordSize, toStoredRecord } from './record-rows.js';
import { upsertRecords, type PendingWrite } from './record-writer.js';
import type { RecordsTable, ZonesTable } from './record-tables.js';
import type { DatabaseInfo, StoredRecord, ZoneInfo } from './record-types.js';

export interface BatchInput {
  databaseId: number;
  zoneName: string;
  /** All or nothing: any failure rolls back and the other operations report ATOMIC_ERROR. */
  atomic: boolean;
  actor: { userRecordName: string; deviceId: string };
  now: number;
  quota: { subject: string; limitBytes: number };
  maxRecordBytes: number;
  operations: BatchOperation[];
  /**
   * Checks the record a write would produce (fields after merging). Return a reason to
   * refuse it with BAD_REQUEST — e.g. encrypted fields without protectionInfo.
   */
  validate?: (record: { recordName: string; recordType: string; fields: StoredRecord['fields']; protection: unknown }) => string | null;
  /**
   * May the actor change or delete this existing record? Return a reason to refuse it with
   * ACCESS_DENIED (the public database lets only a record's creator write it).
   */
  authorize?: (current: StoredRecord) => string | null;
  /**
   * Index only the fields the schema of this container and environment marks queryable.
   * Without it every plaintext field of a comparable type is indexed.
   */
  index?: { container: string; environment: string };
  /**
   * Runs inside the transaction once the batch's records are written (never for a batch
   * that writes nothing or an atomic batch that rolls back), with each written record and
   * the version it replaced. The asset module records chunk references here, so a record
   * and the references that keep its chunks alive commit together; a throw rolls back all.
   */
  afterWrite?: (trx: Transaction<DatabaseSchema>, written: readonly WrittenRecord[]) => Promise<void>;
}

/** A record a batch wrote (a deletion is a tombstone) and the live version before the batch, if any. */
export interface WrittenRecord {
  zoneId: number;
  record: StoredRecord;
  previous: StoredRecord | null;
}

export type BatchOutcome = { ok: true; record: StoredRecord } | BatchFailure;

export interface BatchResult {
  zone: ZoneInfo;
  outcomes: BatchOutcome[];
}

class AtomicRollback extends Error {
  constructor(readonly result: BatchResult) {
    super('atomic batch rolled back');
  }
}

interface RowState {
  /** Row id when the record exists in the table (live or tombstone). */
  id: number | null;
  record: StoredRecord;
}

export async function applyBatch(db: Kysely<DatabaseSchema>, kind: DialectKind, input: BatchInput): Promise<BatchResult> {
  try {
    return await db.transaction().execute((trx) => runBatch(trx, kind, input));
  } catch (error) {
    if (!(error instanceof AtomicRollback)) throw error;
    const outcomes = error.result.outcomes.map((o): BatchOutcome =>
      o.ok ? { ok: false, code: 'ATOMIC_ERROR', recordName: o.record.recordName, reason: 'atomic batch failed because another operation in it failed; nothing was written' } : o,
    );
    return { zone: error.result.zone, outcomes };
  }
}

async function runBatch(trx: Transaction<DatabaseSchema>, kind: DialectKind, input: BatchInput): Promise<BatchResult> {
  const names = [...new Set(input.operations.map((op) => op.recordName))];
  const opened = kind === 'postgres' ? await openBatchPostgres(trx, input, names) : await openBatchGeneric(trx, kind, input, names);
  const { info, zone, state } = opened;
  let used = opened.used;
  const usedBefore = used;
  let seq = info.seq;
  // The versions before this batch (state is updated as operations apply).
  const before = new Map(state);

  const outcomes: BatchOutcome[] = [];
  // Final state per record name; written once at the end, whatever the number of operations on it.
  const pending = new Map<string, PendingWrite>();
  const stamp = { at: input.now, by: input.actor.userRecordName, device: input.actor.deviceId };

  for (const op of input.operations) {
    const row = state.get(op.recordName);
    const live = row && !row.record.deleted ? row.record : null;
    const denied = live && op.kind !== 'create' ? (input.authorize?.(live) ?? null) : null;
    if (denied !== null) {
      outcomes.push({ ok: false, code: 'ACCESS_DENIED', recordName: op.recordName, reason: denied });
      continue;
    }
    const decision = decide(op, live);
    if ('ok' in decision) {
      outcomes.push(decision);
      continue;
    }
    const oldSize = live?.size ?? 0;
    let write: PendingWrite;
    if (decision.action === 'delete') {
      write = {
        record: { ...live!, deleted: true, fields: {}, protection: null, size: 0, changeSeq: seq + 1, changeTag: changeTagFor(seq + 1), modified: stamp },
        fieldsJson: '{}',
        protectionJson: null,
      };
    } else {
      const reason = input.validate?.({ recordName: op.recordName, recordType: decision.recordType, fields: decision.fields, protection: decision.protection }) ?? null;
      if (reason !== null) {
        outcomes.push({ ok: false, code: 'BAD_REQUEST', recordName: op.recordName, reason });
        continue;
      }
      const fieldsJson = JSON.stringify(decision.fields);
      const protectionJson = decision.protection === null || decision.protection === undefined ? null : JSON.stringify(decision.protection);
      const size = recordSize(fieldsJson, protectionJson);
      if (size > input.maxRecordBytes) {
        outcomes.push({ ok: false, code: 'LIMIT_EXCEEDED', recordName: op.recordName, reason: `record ${op.recordName} is ${size} bytes; the limit is ${input.maxRecordBytes} bytes per record (assets excluded)` });
        continue;
      }
      if (size > oldSize && used + size - oldSize > input.quota.limitBytes) {
        outcomes.push({ ok: false, code: 'QUOTA_EXCEEDED', recordName: op.recordName, reason: `storage quota of ${input.quota.limitBytes} bytes exceeded (${used} bytes used, this write needs ${size - oldSize} more)` });
        continue;
      }
      write = {
        record: {
          recordName: op.recordName,
          recordType: decision.recordType,
          changeTag: changeTagFor(seq + 1),
          changeSeq: seq + 1,
          deleted: false,
          fields: decision.fields,
          protection: decision.protection ?? null,
          size,
          created: decision.isNew ? stamp : live!.created,
          modified: stamp,
        },
        fieldsJson,
        protectionJson,
      };
    }
    seq += 1;
    used += write.record.size - oldSize;
    pending.delete(op.recordName); // re-insert so the map keeps last-write order
    pending.set(op.recordName, write);
    state.set(op.recordName, { id: row?.id ?? null, record: write.record });
    outcomes.push({ ok: true, record: write.record });
  }

  const result = { zone, outcomes };
  if (input.atomic && outcomes.some((o) => !o.ok)) throw new AtomicRollback(result);
  if (seq > info.seq) {
    const writes = [...pending.values()];
    const ids = await upsertRecords(trx, kind, zone.id, writes);
    // Read under the database lock: see index-backfill.ts for why that matters.
    const queryable = !input.index
      ? null
      : (opened.queryable ?? (await indexedFieldsIn(trx, input.index.container, input.index.environment, [...new Set(writes.map((w) => w.record.recordType))])));
    const rows: IndexRow[] = [];
    for (const { record } of writes) {
      if (record.deleted) continue;
      const entries = indexEntriesOf(record.fields).filter((e) => queryable === null || queryable.has(`${record.recordType}\u0000${e.fieldName}`));
      rows.push(...toIndexRows(kind, ids.get(record.recordName)!, zone.id, record.recordType, entries));
    }
    // Only records that existed before the batch can have old index rows.
    await deleteIndexRows(trx, writes.map((w) => before.get(w.record.recordName)?.id ?? null).filter((id): id is number => id !== null && id !== undefined));
    await insertIndexRows(trx, kind, rows);
    if (kind === 'postgres') {
      // One round trip for the three counters (each row is already locked by this transaction).
      await sql`with d as (update databases set seq = ${seq} where id = ${input.databaseId}),
        z as (update zones set change_seq = ${seq} where id = ${zone.id})
        update usage set bytes = bytes + ${used - usedBefore} where subject = ${input.quota.subject} and ${used !== usedBefore}`.execute(trx);
    } else {
      await saveDatabaseSeq(trx, input.databaseId, seq);
      await trx.updateTable('zones').set({ change_seq: seq }).where('id', '=', zone.id).execute();
      if (used !== usedBefore) await addLockedUsage(trx, input.quota.subject, used - usedBefore);
    }
    if (input.afterWrite !== undefined) {
      await input.afterWrite(trx, writes.map(({ record }) => {
        const old = before.get(record.recordName)?.record;
        return { zoneId: zone.id, record, previous: old === undefined || old.deleted ? null : old };
      }));
    }
  }
  return result;
}

interface OpenedBatch {
  info: DatabaseInfo;
  zone: ZoneInfo;
  /** The quota subject's bytes, its row locked. */
  used: number;
  /** The batch's records as they stand (live or tombstone), by name. */
  state: Map<string, RowState>;
  /** `record_type\0field_name` of every queryable field of the container/environment, when read here. */
  queryable?: Set<string>;
}

/** SQLite (one connection, statements cost no round trip): the lock, the zone, the usage row and the records, one statement each. */
async function openBatchGeneric(trx: Transaction<DatabaseSchema>, kind: DialectKind, input: BatchInput, names: string[]): Promise<OpenedBatch> {
  const info = await lockDatabase(trx, kind, input.databaseId);
  const zoneRow = await trx
    .selectFrom('zones')
    .selectAll()
    .where('database_id', '=', input.databaseId)
    .where('zone_name', '=', input.zoneName)
    .where('deleted', '=', 0)
    .executeTakeFirst();
  if (!zoneRow) throw new StorageError('ZONE_NOT_FOUND', `zone ${input.zoneName} does not exist`);
  const zone = toZoneInfo(zoneRow);
  const used = await lockUsage(trx, input.quota.subject);
  const state = new Map<string, RowState>();
  for (let i = 0; i < names.length; i += 500) {
    const rows = await trx.selectFrom('records').selectAll().where('zone_id', '=', zone.id).where('record_name', 'in', names.slice(i, i + 500)).execute();
    for (const row of rows) state.set(row.record_name, { id: row.id, record: toStoredRecord(row) });
  }
  return { info, zone, used, state };
}

/**
 * PostgreSQL: the same reads in two round trips. First the database row's lock (always
 * first: lock order is database row, then usage row) together with the zone; then, in a
 * statement that starts after the lock is held (so it sees every write committed before
 * it), the usage row's lock, the batch's current records and the queryable fields.
 */
async function openBatchPostgres(trx: Transaction<DatabaseSchema>, input: BatchInput, names: string[]): Promise<OpenedBatch> {
  const locked = await sql<Selectable<ZonesTable> & { db_seq: number; db_history_floor: number }>`
    select z.*, d.seq as db_seq, d.history_floor as db_history_floor
    from databases d left join zones z on z.database_id = d.id and z.zone_name = ${input.zoneName} and z.deleted = 0
    where d.id = ${input.databaseId}
    for update of d`.execute(trx);
  const head = locked.rows[0];
  if (!head) throw new Error(`database ${input.databaseId} does not exist`);
  if (head.id === null) throw new StorageError('ZONE_NOT_FOUND', `zone ${input.zoneName} does not exist`);
  const info: DatabaseInfo = { id: input.databaseId, seq: head.db_seq, historyFloor: head.db_history_floor };
  const zone = toZoneInfo(head);

  const index = input.index;
  const read = await sql<Selectable<RecordsTable> & { usage_bytes: number; queryable: [string, string][] | null }>`
    with u as (
      insert into usage (subject, bytes) values (${input.quota.subject}, 0)
      on conflict (subject) do update set bytes = usage.bytes
      returning bytes
    )
    select u.bytes as usage_bytes, ${
      index
        ? sql`(select json_agg(json_build_array(record_type, field_name)) from schema_fields
            where container = ${index.container} and environment = ${index.environment} and indexed = 1)`
        : sql`null::json`
    } as queryable, r.*
    from u left join records r on r.zone_id = ${zone.id} and r.record_name = any(${names}::text[])`.execute(trx);
  const first = read.rows[0];
  if (!first) throw new Error('usage row missing after upsert');
  const state = new Map<string, RowState>();
  for (const row of read.rows) if (row.id !== null) state.set(row.record_name, { id: row.id, record: toStoredRecord(row) });
  const queryable = index ? new Set((first.queryable ?? []).map(([type, field]) => `${type}\u0000${field}`)) : undefined;
  return { info, zone, used: first.usage_bytes, state, ...(queryable ? { queryable } : {}) };
}
