/**
 * Storage quota accounting. Usage is kept per subject — `user:<userRecordName>` for a
 * user's private data across all containers, `public:<container>:<environment>` for a
 * public database — and updated in the same transaction as the write it accounts for.
 */
import type { Kysely, Transaction } from 'kysely';
import type { DatabaseSchema } from '../database-schema.js';

export interface UsageRepository {
  bytesUsed(subject: string): Promise<number>;
}

export function createUsageRepository(db: Kysely<DatabaseSchema>): UsageRepository {
  return {
    async bytesUsed(subject) {
      const row = await db.selectFrom('usage').select('bytes').where('subject', '=', subject).executeTakeFirst();
      return row ? row.bytes : 0;
    },
  };
}

/**
 * Reads a subject's usage and holds its row lock until the transaction ends, so two
 * writers for the same user (in different databases) cannot both fit under the quota.
 * Lock order is always database row, then usage row.
 */
export async function lockUsage(trx: Transaction<DatabaseSchema>, subject: string): Promise<number> {
  // One statement: creates the row if needed and, as an update of it, holds its row lock.
  const row = await trx
    .insertInto('usage')
    .values({ subject, bytes: 0 })
    .onConflict((oc) => oc.column('subject').doUpdateSet((eb) => ({ bytes: eb.ref('usage.bytes') })))
    .returning('bytes')
    .executeTakeFirstOrThrow();
  return row.bytes;
}

/** Adds to a subject's usage whose row this transaction already locked with lockUsage. */
export async function addLockedUsage(trx: Transaction<DatabaseSchema>, subject: string, delta: number): Promise<void> {
  await trx
    .updateTable('usage')
    .set((eb) => ({ bytes: eb('bytes', '+', delta) }))
    .where('subject', '=', subject)
    .execute();
}

export async function addUsage(trx: Transaction<DatabaseSchema>, subject: string, delta: number): Promise<void> {
  if (delta === 0) return;
  await lockUsage(trx, subject);
  await trx
    .updateTable('usage')
    .set((eb) => ({ bytes: eb('bytes', '+', delta) }))
    .where('subject', '=', subject)
    .execute();
}
