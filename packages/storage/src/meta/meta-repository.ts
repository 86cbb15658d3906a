/** Small server-wide values kept in the database, so every node sharing it agrees (e.g. the sync-token HMAC key). */
import type { Kysely } from 'kysely';
import type { DatabaseSchema } from '../database-schema.js';

export interface MetaRepository {
  get(key: string): Promise<string | null>;
  /** The stored value, or `create()`'s value stored now; concurrent callers all get the one that won. */
  getOrCreate(key: string, create: () => string): Promise<string>;
}

export function createMetaRepository(db: Kysely<DatabaseSchema>): MetaRepository {
  const get = async (key: string) => (await db.selectFrom('server_meta').select('value').where('key', '=', key).executeTakeFirst())?.value ?? null;
  return {
    get,
    async getOrCreate(key, create) {
      const existing = await get(key);
      if (existing !== null) return existing;
      await db.insertInto('server_meta').values({ key, value: create() }).onConflict((oc) => oc.column('key').doNothing()).execute();
      return (await get(key))!;
    },
  };
}
