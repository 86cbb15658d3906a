import pg from 'pg';
import { PostgresDialect } from 'kysely';

const INT8_OID = 20;

/**
 * PostgreSQL over a pg Pool. BIGINT columns hold counters, sizes and millisecond
 * timestamps (all far below 2^53), so this pool parses them as numbers; user INT64
 * values are never read back from BIGINT columns (records keep them as decimal strings
 * in their JSON), so no precision is lost. The parser is per pool, not pg's global one.
 */
export function createPostgresDialect(url: string, maxConnections = 10): { dialect: PostgresDialect; pool: pg.Pool } {
  const pool = new pg.Pool({
    connectionString: url,
    max: maxConnections,
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID ? (value: string) => Number(value) : (pg.types.getTypeParser as (oid: number, format?: string) => unknown)(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  // An idle pooled connection can be terminated by the server (restart, failover, a dropped
  // database). pg reports that as a pool 'error' event, which would crash the process if
  // unhandled; the pool discards the client and the next query connects afresh.
  pool.on('error', () => undefined);
  return { dialect: new PostgresDialect({ pool }), pool };
}
