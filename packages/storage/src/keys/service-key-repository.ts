/**
 * Service keys (Coffer extension): per account, stored only as wrapped blobs — wrapped
 * by the account keychain key (devices can open it) and/or HPKE-sealed to the server's
 * escrow key (Standard protection). Storage never interprets either blob.
 */
import type { Kysely } from 'kysely';
import type { DatabaseSchema } from '../database-schema.js';

export interface StoredServiceKey {
  owner: string;
  keyId: string;
  version: number;
  category: string;
  wrappedByKeychain: string | null;
  escrowSealed: string | null;
  createdAt: number;
  updatedAt: number;
}

export interface ServiceKeysRepository {
  list(owner: string): Promise<StoredServiceKey[]>;
  get(owner: string, keyId: string): Promise<StoredServiceKey | null>;
  /** Inserts or replaces the key as given (the upload is its complete new state). */
  put(key: Omit<StoredServiceKey, 'createdAt' | 'updatedAt'>): Promise<StoredServiceKey>;
  /**
   * Inserts only if neither this keyId nor this (category, version) exists. Returns the key
   * stored under this keyId, or — when another key already holds the category's version —
   * that key (the winner of a race; compare keyId to tell).
   */
  putIfAbsent(key: Omit<StoredServiceKey, 'createdAt' | 'updatedAt'>): Promise<StoredServiceKey>;
}

type Row = { owner: string; key_id: string; version: number; category: string; wrapped_by_keychain: string | null; escrow_sealed: string | null; created_at: number; updated_at: number };

const toKey = (r: Row): StoredServiceKey => ({
  owner: r.owner,
  keyId: r.key_id,
  version: r.version,
  category: r.category,
  wrappedByKeychain: r.wrapped_by_keychain,
  escrowSealed: r.escrow_sealed,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export function createServiceKeysRepository(db: Kysely<DatabaseSchema>): ServiceKeysRepository {
  const get = async (owner: string, keyId: string) => {
    const row = await db.selectFrom('service_keys').selectAll().where('owner', '=', owner).where('key_id', '=', keyId).executeTakeFirst();
    return row ? toKey(row) : null;
  };
  const values = (key: Omit<StoredServiceKey, 'createdAt' | 'updatedAt'>, now: number) => ({
    owner: key.owner,
    key_id: key.keyId,
    version: key.version,
    category: key.category,
    wrapped_by_keychain: key.wrappedByKeychain,
    escrow_sealed: key.escrowSealed,
    created_at: now,
    updated_at: now,
  });
  return {
    async list(owner) {
      const rows = await db.selectFrom('service_keys').selectAll().where('owner', '=', owner).orderBy('category').orderBy('version').orderBy('key_id').execute();
      return rows.map(toKey);
    },
    get,
    async put(key) {
      const now = Date.now();
      await db
        .insertInto('service_keys')
        .values(values(key, now))
        .onConflict((oc) =>
          oc.columns(['owner', 'key_id']).doUpdateSet({
            version: key.version,
            category: key.category,
            wrapped_by_keychain: key.wrappedByKeychain,
            escrow_sealed: key.escrowSealed,
            updated_at: now,
          }),
        )
        .execute();
      return (await get(key.owner, key.keyId))!;
    },
    async putIfAbsent(key) {
      await db.insertInto('service_keys').values(values(key, Date.now())).onConflict((oc) => oc.doNothing()).execute();
      const mine = await get(key.owner, key.keyId);
      if (mine) return mine;
      const winner = await db
        .selectFrom('service_keys')
        .selectAll()
        .where('owner', '=', key.owner)
        .where('category', '=', key.category)
        .where('version', '=', key.version)
        .executeTakeFirstOrThrow();
      return toKey(winner);
    },
  };
}
