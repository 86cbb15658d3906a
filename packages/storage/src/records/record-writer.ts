/**
 * Writes the final state of every record a batch touched in one multi-row upsert per
 * chunk (INSERT … ON CONFLICT (zone_id, record_name) DO UPDATE … RETURNING id), instead
 * of a statement per record — the round trips dominate batch writes on PostgreSQL.
 *
 * On PostgreSQL the rows travel as one JSON parameter (json_to_recordset) rather than 15
 * bind parameters a row: building, sending and parsing 3 000 parameters (and Kysely
 * compiling a 3 000-value statement) cost more than the insert. The fields and
 * protectionInfo JSON the batch already made for the size check are spliced into that
 * parameter as they are and read back as `json`, whose text PostgreSQL keeps verbatim, so
 * the stored TEXT is byte for byte the JSON that was measured.
 */
import { sql, type Insertable, type Transaction } from 'kysely';
import type { DatabaseSchema } from '../database-schema.js';
import type { DialectKind } from '../dialect/dialect-kind.js';
import type { RecordsTable } from './record-tables.js';
import type { StoredRecord } from './record-types.js';

/** 15 columns a row: 500 rows stay far under SQLite's 32 766 and PostgreSQL's 65 535 parameters. */
const ROWS_PER_STATEMENT = 500;
/** PostgreSQL: rows per JSON parameter (a batch has at most a few hundred; this only bounds memory). */
const JSON_ROWS_PER_STATEMENT = 5000;

export interface PendingWrite {
  record: StoredRecord;
  /** JSON of fields and protectionInfo, already made for the size check. */
  fieldsJson: string;
  protectionJson: string | null;
}

/** Upserts the records and returns their row ids by record name. */
export async function upsertRecords(trx: Transaction<DatabaseSchema>, kind: DialectKind, zoneId: number, writes: PendingWrite[]): Promise<Map<string, number>> {
  if (kind === 'postgres') return upsertRecordsPostgres(trx, zoneId, writes);
  const ids = new Map<string, number>();
  for (let i = 0; i < writes.length; i += ROWS_PER_STATEMENT) {
    const rows: Insertable<RecordsTable>[] = writes.slice(i, i + ROWS_PER_STATEMENT).map(({ record: r, fieldsJson, protectionJson }) => ({
      zone_id: zoneId,
      record_name: r.recordName,
      record_type: r.recordType,
      change_tag: r.changeTag,
      change_seq: r.changeSeq,
      deleted: r.deleted ? 1 : 0,
      fields: fieldsJson,
      protection: protectionJson,
      size: r.size,
      created_at: r.created.at,
      created_by: r.created.by,
      created_device: r.created.device,
      modified_at: r.modified.at,
      modified_by: r.modified.by,
      modified_device: r.modified.device,
    }));
    const returned = await trx
      .insertInto('records')
      .values(rows)
      .onConflict((oc) =>
        oc.columns(['zone_id', 'record_name']).doUpdateSet((eb) => ({
          record_type: eb.ref('excluded.record_type'),
          change_tag: eb.ref('excluded.change_tag'),
          change_seq: eb.ref('excluded.change_seq'),
          deleted: eb.ref('excluded.deleted'),
          fields: eb.ref('excluded.fields'),
          protection: eb.ref('excluded.protection'),
          size: eb.ref('excluded.size'),
          created_at: eb.ref('excluded.created_at'),
          created_by: eb.ref('excluded.created_by'),
          created_device: eb.ref('excluded.created_device'),
          modified_at: eb.ref('excluded.modified_at'),
          modified_by: eb.ref('excluded.modified_by'),
          modified_device: eb.ref('excluded.modified_device'),
        })),
      )
      .returning(['id', 'record_name'])
      .execute();
    for (const row of returned) ids.set(row.record_name, row.id);
  }
  return ids;
}

/** One JSON object per row; `fields` and `protection` are the already-made JSON texts, spliced in unchanged. */
function jsonRow(zoneId: number, { record: r, fieldsJson, protectionJson }: PendingWrite): string {
  const str = JSON.stringify;
  return (
    `{"zone_id":${zoneId},"record_name":${str(r.recordName)},"record_type":${str(r.recordType)},"change_tag":${str(r.changeTag)},` +
    `"change_seq":${r.changeSeq},"deleted":${r.deleted ? 1 : 0},"fields":${fieldsJson},"protection":${protectionJson ?? 'null'},"size":${r.size},` +
    `"created_at":${r.created.at},"created_by":${str(r.created.by)},"created_device":${str(r.created.device)},` +
    `"modified_at":${r.modified.at},"modified_by":${str(r.modified.by)},"modified_device":${str(r.modified.device)}}`
  );
}

async function upsertRecordsPostgres(trx: Transaction<DatabaseSchema>, zoneId: number, writes: PendingWrite[]): Promise<Map<string, number>> {
  const ids = new Map<string, number>();
  for (let i = 0; i < writes.length; i += JSON_ROWS_PER_STATEMENT) {
    const json = `[${writes
      .slice(i, i + JSON_ROWS_PER_STATEMENT)
      .map((w) => jsonRow(zoneId, w))
      .join(',')}]`;
    const returned = await sql<{ id: number; record_name: string }>`
      insert into records (zone_id, record_name, record_type, change_tag, change_seq, deleted, fields, protection, size,
        created_at, created_by, created_device, modified_at, modified_by, modified_device)
      select zone_id, record_name, record_type, change_tag, change_seq, deleted, fields::text, protection::text, size,
        created_at, created_by, created_device, modified_at, modified_by, modified_device
      from json_to_recordset(${json}::json) as x(zone_id bigint, record_name text, record_type text, change_tag text, change_seq bigint,
        deleted integer, fields json, protection json, size bigint, created_at bigint, created_by text, created_device text,
        modified_at bigint, modified_by text, modified_device text)
      on conflict (zone_id, record_name) do update set
        record_type = excluded.record_type, change_tag = excluded.change_tag, change_seq = excluded.change_seq,
        deleted = excluded.deleted, fields = excluded.fields, protection = excluded.protection, size = excluded.size,
        created_at = excluded.created_at, created_by = excluded.created_by, created_device = excluded.created_device,
        modified_at = excluded.modified_at, modified_by = excluded.modified_by, modified_device = excluded.modified_device
      returning id, record_name`.execute(trx);
    for (const row of returned.rows) ids.set(row.record_name, row.id);
  }
  return ids;
}
