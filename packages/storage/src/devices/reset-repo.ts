/**
 * Keychain reset: the account starts over with new keys. In one transaction it retires
 * every service key the server holds no escrow copy of (those are now unreadable by
 * anyone: their wrapping keychain key is gone), and deletes everything tied to the old
 * keychain key — the device log, keychain copies and items, join requests, the recovery
 * key, the contact set and its requests, passcode escrow. Escrowed service keys survive
 * (Standard protection can still recover what they protect). The mode returns to Standard
 * because the log that held the ADP flag is gone; a new device turns ADP on again.
 */
import { lockAccountState, num, scrubDeleted, type DevicesContext } from './db.js';

export interface ResetOutcome {
  resetGeneration: number;
  retiredServiceKeys: number;
}

export interface ResetRepository {
  reset(owner: string): Promise<ResetOutcome>;
  /** Which of `keyIds` a reset of this account retired. */
  retired(owner: string, keyIds: readonly string[]): Promise<Set<string>>;
  generation(owner: string): Promise<number>;
}

export function createResetRepository(ctx: DevicesContext): ResetRepository {
  const { db, kind, now } = ctx;
  return {
    async reset(owner) {
      const outcome = await db.transaction().execute(async (trx) => {
        const state = await lockAccountState(trx, kind, owner);
        const resetGeneration = state.resetGeneration + 1;
        const at = now();

        const unescrowed = await trx.selectFrom('service_keys').select('key_id').where('owner', '=', owner).where('escrow_sealed', 'is', null).execute();
        const already = new Set(
          (await trx.selectFrom('retired_service_keys').select('key_id').where('owner', '=', owner).execute()).map((r) => r.key_id),
        );
        const fresh = unescrowed.filter((k) => !already.has(k.key_id));
        if (fresh.length > 0) {
          await trx.insertInto('retired_service_keys').values(fresh.map((k) => ({ owner, key_id: k.key_id, reset_generation: resetGeneration }))).execute();
        }

        for (const table of ['device_log', 'device_join_requests', 'device_keychain_copies', 'keychain_items', 'recovery_keys', 'recovery_contact_sets', 'recovery_contact_shares', 'passcode_escrow', 'passcode_enrollments'] as const) {
          await trx.deleteFrom(table).where('owner', '=', owner).execute();
        }
        await trx.deleteFrom('recovery_contact_requests').where('owner', '=', owner).execute();
        await trx.updateTable('device_account_state').set({ log_length: 0, reset_generation: resetGeneration, reset_at: at }).where('owner', '=', owner).execute();
        await trx.updateTable('accounts').set({ protection_mode: 'standard' }).where('user_record_name', '=', owner).execute();
        return { resetGeneration, retiredServiceKeys: fresh.length };
      });
      await scrubDeleted(ctx);
      return outcome;
    },

    async retired(owner, keyIds) {
      if (keyIds.length === 0) return new Set();
      const rows = await db.selectFrom('retired_service_keys').select('key_id').where('owner', '=', owner).where('key_id', 'in', [...keyIds]).execute();
      return new Set(rows.map((r) => r.key_id));
    },

    async generation(owner) {
      const row = await db.selectFrom('device_account_state').select('reset_generation').where('owner', '=', owner).executeTakeFirst();
      return row ? num(row.reset_generation) : 0;
    },
  };
}
