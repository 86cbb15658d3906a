/**
 * The Store: one Kysely query layer over SQLite or PostgreSQL, migrated to the latest
 * schema, with a typed repository per area. Callers that need a query no repository
 * offers may use `db` directly; repositories are the preferred surface.
 */
import { Kysely } from 'kysely';
import { createAuthStore, type AccountsTables, type AuthStore } from './accounts/index.js';
import type { DatabaseSchema } from './database-schema.js';
import type { DialectKind } from './dialect/dialect-kind.js';
import { createPostgresDialect } from './dialect/postgres-dialect.js';
import { createSqliteDialect } from './dialect/sqlite-dialect.js';
import { migrateToLatest } from './migrations/index.js';
import { createCloudStore, type CloudStore } from './cloud-store.js';
import { createDevicesStore, type DevicesDatabase, type DevicesStore } from './devices/index.js';

export type StoreConfig = { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string; maxConnections?: number };

export interface Store extends CloudStore {
  readonly kind: DialectKind;
  readonly db: Kysely<DatabaseSchema>;
  /** Accounts, sessions, login states, API tokens, throttling (packages/storage/src/accounts). */
  readonly auth: AuthStore;
  /** Device log, keychain copies, recovery records, passcode escrow, resets (packages/storage/src/devices). */
  readonly devices: DevicesStore;
  /** Closes the pool / file handle. The Store is unusable afterwards. */
  close(): Promise<void>;
}

export async function openStore(config: StoreConfig): Promise<Store> {
  const dialect = config.kind === 'sqlite' ? createSqliteDialect(config.file) : createPostgresDialect(config.url, config.maxConnections).dialect;
  const db = new Kysely<DatabaseSchema>({ dialect });
  try {
    await migrateToLatest(db);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  let closed = false;
  return {
    kind: config.kind,
    db,
    // Kysely's database type is invariant; the accounts repositories only touch their own tables.
    auth: createAuthStore(db as unknown as Kysely<AccountsTables>),
    devices: createDevicesStore(db as unknown as Kysely<DevicesDatabase>, config.kind),
    ...createCloudStore(db, config.kind),
    async close() {
      if (closed) return;
      closed = true;
      await db.destroy();
    },
  };
}
