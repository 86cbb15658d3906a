/**
 * The slice of the database this area touches: its own tables, plus the two columns it
 * must change in the same transaction as the device log — `accounts.protection_mode`
 * (the ADP flag the log's adp-on/adp-off entries set) and `service_keys.escrow_sealed`
 * (escrowed copies deleted on adp-on, retired on keychain reset).
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { AccountsTables } from '../accounts/schema.js';
import type { RecordTables } from '../records/record-tables.js';
import type { DialectKind } from '../dialect/dialect-kind.js';
import type { DevicesTables } from './schema.js';

export type DevicesDatabase = DevicesTables & Pick<AccountsTables, 'accounts'> & Pick<RecordTables, 'service_keys'>;
export type DevicesDb = Kysely<DevicesDatabase>;
export type DevicesTrx = Transaction<DevicesDatabase>;

export interface DevicesContext {
  db: DevicesDb;
  kind: DialectKind;
  /** ms since the epoch; injectable for expiry tests. */
  now: () => number;
}

/** pg returns BIGINT as strings; every value here is a counter or a ms timestamp (< 2^53). */
export function num(value: number | string | bigint): number {
  return typeof value === 'number' ? value : Number(value);
}

/**
 * Locks (creating if needed) the account's state row so that log appends, mode changes and
 * resets of one account are serialised. SQLite runs one write transaction at a time already.
 */
export async function lockAccountState(trx: DevicesTrx, kind: DialectKind, owner: string): Promise<{ logLength: number; resetGeneration: number }> {
  await trx
    .insertInto('device_account_state')
    .values({ owner, log_length: 0, reset_generation: 0, reset_at: null })
    .onConflict((oc) => oc.column('owner').doNothing())
    .execute();
  let query = trx.selectFrom('device_account_state').select(['log_length', 'reset_generation']).where('owner', '=', owner);
  if (kind === 'postgres') query = query.forUpdate();
  const row = await query.executeTakeFirstOrThrow();
  return { logLength: num(row.log_length), resetGeneration: num(row.reset_generation) };
}

/**
 * After a transaction that destroyed secrets (passcode escrow, escrowed copies, replaced
 * recovery records): on SQLite, checkpoint and truncate the WAL so no older frame still
 * holds the deleted bytes (the dialect's secure_delete zeroes them in the pages). On
 * PostgreSQL deleted tuples stay on disk until VACUUM — docs/SECURITY.md says so.
 */
export async function scrubDeleted(ctx: DevicesContext): Promise<void> {
  if (ctx.kind !== 'sqlite') return;
  await sql`PRAGMA wal_checkpoint(TRUNCATE)`.execute(ctx.db);
}
