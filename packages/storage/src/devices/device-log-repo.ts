/**
 * The device log: opaque signed entries per account, served in order, appended only by
 * compare-and-append. Appending also applies what the entries mean for the server's own
 * policy — the protection mode — in the same transaction, so the mode can never disagree
 * with the log the clients verify (and on adp-on the escrowed copies go with it).
 */
import type { ProtectionMode } from '../accounts/schema.js';
import { lockAccountState, num, scrubDeleted, type DevicesContext } from './db.js';

/** What the caller's policy sees before deciding on an append (inside the transaction). */
export interface AppendContext {
  length: number;
  mode: ProtectionMode;
  /** A recovery-key record or a recovery-contact set is stored. */
  hasRecoveryMethod: boolean;
}

/**
 * Decides the account's mode after the append; throw to refuse (nothing is written).
 * Called only when the length matched.
 */
export type AppendPolicy = (context: AppendContext) => ProtectionMode;

export type AppendOutcome =
  | { ok: true; length: number; mode: ProtectionMode; previousMode: ProtectionMode; escrowCopiesDeleted: number }
  | { ok: false; length: number };

export interface DeviceLogRepository {
  /** Every entry (base64), in order. */
  entries(owner: string): Promise<string[]>;
  length(owner: string): Promise<number>;
  /** Appends `entries` iff the log has exactly `expectedLength` entries; see AppendPolicy. */
  append(owner: string, expectedLength: number, entries: readonly string[], policy: AppendPolicy): Promise<AppendOutcome>;
}

export function createDeviceLogRepository(ctx: DevicesContext): DeviceLogRepository {
  const { db, kind, now } = ctx;
  return {
    async entries(owner) {
      const rows = await db.selectFrom('device_log').select('entry').where('owner', '=', owner).orderBy('seq').execute();
      return rows.map((r) => r.entry);
    },

    async length(owner) {
      const row = await db.selectFrom('device_account_state').select('log_length').where('owner', '=', owner).executeTakeFirst();
      return row ? num(row.log_length) : 0;
    },

    async append(owner, expectedLength, entries, policy) {
      const outcome = await db.transaction().execute(async (trx): Promise<AppendOutcome> => {
        const state = await lockAccountState(trx, kind, owner);
        if (state.logLength !== expectedLength) return { ok: false, length: state.logLength };
        const account = await trx.selectFrom('accounts').select('protection_mode').where('user_record_name', '=', owner).executeTakeFirst();
        const previousMode: ProtectionMode = account?.protection_mode === 'advanced' ? 'advanced' : 'standard';
        const recoveryKey = await trx.selectFrom('recovery_keys').select('owner').where('owner', '=', owner).executeTakeFirst();
        const contactSet = await trx.selectFrom('recovery_contact_sets').select('owner').where('owner', '=', owner).executeTakeFirst();
        const mode = policy({ length: state.logLength, mode: previousMode, hasRecoveryMethod: recoveryKey !== undefined || contactSet !== undefined });

        const at = now();
        if (entries.length > 0) {
          await trx
            .insertInto('device_log')
            .values(entries.map((entry, i) => ({ owner, seq: state.logLength + i, entry, created_at: at })))
            .execute();
        }
        const length = state.logLength + entries.length;
        await trx.updateTable('device_account_state').set({ log_length: length }).where('owner', '=', owner).execute();

        let escrowCopiesDeleted = 0;
        if (mode !== previousMode) {
          await trx.updateTable('accounts').set({ protection_mode: mode }).where('user_record_name', '=', owner).execute();
        }
        if (mode === 'advanced') {
          // ADP: the server must hold no usable copy of any service key from now on.
          const result = await trx.updateTable('service_keys').set({ escrow_sealed: null, updated_at: at }).where('owner', '=', owner).where('escrow_sealed', 'is not', null).executeTakeFirst();
          escrowCopiesDeleted = Number(result.numUpdatedRows);
        }
        return { ok: true, length, mode, previousMode, escrowCopiesDeleted };
      });
      if (outcome.ok && outcome.escrowCopiesDeleted > 0) await scrubDeleted(ctx);
      return outcome;
    },
  };
}
