/**
 * 0002-accounts: accounts, OPAQUE login states, sessions, API tokens, attempt counters,
 * and the fingerprints of the server's key files.
 * Portable DDL only (text/bigint/integer), so the same migration runs on SQLite and
 * PostgreSQL. See packages/storage/src/accounts/schema.ts for what each column holds
 * and, as importantly, what is never stored.
 */
import type { Kysely, Migration } from 'kysely';

export const migration0002Accounts: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('accounts')
      .addColumn('user_record_name', 'text', (c) => c.primaryKey())
      .addColumn('email', 'text', (c) => c.notNull().unique())
      .addColumn('opaque_record', 'text', (c) => c.notNull())
      // The ADP flag the protection issue drives; every account starts in Standard.
      .addColumn('protection_mode', 'text', (c) => c.notNull().defaultTo('standard'))
      .addColumn('totp_secret', 'text')
      .addColumn('totp_pending', 'text')
      .addColumn('totp_last_step', 'bigint')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('auth_login_states')
      .addColumn('id_hash', 'text', (c) => c.primaryKey())
      .addColumn('email', 'text', (c) => c.notNull())
      .addColumn('user_record_name', 'text')
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('auth_login_states_expires').on('auth_login_states').column('expires_at').execute();

    await db.schema
      .createTable('auth_sessions')
      .addColumn('token_hash', 'text', (c) => c.primaryKey())
      .addColumn('session_id', 'text', (c) => c.notNull().unique())
      .addColumn('user_record_name', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('last_used_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('auth_sessions_user').on('auth_sessions').column('user_record_name').execute();
    await db.schema.createIndex('auth_sessions_expires').on('auth_sessions').column('expires_at').execute();

    await db.schema
      .createTable('api_tokens')
      .addColumn('token_hash', 'text', (c) => c.primaryKey())
      .addColumn('token_id', 'text', (c) => c.notNull().unique())
      .addColumn('container', 'text', (c) => c.notNull())
      .addColumn('user_record_name', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('api_tokens_user').on('api_tokens').column('user_record_name').execute();

    await db.schema
      .createTable('auth_throttle')
      .addColumn('throttle_key', 'text', (c) => c.primaryKey())
      .addColumn('count', 'integer', (c) => c.notNull())
      .addColumn('window_start', 'bigint', (c) => c.notNull())
      .execute();

    // Fingerprints of the server's key files (escrow key, OPAQUE setup, at-rest key), so a
    // node started with a missing or different file fails loudly instead of silently
    // minting a new key that cannot open what the database already holds.
    await db.schema
      .createTable('server_key_ids')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('key_id', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
  },

  async down(db: Kysely<unknown>): Promise<void> {
    for (const table of ['server_key_ids', 'auth_throttle', 'api_tokens', 'auth_sessions', 'auth_login_states', 'accounts']) {
      await db.schema.dropTable(table).ifExists().execute();
    }
  },
};
