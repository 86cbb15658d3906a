/**
 * Zones of one database. Every change (create, delete, key update) takes the database
 * lock and a new sequence number, so zones/changes pages by `change_seq` like records do.
 * Deleted zones stay as tombstone rows (zones/changes reports them); their records and
 * index rows are removed and their bytes returned to the quota.
 */
import type { Kysely, Transaction } from 'kysely';
import type { DatabaseSchema } from '../database-schema.js';
import type { DialectKind } from '../dialect/dialect-kind.js';
import { lockDatabase, saveDatabaseSeq } from '../databases/database-repository.js';
import type { ZoneInfo } from '../records/record-types.js';
import { toZoneInfo } from './zone-rows.js';
import { addUsage } from '../usage/usage-repository.js';

/** Decides the new zone-key list from the stored one; return an Error to refuse. */
export type ZoneKeysMerge = (current: unknown) => unknown;

export interface ZoneChangesPage {
  zones: ZoneInfo[];
  /** Highest change_seq among `zones`, or the `afterSeq` given when there were none. */
  lastSeq: number;
  moreComing: boolean;
}

export interface ZonesRepository {
  list(databaseId: number): Promise<ZoneInfo[]>;
  /** The zone by name, including a tombstone (deleted: true), or null. */
  find(databaseId: number, zoneName: string): Promise<ZoneInfo | null>;
  /**
   * Creates the zone, or returns the existing live zone unchanged (zones/modify create is
   * idempotent, as in CloudKit). Re-creating a deleted zone bumps its incarnation.
   */
  create(databaseId: number, zoneName: string, options: { atomic: boolean; zoneKeys: unknown }): Promise<{ zone: ZoneInfo; created: boolean }>;
  /** Deletes the zone and all its records; null if there was no live zone. `quotaSubject` gets the freed bytes back. */
  delete(databaseId: number, zoneName: string, quotaSubject: string): Promise<ZoneInfo | null>;
  /** Replaces the zone's keys with `merge(current)`; throws what merge returns if it is an Error. */
  updateKeys(databaseId: number, zoneName: string, merge: ZoneKeysMerge): Promise<ZoneInfo | null>;
  changes(databaseId: number, afterSeq: number, limit: number): Promise<ZoneChangesPage>;
}

export function createZonesRepository(db: Kysely<DatabaseSchema>, kind: DialectKind): ZonesRepository {
  const findIn = async (q: Kysely<DatabaseSchema> | Transaction<DatabaseSchema>, databaseId: number, zoneName: string) => {
    const row = await q
      .selectFrom('zones')
      .selectAll()
      .where('database_id', '=', databaseId)
      .where('zone_name', '=', zoneName)
      .executeTakeFirst();
    return row ? toZoneInfo(row) : null;
  };

  return {
    async list(databaseId) {
      const rows = await db
        .selectFrom('zones')
        .selectAll()
        .where('database_id', '=', databaseId)
        .where('deleted', '=', 0)
        .orderBy('id')
        .execute();
      return rows.map(toZoneInfo);
    },

    find: (databaseId, zoneName) => findIn(db, databaseId, zoneName),

    async create(databaseId, zoneName, options) {
      return db.transaction().execute(async (trx) => {
        const info = await lockDatabase(trx, kind, databaseId);
        const existing = await findIn(trx, databaseId, zoneName);
        if (existing && !existing.deleted) return { zone: existing, created: false };
        const seq = info.seq + 1;
        const zoneKeys = options.zoneKeys === undefined || options.zoneKeys === null ? null : JSON.stringify(options.zoneKeys);
        if (existing) {
          await trx
            .updateTable('zones')
            .set({ deleted: 0, incarnation: existing.incarnation + 1, atomic: options.atomic ? 1 : 0, change_seq: seq, zone_keys: zoneKeys, created_at: Date.now() })
            .where('id', '=', existing.id)
            .execute();
        } else {
          await trx
            .insertInto('zones')
            .values({ database_id: databaseId, zone_name: zoneName, incarnation: 1, atomic: options.atomic ? 1 : 0, deleted: 0, change_seq: seq, zone_keys: zoneKeys, created_at: Date.now() })
            .execute();
        }
        await saveDatabaseSeq(trx, databaseId, seq);
        const zone = await findIn(trx, databaseId, zoneName);
        return { zone: zone!, created: true };
      });
    },

    async delete(databaseId, zoneName, quotaSubject) {
      return db.transaction().execute(async (trx) => {
        const info = await lockDatabase(trx, kind, databaseId);
        const existing = await findIn(trx, databaseId, zoneName);
        if (!existing || existing.deleted) return null;
        const seq = info.seq + 1;
        const freed = await trx
          .selectFrom('records')
          .select((eb) => eb.fn.coalesce(eb.fn.sum<number | string>('size'), eb.val(0)).as('bytes'))
          .where('zone_id', '=', existing.id)
          .executeTakeFirstOrThrow();
        await trx.deleteFrom('record_fields').where('zone_id', '=', existing.id).execute();
        await trx.deleteFrom('records').where('zone_id', '=', existing.id).execute();
        await trx.updateTable('zones').set({ deleted: 1, change_seq: seq, zone_keys: null }).where('id', '=', existing.id).execute();
        await saveDatabaseSeq(trx, databaseId, seq);
        await addUsage(trx, quotaSubject, -Number(freed.bytes));
        return { ...existing, deleted: true, changeSeq: seq, zoneKeys: null };
      });
    },

    async updateKeys(databaseId, zoneName, merge) {
      return db.transaction().execute(async (trx) => {
        const info = await lockDatabase(trx, kind, databaseId);
        const existing = await findIn(trx, databaseId, zoneName);
        if (!existing || existing.deleted) return null;
        const next = merge(existing.zoneKeys);
        if (next instanceof Error) throw next;
        const seq = info.seq + 1;
        await trx
          .updateTable('zones')
          .set({ zone_keys: next === null || next === undefined ? null : JSON.stringify(next), change_seq: seq })
          .where('id', '=', existing.id)
          .execute();
        await saveDatabaseSeq(trx, databaseId, seq);
        return { ...existing, zoneKeys: next ?? null, changeSeq: seq };
      });
    },

    async changes(databaseId, afterSeq, limit) {
      const rows = await db
        .selectFrom('zones')
        .selectAll()
        .where('database_id', '=', databaseId)
        .where('change_seq', '>', afterSeq)
        .orderBy('change_seq')
        .limit(limit + 1)
        .execute();
      const zones = rows.slice(0, limit).map(toZoneInfo);
      return { zones, lastSeq: zones.at(-1)?.changeSeq ?? afterSeq, moreComing: rows.length > limit };
    },
  };
}
