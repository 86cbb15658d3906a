import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteDialect } from 'kysely';

/**
 * SQLite over better-sqlite3. WAL lets readers in other processes (backups, the CLI)
 * work while the server writes; busy_timeout makes a second process wait for the write
 * lock instead of failing at once. Inside one process Kysely's SQLite driver holds a
 * single connection behind a mutex, so transactions never contend with each other.
 */
export function createSqliteDialect(file: string): SqliteDialect {
  mkdirSync(dirname(file), { recursive: true });
  const database = new Database(file);
  database.pragma('journal_mode = WAL');
  database.pragma('busy_timeout = 5000');
  // NORMAL is durable across application crashes in WAL mode; only an OS crash can lose the last commits.
  database.pragma('synchronous = NORMAL');
  database.pragma('foreign_keys = ON');
  // Deleted rows are zeroed, not left in free space: a destroyed passcode escrow or escrow copy must not survive in the file.
  database.pragma('secure_delete = ON');
  return new SqliteDialect({ database });
}
