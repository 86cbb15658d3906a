/**
 * Builds the index of a field that just became queryable, for every record of its type
 * in every database of the container and environment.
 *
 * Why no write is missed: the field is marked queryable (committed) before this runs, and
 * each database is backfilled under that database's lock, the same lock every writer
 * takes first; writers read the queryable set after taking it. A writer that read the
 * set before the mark committed holds the lock, so the backfill of its database waits
 * for it and then sees its rows; a writer that takes the lock later sees the mark.
 */
import type { Kysely } from 'kysely';
import type { DatabaseSchema } from '../database-schema.js';
import type { DialectKind } from '../dialect/dialect-kind.js';
import { lockDatabase } from '../databases/database-repository.js';
import { indexEntriesOf } from './field-index.js';
import { deleteIndexRows, insertIndexRows, toIndexRows, type IndexRow } from './index-writer.js';
import type { StoredFields } from './record-types.js';

const RECORDS_PER_PAGE = 1000;

export async function backfillIndex(
  db: Kysely<DatabaseSchema>,
  kind: DialectKind,
  scope: { container: string; environment: string; recordType: string; fieldName: string },
): Promise<number> {
  const databases = await db
    .selectFrom('databases')
    .select('id')
    .where('container', '=', scope.container)
    .where('environment', '=', scope.environment)
    .orderBy('id')
    .execute();
  let indexed = 0;
  for (const { id: databaseId } of databases) {
    indexed += await db.transaction().execute(async (trx) => {
      await lockDatabase(trx, kind, databaseId);
      let count = 0;
      let after = 0;
      for (;;) {
        const rows = await trx
          .selectFrom('records')
          .innerJoin('zones', 'zones.id', 'records.zone_id')
          .select(['records.id', 'records.zone_id', 'records.fields'])
          .where('zones.database_id', '=', databaseId)
          .where('records.record_type', '=', scope.recordType)
          .where('records.deleted', '=', 0)
          .where('records.id', '>', after)
          .orderBy('records.id')
          .limit(RECORDS_PER_PAGE)
          .execute();
        if (rows.length === 0) return count;
        after = rows.at(-1)!.id;
        const ids: number[] = [];
        const inserts: IndexRow[] = [];
        for (const row of rows) {
          const field = (JSON.parse(row.fields) as StoredFields)[scope.fieldName];
          if (field === undefined) continue;
          ids.push(row.id);
          inserts.push(...toIndexRows(kind, row.id, row.zone_id, scope.recordType, indexEntriesOf({ [scope.fieldName]: field })));
        }
        // Idempotent: a write that already indexed the field is replaced by the same rows.
        await deleteIndexRows(trx, ids, scope.fieldName);
        await insertIndexRows(trx, kind, inserts);
        count += ids.length;
      }
    });
  }
  return indexed;
}
