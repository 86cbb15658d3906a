/**
 * The `server_key_ids` table: which key file this deployment's data belongs to. The
 * fingerprint is public (a hash of a public key or of the key file), never key material.
 */
import type { Kysely } from 'kysely';
import type { AccountsTables } from './schema.js';

export interface ServerKeyIdsRepository {
  /** The recorded fingerprint for `name`, or null on a fresh database. */
  get(name: string): Promise<string | null>;
  /**
   * Records `keyId` for `name` unless one is recorded already; returns the fingerprint
   * that is recorded afterwards (so two nodes racing on a fresh database agree on one).
   */
  claim(name: string, keyId: string, now: number): Promise<string>;
}

export function createServerKeyIdsRepository(db: Kysely<AccountsTables>): ServerKeyIdsRepository {
  async function get(name: string): Promise<string | null> {
    const row = await db.selectFrom('server_key_ids').select('key_id').where('name', '=', name).executeTakeFirst();
    return row?.key_id ?? null;
  }
  return {
    get,
    async claim(name, keyId, now) {
      await db
        .insertInto('server_key_ids')
        .values({ name, key_id: keyId, created_at: now })
        .onConflict((oc) => oc.column('name').doNothing())
        .execute();
      const recorded = await get(name);
      if (recorded === null) throw new Error(`server_key_ids: could not record ${name}`);
      return recorded;
    },
  };
}
