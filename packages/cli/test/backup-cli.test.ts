/**
 * `coffer backup create|list|restore|forget` end to end with the real bin against a local
 * server: the restored tree equals the source (content, modes, mtimes, symlinks, empty
 * folders) directly in TARGET; `list --json` is one line, oldest first, with ids;
 * `forget` frees chunks; a `create` killed mid-upload resumes without re-sending what
 * the server already stored.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '@coffer/server';
import { BIN, REPO, runCoffer, tempDir } from './helpers.js';

const data = tempDir('coffer-cli-backup-data-');
const home = tempDir('coffer-cli-backup-home-');
const env = { COFFER_HOME: home };
let url: string;
let close: () => Promise<void>;

beforeAll(async () => {
  const server = await startServer({ port: 0, dataDir: data, assets: { graceMs: 0, gcIntervalMs: 0 } });
  url = server.url;
  close = () => server.close();
  const created = await runCoffer(['account', 'create', '--server', url, '--email', `cli-backup-${randomBytes(4).toString('hex')}@example.com`, '--password-stdin'], { input: 'correct horse battery staple', env });
  expect(created.code).toBe(0);
});
afterAll(async () => {
  await close();
});

/** path → type, mode, mtime (ms), size/content digest or link target. */
function describeTree(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string): void => {
    for (const name of readdirSync(join(root, rel)).sort()) {
      const path = rel === '' ? name : `${rel}/${name}`;
      const st = lstatSync(join(root, path));
      const time = Math.round(st.mtimeMs);
      if (st.isSymbolicLink()) out[path] = `link ${readlinkSync(join(root, path))} ${time}`;
      else if (st.isDirectory()) {
        out[path] = `dir ${(st.mode & 0o7777).toString(8)} ${time}`;
        walk(path);
      } else out[path] = `file ${(st.mode & 0o7777).toString(8)} ${time} ${readFileSync(join(root, path)).toString('base64')}`;
    }
  };
  walk('');
  return out;
}

function makeSource(): string {
  const source = tempDir('coffer-cli-backup-src-');
  mkdirSync(join(source, 'photos/2024'), { recursive: true });
  mkdirSync(join(source, 'empty'));
  writeFileSync(join(source, 'photos/2024/cat.jpg'), randomBytes(700_000));
  writeFileSync(join(source, 'notes.txt'), 'remember the milk\n');
  writeFileSync(join(source, 'zero'), '');
  symlinkSync('notes.txt', join(source, 'link'));
  chmodSync(join(source, 'notes.txt'), 0o640);
  utimesSync(join(source, 'notes.txt'), new Date(1_600_000_000_000), new Date(1_600_000_000_000));
  utimesSync(join(source, 'photos/2024'), new Date(1_500_000_000_000), new Date(1_500_000_000_000));
  return source;
}

describe('coffer backup', () => {
  it('create, list --json, restore, forget', async () => {
    const source = makeSource();
    const first = await runCoffer(['backup', 'create', source], { env });
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^snapshot [0-9a-f]{16} saved: 3 files, 3 folders, 1 symlinks/);

    writeFileSync(join(source, 'notes.txt'), 'remember the milk and the eggs\n');
    const second = await runCoffer(['backup', 'create', source, '--json'], { env });
    expect(second.code).toBe(0);
    const secondJson = JSON.parse(second.stdout) as { id: string; filesRead: number; filesCached: number };
    expect(secondJson).toMatchObject({ filesRead: 1, filesCached: 2 });

    const list = await runCoffer(['backup', 'list', '--json'], { env });
    expect(list.code).toBe(0);
    expect(list.stdout.trim().split('\n')).toHaveLength(1);
    const snapshots = JSON.parse(list.stdout) as { id: string; time: number; files: number }[];
    expect(snapshots).toHaveLength(2);
    expect(snapshots[1]!.id).toBe(secondJson.id);
    expect(snapshots[0]!.time).toBeLessThanOrEqual(snapshots[1]!.time);

    const target = join(tempDir('coffer-cli-backup-dst-'), 'restored');
    const restored = await runCoffer(['backup', 'restore', secondJson.id, target], { env });
    expect(restored.stderr).toBe('');
    expect(restored.code).toBe(0);
    expect(describeTree(target)).toEqual(describeTree(source));

    const forget = await runCoffer(['backup', 'forget', snapshots[0]!.id], { env });
    expect(forget.code).toBe(0);
    expect(forget.stdout).toMatch(/freed [1-9]\d* chunks/);
    const after = JSON.parse((await runCoffer(['backup', 'list', '--json'], { env })).stdout) as { id: string }[];
    expect(after.map((s) => s.id)).toEqual([secondJson.id]);
  });

  it('explains a missing snapshot and a missing folder', async () => {
    const missing = await runCoffer(['backup', 'restore', 'ffffffffffffff', tempDir('x-')], { env });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no snapshot/);
    const noDir = await runCoffer(['backup', 'create', join(data, 'does-not-exist')], { env });
    expect(noDir.code).toBe(1);
    expect(noDir.stderr).toMatch(/is not a folder/);
  });

  it('a create killed mid-upload resumes without re-sending stored chunks', async () => {
    const source = tempDir('coffer-cli-backup-big-');
    writeFileSync(join(source, 'big.bin'), randomBytes(128 * 1024 * 1024));
    const blobs = join(data, 'blobs');
    const stored = (): number => {
      try {
        return readdirSync(blobs).flatMap((shard) => readdirSync(join(blobs, shard))).filter((n) => !n.startsWith('.tmp')).length;
      } catch {
        return 0;
      }
    };
    const before = stored();
    const child = spawn(process.execPath, [BIN, 'backup', 'create', source], { cwd: REPO, env: { ...process.env, ...env }, stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    while (stored() < before + 6 && child.exitCode === null) await new Promise((r) => setTimeout(r, 10));
    child.kill('SIGKILL');
    expect(await exited).toBeNull(); // killed, not finished
    const storedByKilledRun = stored() - before;
    expect(storedByKilledRun).toBeGreaterThanOrEqual(6);

    const rerun = await runCoffer(['backup', 'create', source, '--json'], { env });
    expect(rerun.code).toBe(0);
    const report = JSON.parse(rerun.stdout) as { chunks: number; uploadedChunks: number };
    // Chunks whose upload was cut off mid-write are sent again; the stored ones are not.
    expect(report.uploadedChunks).toBeLessThanOrEqual(report.chunks - storedByKilledRun + 8);
    expect(report.uploadedChunks).toBeLessThan(report.chunks);
  });
});
