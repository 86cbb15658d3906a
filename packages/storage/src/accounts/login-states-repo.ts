/**
 * The `auth_login_states` table: OPAQUE server state between login/start and
 * login/finish. In the database (not process memory) so start and finish may hit
 * different server nodes.
 */
import type { Kysely } from 'kysely';
import type { AccountsTables } from './schema.js';
import { toNumber } from './numbers.js';

export interface LoginStateRow {
  idHash: string;
  email: string;
  userRecordName: string | null;
  /** Sealed OPAQUE server login state (opaque to storage). */
  state: string;
  expiresAt: number;
}

export interface LoginStatesRepository {
  put(row: LoginStateRow): Promise<void>;
  /** The state if present and not expired at `now`. */
  find(idHash: string, now: number): Promise<LoginStateRow | null>;
  /** Deletes it; returns false when another request already consumed it. */
  consume(idHash: string): Promise<boolean>;
  deleteExpired(now: number): Promise<number>;
}

export function createLoginStatesRepository(db: Kysely<AccountsTables>): LoginStatesRepository {
  return {
    async put(row) {
      await db
        .insertInto('auth_login_states')
        .values({
          id_hash: row.idHash,
          email: row.email,
          user_record_name: row.userRecordName,
          state: row.state,
          expires_at: row.expiresAt,
        })
        .execute();
    },

    async find(idHash, now) {
      const row = await db
        .selectFrom('auth_login_states')
        .selectAll()
        .where('id_hash', '=', idHash)
        .where('expires_at', '>', now)
        .executeTakeFirst();
      if (!row) return null;
      return {
        idHash: row.id_hash,
        email: row.email,
        userRecordName: row.user_record_name,
        state: row.state,
        expiresAt: toNumber(row.expires_at),
      };
    },

    async consume(idHash) {
      const result = await db.deleteFrom('auth_login_states').where('id_hash', '=', idHash).executeTakeFirst();
      return result.numDeletedRows > 0n;
    },

    async deleteExpired(now) {
      const result = await db.deleteFrom('auth_login_states').where('expires_at', '<=', now).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
