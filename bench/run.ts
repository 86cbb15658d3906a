/**
 * `npm run bench [-- name…]`: runs the named benchmarks (default: all) one after the
 * other, each in its own process so one cannot warm or starve another. Every
 * benchmark lives in bench/<name>/main.ts, prints a human table with ratios beside
 * its reference, and ends with one JSON line `{"bench": "<name>", …, "ratios": {…}}`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const available = readdirSync(here, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(here, d.name, 'main.ts')))
  .map((d) => d.name)
  .sort();

const requested = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const unknown = requested.filter((name) => !available.includes(name));
if (unknown.length > 0) {
  process.stderr.write(`bench: unknown benchmark ${unknown.join(', ')}; available: ${available.join(', ')}\n`);
  process.exit(2);
}

let failed = false;
for (const name of requested.length > 0 ? requested : available) {
  process.stdout.write(`\n== bench ${name} ==\n`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', join(here, name, 'main.ts'), ...process.argv.slice(2).filter((a) => a.startsWith('-'))], {
    stdio: 'inherit',
  });
  if (result.status !== 0) {
    process.stderr.write(`bench ${name} failed (exit ${String(result.status)})\n`);
    failed = true;
  }
}
process.exit(failed ? 1 : 0);
