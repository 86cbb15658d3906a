/**
 * Passcode escrow records and pending enrollments. The attempt counter lives here and is
 * spent BEFORE the server evaluates a guess (a crash after evaluating cannot refund it);
 * when it is spent the record is deleted — not flagged — so nothing is left to guess at.
 * The OPRF key that makes the verifier unguessable offline is NOT in the database.
 */
import { num, scrubDeleted, type DevicesContext } from './db.js';

export interface StoredPasscodeEscrow {
  enrollmentId: string;
  wrappedKeychainKey: string;
  verifier: string;
  attemptsLeft: number;
}

export type AttemptOutcome =
  | { kind: 'ok'; enrollmentId: string; attemptsLeft: number }
  | { kind: 'none' }
  /** There was a record with no attempts left: it is now destroyed. */
  | { kind: 'exhausted' };

export interface PasscodeRepository {
  /** Records a pending enrollment (replacing an older pending one). */
  startEnrollment(owner: string, enrollmentId: string, ttlMs: number): Promise<void>;
  /** Makes a pending, unexpired enrollment the account's escrow (replacing any old one); false if none matches. */
  finishEnrollment(owner: string, enrollmentId: string, record: { wrappedKeychainKey: string; verifier: string; attempts: number }): Promise<boolean>;
  get(owner: string): Promise<StoredPasscodeEscrow | null>;
  /** Spends one attempt (atomically); destroys a record that had none left. */
  spendAttempt(owner: string): Promise<AttemptOutcome>;
  /** After a correct proof: back to `attempts`, only if the record is still this enrollment. */
  resetAttempts(owner: string, enrollmentId: string, attempts: number): Promise<void>;
  /** Destroys the record if it belongs to `enrollmentId` and has no attempts left; true if it did. */
  destroyIfExhausted(owner: string, enrollmentId: string): Promise<boolean>;
  delete(owner: string): Promise<boolean>;
}

export function createPasscodeRepository(ctx: DevicesContext): PasscodeRepository {
  const { db, now } = ctx;
  return {
    async startEnrollment(owner, enrollmentId, ttlMs) {
      const expires_at = now() + ttlMs;
      await db
        .insertInto('passcode_enrollments')
        .values({ owner, enrollment_id: enrollmentId, expires_at })
        .onConflict((oc) => oc.column('owner').doUpdateSet({ enrollment_id: enrollmentId, expires_at }))
        .execute();
    },

    async finishEnrollment(owner, enrollmentId, record) {
      const finished = await db.transaction().execute(async (trx) => {
        const claimed = await trx
          .deleteFrom('passcode_enrollments')
          .where('owner', '=', owner)
          .where('enrollment_id', '=', enrollmentId)
          .where('expires_at', '>', now())
          .executeTakeFirst();
        if (Number(claimed.numDeletedRows) === 0) return false;
        const values = { enrollment_id: enrollmentId, wrapped_keychain_key: record.wrappedKeychainKey, verifier: record.verifier, attempts_left: record.attempts, updated_at: now() };
        await trx.insertInto('passcode_escrow').values({ owner, ...values }).onConflict((oc) => oc.column('owner').doUpdateSet(values)).execute();
        return true;
      });
      if (finished) await scrubDeleted(ctx); // the replaced record is gone for good
      return finished;
    },

    async get(owner) {
      const row = await db.selectFrom('passcode_escrow').selectAll().where('owner', '=', owner).executeTakeFirst();
      if (!row) return null;
      return { enrollmentId: row.enrollment_id, wrappedKeychainKey: row.wrapped_keychain_key, verifier: row.verifier, attemptsLeft: num(row.attempts_left) };
    },

    async spendAttempt(owner) {
      const outcome = await db.transaction().execute(async (trx): Promise<AttemptOutcome> => {
        // The decrement is conditional on attempts remaining, so two parallel guesses spend two attempts.
        const spent = await trx
          .updateTable('passcode_escrow')
          .set((eb) => ({ attempts_left: eb('attempts_left', '-', 1), updated_at: now() }))
          .where('owner', '=', owner)
          .where('attempts_left', '>', 0)
          .returning(['enrollment_id', 'attempts_left'])
          .executeTakeFirst();
        if (spent) return { kind: 'ok', enrollmentId: spent.enrollment_id, attemptsLeft: num(spent.attempts_left) };
        const destroyed = await trx.deleteFrom('passcode_escrow').where('owner', '=', owner).executeTakeFirst();
        return Number(destroyed.numDeletedRows) > 0 ? { kind: 'exhausted' } : { kind: 'none' };
      });
      if (outcome.kind === 'exhausted') await scrubDeleted(ctx);
      return outcome;
    },

    async resetAttempts(owner, enrollmentId, attempts) {
      await db.updateTable('passcode_escrow').set({ attempts_left: attempts, updated_at: now() }).where('owner', '=', owner).where('enrollment_id', '=', enrollmentId).execute();
    },

    async destroyIfExhausted(owner, enrollmentId) {
      const result = await db.deleteFrom('passcode_escrow').where('owner', '=', owner).where('enrollment_id', '=', enrollmentId).where('attempts_left', '<=', 0).executeTakeFirst();
      const destroyed = Number(result.numDeletedRows) > 0;
      if (destroyed) await scrubDeleted(ctx);
      return destroyed;
    },

    async delete(owner) {
      const deleted = await db.transaction().execute(async (trx) => {
        await trx.deleteFrom('passcode_enrollments').where('owner', '=', owner).execute();
        const result = await trx.deleteFrom('passcode_escrow').where('owner', '=', owner).executeTakeFirst();
        return Number(result.numDeletedRows) > 0;
      });
      if (deleted) await scrubDeleted(ctx);
      return deleted;
    },
  };
}
