/** The `api_tokens` table: per-container tokens (`ckAPIToken`) for public-database reads, stored hashed. */
import type { Kysely } from 'kysely';
import type { AccountsTables } from './schema.js';
import { toNumber } from './numbers.js';

export interface ApiTokenRow {
  tokenHash: string;
  tokenId: string;
  container: string;
  userRecordName: string;
  createdAt: number;
}

export interface ApiTokensRepository {
  create(row: ApiTokenRow): Promise<void>;
  findByTokenHash(tokenHash: string): Promise<ApiTokenRow | null>;
  listFor(userRecordName: string): Promise<ApiTokenRow[]>;
  revoke(tokenId: string, userRecordName: string): Promise<boolean>;
}

export function createApiTokensRepository(db: Kysely<AccountsTables>): ApiTokensRepository {
  return {
    async create(row) {
      await db
        .insertInto('api_tokens')
        .values({
          token_hash: row.tokenHash,
          token_id: row.tokenId,
          container: row.container,
          user_record_name: row.userRecordName,
          created_at: row.createdAt,
        })
        .execute();
    },

    async findByTokenHash(tokenHash) {
      const row = await db.selectFrom('api_tokens').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
      if (!row) return null;
      return {
        tokenHash: row.token_hash,
        tokenId: row.token_id,
        container: row.container,
        userRecordName: row.user_record_name,
        createdAt: toNumber(row.created_at),
      };
    },

    async listFor(userRecordName) {
      const rows = await db
        .selectFrom('api_tokens')
        .selectAll()
        .where('user_record_name', '=', userRecordName)
        .orderBy('created_at')
        .execute();
      return rows.map((row) => ({
        tokenHash: row.token_hash,
        tokenId: row.token_id,
        container: row.container,
        userRecordName: row.user_record_name,
        createdAt: toNumber(row.created_at),
      }));
    },

    async revoke(tokenId, userRecordName) {
      const result = await db
        .deleteFrom('api_tokens')
        .where('token_id', '=', tokenId)
        .where('user_record_name', '=', userRecordName)
        .executeTakeFirst();
      return result.numDeletedRows > 0n;
    },
  };
}
