/**
 * The `coffer` launcher (bin/coffer.js) runs the esbuild bundle, builds it when there is
 * none, rebuilds it when any file it was built from changed (so an edit is never masked
 * by a stale bundle) and otherwise reuses it; the bundled CLI and its bundled crypto
 * worker back up and restore a folder. Each test works in its own bundle folder
 * (COFFER_BUNDLE_DIR) so it neither races other suites nor touches real sources.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startServer } from '@coffer/server';
import { REPO, runCoffer, tempDir } from './helpers.js';

interface Manifest {
  version: number;
  build: string;
  inputs: [path: string, mtimeMs: number, size: number][];
}

// Inside the repository: the bundle imports third-party packages from node_modules.
const bundles: string[] = [];
function bundleFolder(): string {
  const dir = join(REPO, 'packages/cli/dist', `test-launcher-${randomBytes(4).toString('hex')}`);
  mkdirSync(dir, { recursive: true });
  bundles.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of bundles) rmSync(dir, { recursive: true, force: true });
});

function readManifest(dir: string): Manifest {
  return JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
}

/**
 * Swaps the manifest's input list for one source file of the test's own: other work
 * editing the real sources meanwhile would otherwise trigger rebuilds this test does
 * not expect. The launcher applies the same rule to any list.
 */
function ownInputs(dir: string): { source: string; path: string; build: string } {
  const source = join(dir, 'source.ts');
  writeFileSync(source, 'export const answer = 42;\n');
  const manifest = readManifest(dir);
  const path = relative(REPO, source);
  const st = statSync(source);
  manifest.inputs = [[path, st.mtimeMs, st.size]];
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
  return { source, path, build: manifest.build };
}

function launcherEnv(dir: string): Record<string, string> {
  return { COFFER_BUNDLE_DIR: dir, COFFER_LAUNCHER_DEBUG: '1', COFFER_NO_BUNDLE: '' };
}

describe('coffer launcher', () => {
  it('builds the bundle when there is none, then runs it without rebuilding', async () => {
    const dir = bundleFolder();
    const first = await runCoffer(['--help'], { env: launcherEnv(dir) });
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^Usage: coffer <command>/);
    expect(first.stderr).toMatch(/no bundle yet: building\n.*built .*build-/);
    const { build: built, inputs } = readManifest(dir);
    expect(inputs.map(([path]) => path)).toEqual(expect.arrayContaining(['packages/cli/src/main.ts', 'packages/assets/src/crypto-worker-main.ts', 'packages/crypto/src/primitives-node.ts']));
    expect(statSync(join(dir, built, 'crypto-worker.js')).isFile()).toBe(true);
    const { build } = ownInputs(dir);

    const second = await runCoffer(['--help'], { env: launcherEnv(dir) });
    expect(second.code).toBe(0);
    expect(second.stdout).toBe(first.stdout);
    expect(second.stderr).toMatch(new RegExp(`running .*${build}`));
    expect(second.stderr).not.toMatch(/building/);
    expect(readManifest(dir).build).toBe(build);
  });

  it('rebuilds before running when a file the bundle was built from changed', async () => {
    const dir = bundleFolder();
    expect((await runCoffer(['--help'], { env: launcherEnv(dir) })).code).toBe(0);
    const { source, path, build } = ownInputs(dir);
    const st = statSync(source);

    const unchanged = await runCoffer(['--help'], { env: launcherEnv(dir) });
    expect(unchanged.stderr).not.toMatch(/building/);
    expect(readManifest(dir).build).toBe(build);

    utimesSync(source, st.atime, new Date(st.mtimeMs + 1000)); // touched: same bytes, newer mtime
    const touched = await runCoffer(['--help'], { env: launcherEnv(dir) });
    expect(touched.code).toBe(0);
    expect(touched.stdout).toMatch(/^Usage: coffer <command>/);
    expect(touched.stderr).toContain(`${path} changed: building`);
    expect(readManifest(dir).build).not.toBe(build);

    rmSync(join(dir, ownInputs(dir).build, 'main.js'));
    const damaged = await runCoffer(['--help'], { env: launcherEnv(dir) });
    expect(damaged.code).toBe(0);
    expect(damaged.stderr).toMatch(/main\.js is missing: building/);
  });

  it('the bundled CLI backs up and restores through bundled crypto workers', async () => {
    const dir = bundleFolder();
    const data = tempDir('coffer-launcher-data-');
    const server = await startServer({ port: 0, dataDir: data, assets: { graceMs: 0, gcIntervalMs: 0 } });
    try {
      // One worker even on 2 cores; the 9 MiB file is over the SDK's inline limit, and restores always use the pool.
      const env = { ...launcherEnv(dir), COFFER_HOME: tempDir('coffer-launcher-home-'), COFFER_ASSET_WORKERS: '1' };
      const account = await runCoffer(['account', 'create', '--server', server.url, '--email', `launcher-${randomBytes(4).toString('hex')}@example.com`, '--password-stdin'], { input: 'correct horse battery staple', env });
      expect(account.code).toBe(0);
      const source = tempDir('coffer-launcher-src-');
      const content = randomBytes(9 * 1024 * 1024);
      writeFileSync(join(source, 'big.bin'), content);

      const created = await runCoffer(['backup', 'create', source, '--json'], { env });
      expect(created.code).toBe(0);
      expect(created.stderr).toMatch(/(running|built) .*build-/); // from a bundle, not the tsx fallback
      const { id } = JSON.parse(created.stdout) as { id: string };
      const target = join(tempDir('coffer-launcher-dst-'), 'restored');
      const restored = await runCoffer(['backup', 'restore', id, target], { env });
      expect(restored.code).toBe(0);
      expect(readFileSync(join(target, 'big.bin')).equals(content)).toBe(true);
    } finally {
      await server.close();
    }
  });
});
