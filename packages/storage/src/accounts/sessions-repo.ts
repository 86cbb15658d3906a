/** The `auth_sessions` table: bearer sessions, stored by SHA-256 of the token only. */
import type { Kysely, Selectable } from 'kysely';
import type { AccountsTables, SessionsTable } from './schema.js';
import { toNumber } from './numbers.js';

export interface SessionRow {
  tokenHash: string;
  sessionId: string;
  userRecordName: string;
  createdAt: number;
  lastUsedAt: number;
  expiresAt: number;
}

export interface SessionsRepository {
  create(session: SessionRow): Promise<void>;
  findByTokenHash(tokenHash: string): Promise<SessionRow | null>;
  /** Slides the expiry forward. */
  touch(tokenHash: string, lastUsedAt: number, expiresAt: number): Promise<void>;
  /** Deletes the session; returns whether one existed. */
  revoke(tokenHash: string): Promise<boolean>;
  revokeAllFor(userRecordName: string): Promise<number>;
  deleteExpired(now: number): Promise<number>;
}

function toSession(row: Selectable<SessionsTable>): SessionRow {
  return {
    tokenHash: row.token_hash,
    sessionId: row.session_id,
    userRecordName: row.user_record_name,
    createdAt: toNumber(row.created_at),
    lastUsedAt: toNumber(row.last_used_at),
    expiresAt: toNumber(row.expires_at),
  };
}

export function createSessionsRepository(db: Kysely<AccountsTables>): SessionsRepository {
  return {
    async create(s) {
      await db
        .insertInto('auth_sessions')
        .values({
          token_hash: s.tokenHash,
          session_id: s.sessionId,
          user_record_name: s.userRecordName,
          created_at: s.createdAt,
          last_used_at: s.lastUsedAt,
          expires_at: s.expiresAt,
        })
        .execute();
    },

    async findByTokenHash(tokenHash) {
      const row = await db.selectFrom('auth_sessions').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
      return row ? toSession(row) : null;
    },

    async touch(tokenHash, lastUsedAt, expiresAt) {
      await db
        .updateTable('auth_sessions')
        .set({ last_used_at: lastUsedAt, expires_at: expiresAt })
        .where('token_hash', '=', tokenHash)
        .execute();
    },

    async revoke(tokenHash) {
      const result = await db.deleteFrom('auth_sessions').where('token_hash', '=', tokenHash).executeTakeFirst();
      return result.numDeletedRows > 0n;
    },

    async revokeAllFor(userRecordName) {
      const result = await db.deleteFrom('auth_sessions').where('user_record_name', '=', userRecordName).executeTakeFirst();
      return Number(result.numDeletedRows);
    },

    async deleteExpired(now) {
      const result = await db.deleteFrom('auth_sessions').where('expires_at', '<=', now).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
