/** Reading and writing records of one zone. */
import type { Kysely } from 'kysely';
import type { DatabaseSchema } from '../database-schema.js';
import type { DialectKind } from '../dialect/dialect-kind.js';
import { applyBatch, type BatchInput, type BatchResult } from './record-batch.js';
import { createPlannerStats } from './planner-stats.js';
import { backfillIndex } from './index-backfill.js';
import { runQuery } from './record-query.js';
import type { QueryPage, QuerySpec } from './query-types.js';
import { toStoredRecord } from './record-rows.js';
import type { StoredRecord } from './record-types.js';

export interface RecordChangesPage {
  /** Live records and tombstones (deleted: true), in change order. */
  records: StoredRecord[];
  /** Highest changeSeq among `records`, or the `afterSeq` given when there were none. */
  lastSeq: number;
  moreComing: boolean;
}

export interface RecordsRepository {
  /** Records by name, tombstones included (deleted: true); missing names are absent from the map. */
  lookup(zoneId: number, recordNames: readonly string[]): Promise<Map<string, StoredRecord>>;
  /**
   * Every record whose last change is after `afterSeq`, oldest change first. A record
   * changed again while a client pages moves past the client's position and shows up
   * again on a later page, so applying every page yields the state at the last page.
   */
  changes(zoneId: number, afterSeq: number, limit: number): Promise<RecordChangesPage>;
  query(zoneId: number, spec: QuerySpec): Promise<QueryPage>;
  /** records/modify: see record-batch.ts. Throws StorageError ZONE_NOT_FOUND for a missing zone. */
  applyBatch(input: BatchInput): Promise<BatchResult>;
  /**
   * Indexes a field that just became queryable (schema.markIndexed) in every record of its
   * type in the container and environment; returns how many records had the field.
   */
  backfillIndex(scope: { container: string; environment: string; recordType: string; fieldName: string }): Promise<number>;
}

export function createRecordsRepository(db: Kysely<DatabaseSchema>, kind: DialectKind): RecordsRepository {
  const stats = createPlannerStats(db, kind === 'postgres');
  return {
    async lookup(zoneId, recordNames) {
      const found = new Map<string, StoredRecord>();
      const unique = [...new Set(recordNames)];
      for (let i = 0; i < unique.length; i += 500) {
        const rows = await db.selectFrom('records').selectAll().where('zone_id', '=', zoneId).where('record_name', 'in', unique.slice(i, i + 500)).execute();
        for (const row of rows) found.set(row.record_name, toStoredRecord(row));
      }
      return found;
    },

    async changes(zoneId, afterSeq, limit) {
      const rows = await db
        .selectFrom('records')
        .selectAll()
        .where('zone_id', '=', zoneId)
        .where('change_seq', '>', afterSeq)
        .orderBy('change_seq')
        .limit(limit + 1)
        .execute();
      const records = rows.slice(0, limit).map(toStoredRecord);
      return { records, lastSeq: records.at(-1)?.changeSeq ?? afterSeq, moreComing: rows.length > limit };
    },

    query: (zoneId, spec) => runQuery(db, kind, zoneId, spec),
    backfillIndex: (scope) => backfillIndex(db, kind, scope),
    async applyBatch(input) {
      const result = await applyBatch(db, kind, input);
      stats.recordWritten(result.outcomes.filter((o) => o.ok).length);
      return result;
    },
  };
}
