/**
 * The `auth_throttle` table: fixed-window attempt counters shared by every server node.
 *
 * `hit` is a single INSERT … ON CONFLICT DO UPDATE … RETURNING statement, so concurrent
 * attempts (on one or many nodes, SQLite or PostgreSQL) each see a distinct count and
 * none is lost — a read-then-write would let a burst of parallel guesses through.
 */
import { sql, type Kysely } from 'kysely';
import type { AccountsTables } from './schema.js';
import { toNumber } from './numbers.js';

export interface ThrottleWindow {
  /** Attempts counted in the current window, including this one for `hit`. */
  count: number;
  windowStart: number;
}

export interface ThrottleRepository {
  /** Counts one attempt; a window older than `windowMs` restarts at 1. */
  hit(key: string, now: number, windowMs: number): Promise<ThrottleWindow>;
  /** The current window without counting (null if none or expired). */
  peek(key: string, now: number, windowMs: number): Promise<ThrottleWindow | null>;
  reset(key: string): Promise<void>;
  /** Takes one attempt back (never below zero), e.g. a start that ended in a successful sign-in. */
  undo(key: string): Promise<void>;
}

export function createThrottleRepository(db: Kysely<AccountsTables>): ThrottleRepository {
  return {
    async hit(key, now, windowMs) {
      const staleBefore = now - windowMs;
      const row = await db
        .insertInto('auth_throttle')
        .values({ throttle_key: key, count: 1, window_start: now })
        .onConflict((oc) =>
          oc.column('throttle_key').doUpdateSet({
            count: sql<number>`CASE WHEN auth_throttle.window_start <= ${staleBefore} THEN 1 ELSE auth_throttle.count + 1 END`,
            window_start: sql<number>`CASE WHEN auth_throttle.window_start <= ${staleBefore} THEN ${now} ELSE auth_throttle.window_start END`,
          }),
        )
        .returning(['count', 'window_start'])
        .executeTakeFirstOrThrow();
      return { count: toNumber(row.count), windowStart: toNumber(row.window_start) };
    },

    async peek(key, now, windowMs) {
      const row = await db
        .selectFrom('auth_throttle')
        .select(['count', 'window_start'])
        .where('throttle_key', '=', key)
        .executeTakeFirst();
      if (!row) return null;
      const windowStart = toNumber(row.window_start);
      if (windowStart <= now - windowMs) return null;
      return { count: toNumber(row.count), windowStart };
    },

    async reset(key) {
      await db.deleteFrom('auth_throttle').where('throttle_key', '=', key).execute();
    },

    async undo(key) {
      await db
        .updateTable('auth_throttle')
        .set({ count: sql<number>`auth_throttle.count - 1` })
        .where('throttle_key', '=', key)
        .where('count', '>', 0)
        .execute();
    },
  };
}
