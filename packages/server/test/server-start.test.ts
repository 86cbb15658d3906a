/**
 * startServer over a real socket: it listens where it says, serves the record API over
 * HTTP, reports where data lives, and closes cleanly (SQLite default and PostgreSQL).
 */
import { describe, expect, it } from 'vitest';
import { testBackends } from '@coffer/storage';
import { startServer } from '../src/index.js';

for (const backend of testBackends()) {
  describe(`startServer (${backend.name})`, () => {
    it('listens on 127.0.0.1 with a free port, answers real HTTP in the CloudKit envelope, and closes', async () => {
      const database = await backend.provision();
      try {
        const server = await startServer({ dataDir: database.dataDir, port: 0, ...(database.databaseUrl ? { databaseUrl: database.databaseUrl } : {}) });
        try {
          expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
          expect(server.dataLocation).toMatch(backend.name === 'sqlite' ? /^SQLite .*coffer\.sqlite$/ : /^PostgreSQL postgres:\/\//);
          const response = await fetch(`${server.url}/database/1/iCloud.com.example.app/development/private/zones/list`);
          expect(response.status).toBe(421);
          expect(await response.json()).toMatchObject({ serverErrorCode: 'AUTHENTICATION_REQUIRED' });
          const key = await fetch(`${server.url}/escrow/1/public-key`);
          expect(key.status).toBe(200);
        } finally {
          await server.close();
        }
        await expect(fetch(`${server.url}/escrow/1/public-key`)).rejects.toThrow();
      } finally {
        await database.drop();
      }
    });
  });
}
