/**
 * Recovery-key records: the keychain key wrapped by a key derived from the recovery key,
 * with the salt and the recovery signer's public key. One per account; storing a new one
 * replaces the old, so a regenerated recovery key is the only one that still works.
 */
import { num, scrubDeleted, type DevicesContext } from './db.js';

export interface StoredRecoveryKey {
  recoveryKeyId: string;
  salt: string;
  wrappedKeychainKey: string;
  signerPublicKey: string;
  updatedAt: number;
}

export interface RecoveryKeysRepository {
  put(owner: string, record: Omit<StoredRecoveryKey, 'updatedAt'>): Promise<void>;
  get(owner: string): Promise<StoredRecoveryKey | null>;
  /** True if there was one. */
  delete(owner: string): Promise<boolean>;
}

export function createRecoveryKeysRepository(ctx: DevicesContext): RecoveryKeysRepository {
  const { db, now } = ctx;
  return {
    async put(owner, r) {
      const at = now();
      const values = { recovery_key_id: r.recoveryKeyId, salt: r.salt, wrapped_keychain_key: r.wrappedKeychainKey, signer_public_key: r.signerPublicKey, updated_at: at };
      await db
        .insertInto('recovery_keys')
        .values({ owner, ...values })
        .onConflict((oc) => oc.column('owner').doUpdateSet(values))
        .execute();
      // The replaced record opened with the OLD recovery key: no trace of it may stay in the file.
      await scrubDeleted(ctx);
    },
    async get(owner) {
      const row = await db.selectFrom('recovery_keys').selectAll().where('owner', '=', owner).executeTakeFirst();
      if (!row) return null;
      return { recoveryKeyId: row.recovery_key_id, salt: row.salt, wrappedKeychainKey: row.wrapped_keychain_key, signerPublicKey: row.signer_public_key, updatedAt: num(row.updated_at) };
    },
    async delete(owner) {
      const result = await db.deleteFrom('recovery_keys').where('owner', '=', owner).executeTakeFirst();
      await scrubDeleted(ctx);
      return Number(result.numDeletedRows) > 0;
    },
  };
}
