/** Scanning what a server stored: data-folder files and PostgreSQL tables, for secrets in any common encoding. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { expect } from 'vitest';

/** Every encoding of `secret` a careless server might have stored. */
export function needles(secret: string | Uint8Array): string[] {
  const bytes = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : Buffer.from(secret);
  const out = new Set<string>([bytes.toString('latin1'), bytes.toString('hex'), bytes.toString('hex').toUpperCase()]);
  // base64 of a substring depends on its offset mod 3: cover all three, trimming edge characters.
  for (let offset = 0; offset < 3; offset++) {
    const b64 = Buffer.from(bytes.subarray(offset)).toString('base64').replace(/=+$/, '');
    const core = b64.slice(0, Math.floor((bytes.length - offset) / 3) * 4);
    out.add(core);
    out.add(core.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return [...out];
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** All bytes of all files, as latin1 text (so byte-for-byte matching works for ASCII needles). */
export function dumpFiles(dir: string): { text: string; files: string[] } {
  const files = filesUnder(dir);
  return { text: files.map((f) => readFileSync(f).toString('latin1')).join('\n'), files };
}

export async function dumpPostgres(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const tables = await client.query<{ table_schema: string; table_name: string }>(
      "select table_schema, table_name from information_schema.tables where table_type = 'BASE TABLE' and table_schema not in ('pg_catalog', 'information_schema')",
    );
    const parts: string[] = [];
    for (const { table_schema, table_name } of tables.rows) {
      const rows = await client.query<{ row: string }>(`select t::text as row from "${table_schema}"."${table_name}" t`);
      parts.push(...rows.rows.map((r) => r.row));
    }
    expect(tables.rows.length).toBeGreaterThan(3);
    return parts.join('\n');
  } finally {
    await client.end();
  }
}

