/**
 * Snapshot metadata is end-to-end encrypted (Apple keeps it under server keys): after a
 * backup, nothing the server stores — SQLite file and WAL, blob folder, or every
 * PostgreSQL table — contains a file's content, a file or folder name, the backed-up
 * path, the device name, a symlink target, or the raw SHA-256 of a file.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { testBackends } from '@coffer/storage';
import { closeAssetEngines } from '@coffer/sdk';
import { Backup } from '../src/index.js';
import { signedIn, startTestServer, tempDir } from './helpers.js';

const marker = (): string => `coffer${randomBytes(10).toString('hex')}`;

/** Raw, hex and base64 (every alignment, both alphabets) forms of a secret. */
function needles(secret: string | Uint8Array): string[] {
  const bytes = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : Buffer.from(secret);
  const out = new Set([bytes.toString('latin1'), bytes.toString('hex'), bytes.toString('hex').toUpperCase()]);
  for (let offset = 0; offset < 3; offset++) {
    const b64 = Buffer.from(bytes.subarray(offset)).toString('base64').replace(/=+$/, '');
    const core = b64.slice(0, Math.floor((bytes.length - offset) / 3) * 4);
    out.add(core);
    out.add(core.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return [...out].filter((n) => n.length >= 8);
}

function dumpFiles(dir: string): string {
  const parts: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else parts.push(readFileSync(path).toString('latin1'));
    }
  };
  walk(dir);
  return parts.join('\n');
}

async function dumpPostgres(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const tables = await client.query<{ table_schema: string; table_name: string }>(
      "select table_schema, table_name from information_schema.tables where table_type = 'BASE TABLE' and table_schema not in ('pg_catalog', 'information_schema')",
    );
    const rows: string[] = [];
    for (const t of tables.rows) rows.push(...(await client.query<{ row: string }>(`select t::text as row from "${t.table_schema}"."${t.table_name}" t`)).rows.map((r) => r.row));
    return rows.join('\n');
  } finally {
    await client.end();
  }
}

describe.each(testBackends().map((b) => [b.name, b] as const))('%s: snapshot metadata and content stay encrypted', (_name, backend) => {
  it('finds no content, names, paths, device name, link targets or content hashes', async () => {
    const database = await backend.provision();
    const server = await startTestServer({ dataDir: database.dataDir, ...(database.databaseUrl === undefined ? {} : { databaseUrl: database.databaseUrl }) });
    try {
      const device = marker();
      const folder = marker();
      const names = [marker(), `${marker()}.txt`, `${marker()}.bin`];
      const linkTarget = `${marker()}/target`;
      const root = join(tempDir(), folder);
      mkdirSync(join(root, names[0]!), { recursive: true });
      const text = Buffer.from(`${marker()} private words\n`.repeat(100));
      const random = randomBytes(3 * 1024 * 1024);
      writeFileSync(join(root, names[0]!, names[1]!), text);
      writeFileSync(join(root, names[2]!), random);
      symlinkSync(linkTarget, join(root, 'link'));

      const backup = new Backup(await signedIn(server.url), { deviceName: device });
      const { snapshot } = await backup.create(root);
      expect(snapshot.files).toBe(2);

      let haystack = dumpFiles(database.dataDir);
      if (database.databaseUrl !== undefined) haystack += `\n${await dumpPostgres(database.databaseUrl)}`;
      expect(haystack.includes(snapshot.id)).toBe(true); // the record name is visible: the scan works
      const secrets: (string | Uint8Array)[] = [device, folder, root, linkTarget, ...names, text.subarray(0, 40), random.subarray(1000, 1032),
        createHash('sha256').update(text).digest(), createHash('sha256').update(random).digest()];
      for (const secret of secrets) for (const needle of needles(secret)) expect(haystack.includes(needle), `found ${needle}`).toBe(false);
    } finally {
      await closeAssetEngines();
      await server.close();
      await database.drop();
    }
  });
});
