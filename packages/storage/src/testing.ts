/**
 * Test backends for every suite that needs a database: SQLite in a fresh temp directory
 * and PostgreSQL in a fresh database `coffer_t_<random>` on the server at
 * COFFER_TEST_PG_URL (default postgres://postgres@127.0.0.1:5432/postgres). Tests run
 * against the real engines; an unreachable PostgreSQL fails the test with a clear
 * message instead of being skipped.
 *
 *   for (const backend of testBackends()) describe(backend.name, () => { … await backend.open() … });
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openStore, type Store, type StoreConfig } from './store.js';

export const DEFAULT_TEST_PG_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

/** A fresh, empty database that nothing has opened yet (e.g. for a server under test to open). */
export interface TestDatabase {
  name: 'sqlite' | 'postgres';
  config: StoreConfig;
  /** A fresh temp directory (holds the SQLite file; servers may keep their key files here). */
  dataDir: string;
  /** The PostgreSQL URL of the fresh database; undefined for SQLite. */
  databaseUrl: string | undefined;
  /** Drops the database and removes the temp directory. */
  drop(): Promise<void>;
}

/** A migrated Store on a fresh database; close() also drops the database. */
export interface TestStore extends Store {
  readonly testDatabase: TestDatabase;
}

export interface TestBackend {
  name: 'sqlite' | 'postgres';
  /** A fresh database, not opened. */
  provision(): Promise<TestDatabase>;
  /** A fresh database, opened and migrated. */
  open(): Promise<TestStore>;
}

export function testPgUrl(): string {
  return process.env.COFFER_TEST_PG_URL ?? DEFAULT_TEST_PG_URL;
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

async function adminQuery(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(
      `PostgreSQL test server unreachable at ${url} (${error instanceof Error ? error.message : String(error)}). ` +
        'Start PostgreSQL or set COFFER_TEST_PG_URL; PostgreSQL tests are never skipped.',
      { cause: error },
    );
  }
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

function provisionSqlite(): Promise<TestDatabase> {
  const dataDir = mkdtempSync(join(tmpdir(), 'coffer-test-'));
  return Promise.resolve({
    name: 'sqlite',
    config: { kind: 'sqlite', file: join(dataDir, 'coffer.sqlite') },
    dataDir,
    databaseUrl: undefined,
    drop() {
      rmSync(dataDir, { recursive: true, force: true });
      return Promise.resolve();
    },
  });
}

async function provisionPostgres(): Promise<TestDatabase> {
  const serverUrl = testPgUrl();
  const database = `coffer_t_${randomBytes(6).toString('hex')}`;
  await adminQuery(serverUrl, `create database ${database}`);
  const dataDir = mkdtempSync(join(tmpdir(), 'coffer-test-'));
  const url = withDatabase(serverUrl, database);
  return {
    name: 'postgres',
    config: { kind: 'postgres', url, maxConnections: 5 },
    dataDir,
    databaseUrl: url,
    async drop() {
      rmSync(dataDir, { recursive: true, force: true });
      await adminQuery(serverUrl, `drop database if exists ${database} with (force)`);
    },
  };
}

async function openTestStore(provision: () => Promise<TestDatabase>): Promise<TestStore> {
  const testDatabase = await provision();
  let store: Store;
  try {
    store = await openStore(testDatabase.config);
  } catch (error) {
    await testDatabase.drop();
    throw error;
  }
  return {
    ...store,
    testDatabase,
    async close() {
      await store.close();
      await testDatabase.drop();
    },
  };
}

export function testBackends(): TestBackend[] {
  return [
    { name: 'sqlite', provision: provisionSqlite, open: () => openTestStore(provisionSqlite) },
    { name: 'postgres', provision: provisionPostgres, open: () => openTestStore(provisionPostgres) },
  ];
}
