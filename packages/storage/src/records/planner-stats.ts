/**
 * Keeps PostgreSQL's planner statistics fresh while tables grow from empty. Without
 * statistics the planner estimates one row everywhere and picks nested loops for the
 * query index probes — seconds instead of milliseconds once a zone has thousands of
 * records. Autovacuum fixes that within a minute or so; until then this runs ANALYZE in
 * the background after 1k, 2k, 4k, … written records (per process, bounded), so the
 * number of ANALYZE runs grows only with the logarithm of the data.
 */
import { sql, type Kysely } from 'kysely';
import type { DatabaseSchema } from '../database-schema.js';

const FIRST_THRESHOLD = 1000;
const LAST_THRESHOLD = 4_000_000;

export interface PlannerStats {
  /** Counts written records; may start a background ANALYZE. Never throws, never waits. */
  recordWritten(count: number): void;
}

export function createPlannerStats(db: Kysely<DatabaseSchema>, enabled: boolean): PlannerStats {
  let written = 0;
  let threshold = FIRST_THRESHOLD;
  let running = false;
  return {
    recordWritten(count) {
      if (!enabled || threshold > LAST_THRESHOLD) return;
      written += count;
      if (written < threshold || running) return;
      threshold *= 2;
      running = true;
      sql`analyze records, record_fields`
        .execute(db)
        .catch(() => undefined) // Best effort: autovacuum will analyze anyway.
        .finally(() => {
          running = false;
        });
    },
  };
}
