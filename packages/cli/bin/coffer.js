#!/usr/bin/env node
/**
 * Launcher of the `coffer` command. Coffer's packages ship TypeScript sources; compiling
 * them through tsx on every start cost ~1 s of CPU, so this runs an esbuild bundle of
 * packages/cli/src/main.ts (packages/cli/dist; see scripts/bundle.js) — built by npm's
 * prepare/pretest scripts, or here when it is missing.
 *
 * It never runs stale code: the bundle's manifest lists every file it was built from
 * with its mtime and size (checking ~300 files costs 5–10 ms), and if any differs — an
 * edit, a checkout — the bundle is rebuilt first (~1 s). When it cannot be built
 * (esbuild missing, a syntax error) the sources run through tsx as before, which
 * reports the error.
 *
 * COFFER_NO_BUNDLE=1 forces the tsx path; COFFER_BUNDLE_DIR puts the bundle elsewhere
 * (it must be inside the repository, where node_modules is found); COFFER_LAUNCHER_DEBUG=1
 * prints what the launcher decided to stderr. docs/CLI.md "How `coffer` starts".
 */
/* global process, performance */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { bundleDir, holdBuild, readManifest, staleReason } from '../scripts/bundle-manifest.js';

const debug = process.env.COFFER_LAUNCHER_DEBUG === '1' ? (message) => process.stderr.write(`coffer launcher: ${message}\n`) : () => undefined;

/** The bundle's entry file to run, after building it if needed; undefined to run the sources through tsx. */
async function bundledMain() {
  if (process.env.COFFER_NO_BUNDLE === '1') return undefined;
  const started = performance.now();
  const outDir = bundleDir();
  const manifest = readManifest(outDir);
  const reason = staleReason(manifest, outDir);
  if (reason === undefined) {
    const buildDir = join(outDir, manifest.build);
    if (holdBuild(buildDir)) {
      debug(`running ${buildDir} (checked ${manifest.inputs.length} inputs in ${(performance.now() - started).toFixed(1)} ms)`);
      return join(buildDir, 'main.js');
    }
    debug(`${buildDir} was deleted meanwhile`);
  }
  debug(`${reason ?? 'bundle gone'}: building`);
  try {
    const { buildBundle } = await import('../scripts/bundle.js');
    const built = await buildBundle({ outDir, quiet: true });
    debug(`built ${built.buildDir} (${built.inputs} inputs, ${built.ms} ms)`);
    return built.main;
  } catch (error) {
    debug(`no bundle (${error instanceof Error ? error.message : String(error)}): running the sources through tsx`);
    return undefined;
  }
}

const main = await bundledMain();
if (main !== undefined) {
  // Stack traces point into the TypeScript sources (the bundle has linked source maps).
  process.setSourceMapsEnabled(true);
  await import(pathToFileURL(main).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/main.ts');
}
