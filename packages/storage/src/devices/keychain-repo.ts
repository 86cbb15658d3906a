/**
 * The keychain key's per-device copies (each HPKE-sealed to one device) and the keychain
 * items blob (encrypted under the keychain key). The server cannot open either.
 * Rotation replaces every copy in one transaction, so no device keeps a copy of the new
 * key it was not given, and a removed device's old copy disappears with it.
 */
import { num, scrubDeleted, type DevicesContext } from './db.js';

export interface KeychainCopy {
  deviceId: string;
  keychainKeyId: string;
  sealedKey: string;
  updatedAt: number;
}

export interface KeychainItems {
  version: number;
  keychainKeyId: string;
  blob: string;
}

export interface KeychainRepository {
  putCopy(owner: string, copy: { deviceId: string; keychainKeyId: string; sealedKey: string }): Promise<void>;
  /** Deletes every copy of the account and stores exactly these. */
  replaceCopies(owner: string, keychainKeyId: string, copies: readonly { deviceId: string; sealedKey: string }[]): Promise<void>;
  getCopy(owner: string, deviceId: string): Promise<KeychainCopy | null>;
  listCopies(owner: string): Promise<KeychainCopy[]>;
  getItems(owner: string): Promise<KeychainItems | null>;
  /** Compare-and-swap on `version` (0 = nothing stored yet); returns the new version or null on mismatch. */
  putItems(owner: string, expectedVersion: number, items: { keychainKeyId: string; blob: string }): Promise<number | null>;
}

export function createKeychainRepository(ctx: DevicesContext): KeychainRepository {
  const { db, now } = ctx;
  return {
    async putCopy(owner, copy) {
      const at = now();
      await db
        .insertInto('device_keychain_copies')
        .values({ owner, device_id: copy.deviceId, keychain_key_id: copy.keychainKeyId, sealed_key: copy.sealedKey, updated_at: at })
        .onConflict((oc) => oc.columns(['owner', 'device_id']).doUpdateSet({ keychain_key_id: copy.keychainKeyId, sealed_key: copy.sealedKey, updated_at: at }))
        .execute();
    },

    async replaceCopies(owner, keychainKeyId, copies) {
      const at = now();
      await db.transaction().execute(async (trx) => {
        await trx.deleteFrom('device_keychain_copies').where('owner', '=', owner).execute();
        if (copies.length === 0) return;
        await trx
          .insertInto('device_keychain_copies')
          .values(copies.map((c) => ({ owner, device_id: c.deviceId, keychain_key_id: keychainKeyId, sealed_key: c.sealedKey, updated_at: at })))
          .execute();
      });
      await scrubDeleted(ctx);
    },

    async getCopy(owner, deviceId) {
      const row = await db.selectFrom('device_keychain_copies').selectAll().where('owner', '=', owner).where('device_id', '=', deviceId).executeTakeFirst();
      return row ? { deviceId: row.device_id, keychainKeyId: row.keychain_key_id, sealedKey: row.sealed_key, updatedAt: num(row.updated_at) } : null;
    },

    async listCopies(owner) {
      const rows = await db.selectFrom('device_keychain_copies').selectAll().where('owner', '=', owner).orderBy('device_id').execute();
      return rows.map((row) => ({ deviceId: row.device_id, keychainKeyId: row.keychain_key_id, sealedKey: row.sealed_key, updatedAt: num(row.updated_at) }));
    },

    async getItems(owner) {
      const row = await db.selectFrom('keychain_items').selectAll().where('owner', '=', owner).executeTakeFirst();
      return row ? { version: num(row.version), keychainKeyId: row.keychain_key_id, blob: row.blob } : null;
    },

    async putItems(owner, expectedVersion, items) {
      const at = now();
      const version = expectedVersion + 1;
      if (expectedVersion === 0) {
        const inserted = await db
          .insertInto('keychain_items')
          .values({ owner, version, keychain_key_id: items.keychainKeyId, blob: items.blob, updated_at: at })
          .onConflict((oc) => oc.column('owner').doNothing())
          .executeTakeFirst();
        return Number(inserted.numInsertedOrUpdatedRows ?? 0n) > 0 ? version : null;
      }
      const updated = await db
        .updateTable('keychain_items')
        .set({ version, keychain_key_id: items.keychainKeyId, blob: items.blob, updated_at: at })
        .where('owner', '=', owner)
        .where('version', '=', expectedVersion)
        .executeTakeFirst();
      return Number(updated.numUpdatedRows) > 0 ? version : null;
    },
  };
}
