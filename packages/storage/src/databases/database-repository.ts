/**
 * The `databases` table: one row per (container, environment, scope, owner), created on
 * first use together with its implicit `_defaultZone`. Its `seq` column is the database's
 * change counter (see lockDatabase).
 */
import type { Kysely, Transaction } from 'kysely';
import type { DatabaseSchema } from '../database-schema.js';
import type { DialectKind } from '../dialect/dialect-kind.js';
import { DEFAULT_ZONE, type DatabaseInfo, type DatabaseRef } from '../records/record-types.js';

export interface DatabasesRepository {
  /** The database's row, created (with its default zone) if it does not exist yet. */
  ensure(ref: DatabaseRef): Promise<DatabaseInfo>;
  /** The row if it exists; never creates. */
  find(ref: DatabaseRef): Promise<DatabaseInfo | null>;
  /**
   * Forgets change history through `throughSeq` for one database: tombstones written at
   * or before it are deleted, and sync tokens older than it become expired (a client at
   * such a position might miss a deletion). Returns how many tombstones were removed.
   */
  purgeHistory(databaseId: number, throughSeq: number): Promise<number>;
}

export function createDatabasesRepository(db: Kysely<DatabaseSchema>, kind: DialectKind): DatabasesRepository {
  async function find(ref: DatabaseRef): Promise<DatabaseInfo | null> {
    const row = await db
      .selectFrom('databases')
      .select(['id', 'seq', 'history_floor'])
      .where('container', '=', ref.container)
      .where('environment', '=', ref.environment)
      .where('scope', '=', ref.scope)
      .where('owner', '=', ref.owner)
      .executeTakeFirst();
    return row ? { id: row.id, seq: row.seq, historyFloor: row.history_floor } : null;
  }

  return {
    find,
    async ensure(ref) {
      const existing = await find(ref);
      if (existing) return existing;
      await db.transaction().execute(async (trx) => {
        // Concurrent first requests race here; the unique constraint picks one winner.
        const inserted = await trx
          .insertInto('databases')
          .values({ ...ref, seq: 0, history_floor: 0, created_at: Date.now() })
          .onConflict((oc) => oc.columns(['container', 'environment', 'scope', 'owner']).doNothing())
          .returning('id')
          .executeTakeFirst();
        if (inserted) {
          await trx
            .insertInto('zones')
            .values({
              database_id: inserted.id,
              zone_name: DEFAULT_ZONE,
              incarnation: 1,
              atomic: 1,
              deleted: 0,
              change_seq: 0,
              zone_keys: null,
              created_at: Date.now(),
            })
            .execute();
        }
      });
      const created = await find(ref);
      if (!created) throw new Error('database row vanished right after creation');
      return created;
    },

    async purgeHistory(databaseId, throughSeq) {
      return db.transaction().execute(async (trx) => {
        const info = await lockDatabase(trx, kind, databaseId);
        const floor = Math.min(throughSeq, info.seq);
        const zoneIds = trx.selectFrom('zones').select('id').where('database_id', '=', databaseId);
        const result = await trx
          .deleteFrom('records')
          .where('zone_id', 'in', zoneIds)
          .where('deleted', '=', 1)
          .where('change_seq', '<=', floor)
          .executeTakeFirst();
        await trx
          .updateTable('databases')
          .set({ history_floor: floor })
          .where('id', '=', databaseId)
          .where('history_floor', '<', floor)
          .execute();
        return Number(result.numDeletedRows);
      });
    },
  };
}

/**
 * Takes the database row's lock for the rest of the transaction and returns its counter.
 * Every writer calls this first: on PostgreSQL writers to one database therefore commit
 * in the order they allocate sequence numbers, which is what makes "everything after
 * token N" a complete answer. (SQLite writers are already serialised: one connection.)
 */
export async function lockDatabase(trx: Transaction<DatabaseSchema>, kind: DialectKind, databaseId: number): Promise<DatabaseInfo> {
  let query = trx.selectFrom('databases').select(['id', 'seq', 'history_floor']).where('id', '=', databaseId);
  if (kind === 'postgres') query = query.forUpdate();
  const row = await query.executeTakeFirstOrThrow();
  return { id: row.id, seq: row.seq, historyFloor: row.history_floor };
}

/** Stores the counter after a transaction allocated sequence numbers up to `seq`. */
export async function saveDatabaseSeq(trx: Transaction<DatabaseSchema>, databaseId: number, seq: number): Promise<void> {
  await trx.updateTable('databases').set({ seq }).where('id', '=', databaseId).execute();
}
