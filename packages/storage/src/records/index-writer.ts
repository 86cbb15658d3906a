/**
 * Writes query-index rows (record_fields): deletes the old rows of touched records and
 * inserts the new ones — in multi-row statements on SQLite (chunked under its 32 766
 * bound-parameter limit) and as one JSON parameter on PostgreSQL (json_to_recordset),
 * where building, sending and parsing thousands of bind parameters cost more than the
 * insert itself.
 */
import { sql, type Insertable, type Transaction } from 'kysely';
import type { DatabaseSchema } from '../database-schema.js';
import type { DialectKind } from '../dialect/dialect-kind.js';
import { int64Param } from './field-index.js';
import type { RecordFieldsTable } from './record-tables.js';
import type { IndexEntry } from './record-types.js';

const ROWS_PER_INSERT = 2000;
const JSON_ROWS_PER_INSERT = 20_000;
const IDS_PER_DELETE = 1000;

export type IndexRow = Insertable<RecordFieldsTable>;

export function toIndexRows(kind: DialectKind, recordId: number, zoneId: number, recordType: string, entries: readonly IndexEntry[]): IndexRow[] {
  return entries.map((e) => ({
    record_id: recordId,
    zone_id: zoneId,
    record_type: recordType,
    field_name: e.fieldName,
    position: e.position,
    v_text: e.text ?? null,
    v_int: e.int === undefined ? null : int64Param(kind, e.int),
    v_real: e.real ?? null,
  }));
}

/** Deletes the index rows of these records (of one field only, when given). */
export async function deleteIndexRows(trx: Transaction<DatabaseSchema>, recordIds: readonly number[], fieldName?: string): Promise<void> {
  for (let i = 0; i < recordIds.length; i += IDS_PER_DELETE) {
    let query = trx.deleteFrom('record_fields').where('record_id', 'in', recordIds.slice(i, i + IDS_PER_DELETE));
    if (fieldName !== undefined) query = query.where('field_name', '=', fieldName);
    await query.execute();
  }
}

export async function insertIndexRows(trx: Transaction<DatabaseSchema>, kind: DialectKind, rows: readonly IndexRow[]): Promise<void> {
  if (kind === 'postgres') {
    for (let i = 0; i < rows.length; i += JSON_ROWS_PER_INSERT) {
      const json = JSON.stringify(rows.slice(i, i + JSON_ROWS_PER_INSERT));
      await sql`insert into record_fields (record_id, zone_id, record_type, field_name, position, v_text, v_int, v_real)
        select record_id, zone_id, record_type, field_name, position, v_text, v_int, v_real
        from json_to_recordset(${json}::json) as x(record_id bigint, zone_id bigint, record_type text, field_name text, position integer, v_text text, v_int bigint, v_real double precision)`.execute(trx);
    }
    return;
  }
  for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
    await trx.insertInto('record_fields').values(rows.slice(i, i + ROWS_PER_INSERT)).execute();
  }
}
