import { PostgresAdapter, SqliteAdapter, type Kysely } from 'kysely';

/** The two engines Coffer runs on. Everything above this file talks Kysely only. */
export type DialectKind = 'sqlite' | 'postgres';

/**
 * Which engine a Kysely instance (or transaction) talks to. Migrations and the few
 * engine-specific statements (collations, identity columns, expression indexes) branch
 * on this instead of threading a flag through every call.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- works on any schema, including Kysely<unknown> in migrations
export function dialectKindOf(db: Kysely<any>): DialectKind {
  const adapter = db.getExecutor().adapter;
  if (adapter instanceof PostgresAdapter) return 'postgres';
  if (adapter instanceof SqliteAdapter) return 'sqlite';
  throw new Error(`unsupported Kysely dialect adapter ${adapter.constructor.name}`);
}
