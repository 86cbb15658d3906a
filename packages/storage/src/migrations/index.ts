/**
 * Every schema migration, in order. Names sort lexically, so they are numbered;
 * a new area appends `NNNN-<area>` here. Migrations are code (not files on disk) so
 * they ship inside the package and run the same under tsx, tests and bundles.
 */
import { Migrator, type Kysely, type Migration } from 'kysely';
import { migration0001Records } from './0001-records.js';
import { migration0002Accounts } from './0002-accounts.js';
import { migration0003Assets } from './0003-assets.js';
import { migration0004Devices } from './0004-devices.js';

export const migrations: Readonly<Record<string, Migration>> = {
  '0001-records': migration0001Records,
  '0002-accounts': migration0002Accounts,
  '0003-assets': migration0003Assets,
  '0004-devices': migration0004Devices,
};

export class MigrationError extends Error {
  readonly code = 'MIGRATION_FAILED';
  constructor(migration: string | undefined, cause: unknown) {
    super(`database migration ${migration ?? '(unknown)'} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'MigrationError';
  }
}

/** Brings the database to the latest schema; safe to call on every start. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the migrator works on any schema
export async function migrateToLatest(db: Kysely<any>): Promise<void> {
  const migrator = new Migrator({ db, provider: { getMigrations: () => Promise.resolve({ ...migrations }) } });
  const { error, results } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === 'Error');
    throw new MigrationError(failed?.migrationName, error);
  }
}
