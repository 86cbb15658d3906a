/** Backup test helpers: a server, signed-in clients, trees to back up and a tree comparison. */
import { randomBytes } from 'node:crypto';
import { chmodSync, lstatSync, lutimesSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect } from 'vitest';
import { startServer } from '@coffer/server';
import { CofferClient, memoryKeychains } from '@coffer/sdk';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

export function tempDir(prefix = 'coffer-backup-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

export interface TestServer {
  url: string;
  dataDir: string;
  close(): Promise<void>;
}

export async function startTestServer(options: { graceMs?: number; dataDir?: string; databaseUrl?: string } = {}): Promise<TestServer> {
  const dataDir = options.dataDir ?? tempDir('coffer-backup-server-');
  const server = await startServer({
    port: 0, dataDir, quotaBytes: 4 * 1024 ** 3, assets: { graceMs: options.graceMs ?? 0, gcIntervalMs: 0 },
    ...(options.databaseUrl === undefined ? {} : { databaseUrl: options.databaseUrl }),
  });
  return { url: server.url, dataDir, close: () => server.close() };
}

export async function signedIn(url: string): Promise<CofferClient> {
  const client = new CofferClient({ serverUrl: url, keychains: memoryKeychains(), retry: { sleep: () => Promise.resolve() } });
  await client.register(`backup-${randomBytes(6).toString('hex')}@example.com`, 'correct horse battery staple');
  return client;
}

const MiB = 1024 * 1024;

/**
 * A tree with every kind of entry: files of size 0, 1, random and repetitive content
 * (one duplicated), nested and empty folders, symlinks (to a file, to a folder, dangling,
 * absolute), unusual modes and sub-second mtimes set in the past.
 */
export function makeTree(root: string): void {
  mkdirSync(join(root, 'docs/deep/deeper'), { recursive: true });
  mkdirSync(join(root, 'empty/also-empty'), { recursive: true });
  writeFileSync(join(root, 'zero.bin'), '');
  writeFileSync(join(root, 'one.bin'), 'x');
  const random = randomBytes(5 * MiB + 3);
  writeFileSync(join(root, 'docs/random.bin'), random);
  writeFileSync(join(root, 'docs/deep/copy-of-random.bin'), random);
  writeFileSync(join(root, 'docs/deep/deeper/repetitive.txt'), 'all work and no play '.repeat(200_000));
  writeFileSync(join(root, 'docs/readme.txt'), 'hello, backup\n');
  writeFileSync(join(root, 'name with spaces & ünïcödé.txt'), 'unicode');
  symlinkSync('docs/readme.txt', join(root, 'link-to-file'));
  symlinkSync('docs/deep', join(root, 'link-to-dir'));
  symlinkSync('does/not/exist', join(root, 'dangling'));
  symlinkSync('/etc/hostname', join(root, 'absolute'));
  chmodSync(join(root, 'one.bin'), 0o600);
  chmodSync(join(root, 'docs/readme.txt'), 0o444);
  chmodSync(join(root, 'docs/deep/deeper/repetitive.txt'), 0o755);
  chmodSync(join(root, 'empty'), 0o750);
  const past = (seconds: number): Date => new Date(seconds * 1000 + 123);
  utimesSync(join(root, 'one.bin'), past(1_600_000_000), past(1_600_000_000));
  utimesSync(join(root, 'docs/random.bin'), past(1_500_000_000), past(1_500_000_000));
  lutimesSync(join(root, 'link-to-file'), past(1_400_000_000), past(1_400_000_000));
  utimesSync(join(root, 'empty/also-empty'), past(1_300_000_000), past(1_300_000_000));
  utimesSync(join(root, 'docs/deep'), past(1_200_000_000), past(1_200_000_000));
}

export interface Entry {
  type: 'file' | 'dir' | 'symlink';
  mode: number;
  mtimeMs: number;
  size?: number;
  content?: string;
  target?: string;
}

/** Everything restore promises to bring back, per relative path. */
export function describeTree(root: string): Record<string, Entry> {
  const out: Record<string, Entry> = {};
  const walk = (rel: string): void => {
    for (const name of readdirSync(join(root, rel)).sort()) {
      const path = rel === '' ? name : `${rel}/${name}`;
      const st = lstatSync(join(root, path));
      const base = { mode: st.mode & 0o7777, mtimeMs: Math.floor(st.mtimeMs) };
      if (st.isSymbolicLink()) out[path] = { type: 'symlink', ...base, mode: 0, target: readlinkSync(join(root, path)) };
      else if (st.isDirectory()) {
        out[path] = { type: 'dir', ...base };
        walk(path);
      } else out[path] = { type: 'file', ...base, size: st.size, content: readFileSync(join(root, path)).toString('base64').slice(0, 64) };
    }
  };
  walk('');
  return out;
}

/** The restored tree equals the source: content, modes, mtimes, symlinks, empty folders. */
export function expectSameTree(source: string, restored: string): void {
  const a = describeTree(source);
  const b = describeTree(restored);
  expect(Object.keys(b)).toEqual(Object.keys(a));
  for (const path of Object.keys(a)) {
    const { mtimeMs: mtimeA, ...restA } = a[path]!;
    const { mtimeMs: mtimeB, ...restB } = b[path]!;
    expect(restB, path).toEqual(restA);
    // utimes(2) takes seconds as a double: sub-microsecond rounding may cross a millisecond.
    expect(Math.abs(mtimeB - mtimeA), `${path} mtime`).toBeLessThanOrEqual(1);
  }
  for (const path of Object.keys(a)) {
    if (a[path]!.type === 'file') expect(Buffer.compare(readFileSync(join(source, path)), readFileSync(join(restored, path))), path).toBe(0);
  }
}
