/** The `accounts` table: one row per account, keyed by userRecordName, unique email. */
import type { Kysely, Selectable } from 'kysely';
import type { AccountsTable, AccountsTables, ProtectionMode } from './schema.js';
import { toNumber, toNumberOrNull } from './numbers.js';

export interface Account {
  userRecordName: string;
  email: string;
  opaqueRecord: string;
  protectionMode: ProtectionMode;
  /** Sealed TOTP secret (opaque to storage), or null when TOTP is off. */
  totpSecret: string | null;
  totpPending: string | null;
  totpLastStep: number | null;
  createdAt: number;
}

export interface NewAccount {
  userRecordName: string;
  email: string;
  opaqueRecord: string;
  createdAt: number;
}

export interface AccountsRepository {
  /** Inserts the account; returns false (and changes nothing) when the email or id is taken. */
  create(account: NewAccount): Promise<boolean>;
  findByEmail(email: string): Promise<Account | null>;
  findByRecordName(userRecordName: string): Promise<Account | null>;
  /** The account's protection mode; 'standard' for an unknown account (no ADP flag to honour). */
  protectionMode(userRecordName: string): Promise<ProtectionMode>;
  setProtectionMode(userRecordName: string, mode: ProtectionMode): Promise<void>;
  setTotpPending(userRecordName: string, sealedSecret: string | null): Promise<void>;
  /** Makes the pending secret active and records `step` as used; clears the pending slot. */
  activateTotp(userRecordName: string, sealedSecret: string, step: number): Promise<void>;
  /**
   * Records `step` as used iff it is newer than every step used before. Returns false for a
   * replay. One conditional UPDATE, so two nodes racing with the same code cannot both win.
   */
  claimTotpStep(userRecordName: string, step: number): Promise<boolean>;
}

function toAccount(row: Selectable<AccountsTable>): Account {
  return {
    userRecordName: row.user_record_name,
    email: row.email,
    opaqueRecord: row.opaque_record,
    protectionMode: row.protection_mode,
    totpSecret: row.totp_secret,
    totpPending: row.totp_pending,
    totpLastStep: toNumberOrNull(row.totp_last_step),
    createdAt: toNumber(row.created_at),
  };
}

export function createAccountsRepository(db: Kysely<AccountsTables>): AccountsRepository {
  return {
    async create(account) {
      const result = await db
        .insertInto('accounts')
        .values({
          user_record_name: account.userRecordName,
          email: account.email,
          opaque_record: account.opaqueRecord,
          totp_secret: null,
          totp_pending: null,
          totp_last_step: null,
          created_at: account.createdAt,
        })
        .onConflict((oc) => oc.doNothing())
        .executeTakeFirst();
      return (result.numInsertedOrUpdatedRows ?? 0n) > 0n;
    },

    async findByEmail(email) {
      const row = await db.selectFrom('accounts').selectAll().where('email', '=', email).executeTakeFirst();
      return row ? toAccount(row) : null;
    },

    async findByRecordName(userRecordName) {
      const row = await db.selectFrom('accounts').selectAll().where('user_record_name', '=', userRecordName).executeTakeFirst();
      return row ? toAccount(row) : null;
    },

    async protectionMode(userRecordName) {
      const row = await db
        .selectFrom('accounts')
        .select('protection_mode')
        .where('user_record_name', '=', userRecordName)
        .executeTakeFirst();
      return row?.protection_mode ?? 'standard';
    },

    async setProtectionMode(userRecordName, mode) {
      await db.updateTable('accounts').set({ protection_mode: mode }).where('user_record_name', '=', userRecordName).execute();
    },

    async setTotpPending(userRecordName, sealedSecret) {
      await db.updateTable('accounts').set({ totp_pending: sealedSecret }).where('user_record_name', '=', userRecordName).execute();
    },

    async activateTotp(userRecordName, sealedSecret, step) {
      await db
        .updateTable('accounts')
        .set({ totp_secret: sealedSecret, totp_pending: null, totp_last_step: step })
        .where('user_record_name', '=', userRecordName)
        .execute();
    },

    async claimTotpStep(userRecordName, step) {
      const result = await db
        .updateTable('accounts')
        .set({ totp_last_step: step })
        .where('user_record_name', '=', userRecordName)
        .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', step)]))
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },
  };
}
