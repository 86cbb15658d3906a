/**
 * The `coffer` bundle's manifest: which build is current and what it was built from.
 * Read on every start of the launcher (bin/coffer.js), so this module imports nothing
 * but node:fs/node:path and does nothing heavy; scripts/bundle.js writes it.
 *
 * Layout of the bundle folder (packages/cli/dist, or $COFFER_BUNDLE_DIR):
 *
 *   manifest.json          { version, build, inputs: [[path from repo root, mtimeMs, size], …] }
 *   build-<id>/main.js     the CLI (plus crypto-worker.js, shared chunks, source maps)
 *   build-<id>/.pids/<pid> one empty file per process running this build
 *
 * A build is published by renaming a finished manifest over manifest.json, so a launcher
 * sees either the old build or the new one, never half of one. Old builds are deleted
 * by later builds only once no process that runs them is alive (see bundle.js).
 */
/* global process */
import { mkdirSync, readdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Bumped when the manifest or the build layout changes; an older manifest counts as stale. */
export const MANIFEST_VERSION = 1;

const here = dirname(fileURLToPath(import.meta.url));
/** The repository root: manifest paths are relative to it. */
export const REPO_ROOT = resolve(here, '../../..');

/** Where the bundle lives: $COFFER_BUNDLE_DIR (tests) or packages/cli/dist. */
export function bundleDir() {
  const override = process.env.COFFER_BUNDLE_DIR;
  return override !== undefined && override !== '' ? resolve(override) : resolve(here, '../dist');
}

/** The parsed manifest.json of `outDir`, or undefined when there is none (or it is unreadable). */
export function readManifest(outDir) {
  try {
    return JSON.parse(readFileSync(join(outDir, 'manifest.json'), 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * Why the bundle described by `manifest` must not run, or undefined when it is current:
 * every input it was built from still has the recorded mtime and size, and its entry
 * file exists. ~300 stat calls: 5–10 ms on Node 20 (mostly building Stats objects).
 */
export function staleReason(manifest, outDir, root = REPO_ROOT) {
  if (manifest === undefined) return 'no bundle yet';
  if (manifest.version !== MANIFEST_VERSION || typeof manifest.build !== 'string' || !Array.isArray(manifest.inputs)) {
    return 'bundle manifest from another launcher version';
  }
  // Concatenation, not path.join: join's normalisation was half the cost of this loop.
  const prefix = `${root}/`;
  for (const [path, mtimeMs, size] of manifest.inputs) {
    let st;
    try {
      st = statSync(prefix + path);
    } catch {
      return `${path} is gone`;
    }
    if (st.mtimeMs !== mtimeMs || st.size !== size) return `${path} changed`;
  }
  try {
    statSync(join(outDir, manifest.build, 'main.js'));
  } catch {
    return `${manifest.build}/main.js is missing`;
  }
  return undefined;
}

/**
 * Marks `buildDir` as in use by this process until it exits, so a concurrent rebuild
 * does not delete files this process may still load (lazy chunks, the crypto worker).
 * @returns false when the build folder is gone (deleted meanwhile); true otherwise,
 * including when the folder is read-only (then nobody can delete it either).
 */
export function holdBuild(buildDir) {
  const file = join(buildDir, '.pids', String(process.pid));
  try {
    writeFileSync(file, '');
  } catch (error) {
    if (error.code !== 'ENOENT') return true;
    try {
      statSync(join(buildDir, 'main.js'));
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, '');
    } catch {
      return false;
    }
  }
  process.on('exit', () => {
    try {
      unlinkSync(file);
    } catch {
      // Already gone: nothing to release.
    }
  });
  return true;
}

/** Whether any process that marked `buildDir` with holdBuild is still alive. */
export function buildInUse(buildDir) {
  let pids;
  try {
    pids = readdirSync(join(buildDir, '.pids'));
  } catch {
    return false;
  }
  return pids.some((name) => {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid <= 0) return false;
    if (pid === process.pid) return true;
    try {
      process.kill(pid, 0);
      return true;
    } catch (error) {
      // EPERM: alive, owned by another user.
      return error.code === 'EPERM';
    }
  });
}
