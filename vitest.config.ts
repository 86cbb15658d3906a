import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts'],
    // Storage and server suites share one PostgreSQL server; each suite makes its own database.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
