#!/usr/bin/env node
/**
 * Builds the bundle that bin/coffer.js runs: packages/cli/src/main.ts and the chunk
 * crypto worker (packages/assets/src/crypto-worker-main.ts) compiled by esbuild into
 * ESM for Node 20, so a start loads a few files instead of compiling ~150 TypeScript
 * modules through tsx (~1 s of CPU), and a crypto worker starts in tens of ms.
 *
 *   node packages/cli/scripts/bundle.js [--if-stale] [--best-effort]
 *
 * --if-stale skips the build when the current one is up to date; --best-effort exits 0
 * when the build fails (npm's prepare: an install must not fail over the bundle, the
 * launcher then runs the sources through tsx). Plain JS: it must run without tsx.
 *
 * What goes in: only workspace code (@coffer/*). Third-party packages stay imports,
 * resolved from node_modules at run time (native modules like better-sqlite3 cannot be
 * bundled) — the build checks that each resolves from the bundle folder to the same copy
 * as from its importer. Code splitting keeps what `coffer --help` does not need (the
 * server, storage) in chunks loaded on demand.
 *
 * The worker is a build of its own, not split, with workspace modules marked free of
 * side effects, so it holds only the chunk code: shared chunks with the CLI would also
 * load HPKE, Ed25519 and Shamir (modules of @coffer/crypto that build objects at load
 * time), which doubled a worker's start. All output files sit in one folder:
 * crypto-pool.ts finds its worker with `new URL('./crypto-worker.js', import.meta.url)`,
 * which esbuild leaves as written, so inside the bundle it names the bundled worker next
 * to the pool's chunk.
 */
/* global process, performance, console */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildInUse, bundleDir, MANIFEST_VERSION, readManifest, REPO_ROOT, staleReason } from './bundle-manifest.js';

/** How long a superseded build is kept at least, for launchers that read the old manifest just before it changed. */
const SUPERSEDED_GRACE_MS = 60_000;
const builtins = new Set(builtinModules);

/** The package name of a bare import (`@scope/name/sub.js` → `@scope/name`). */
function packageName(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** The folder Node's lookup finds `name` in, starting at `dir` (undefined if none). */
function packageFolder(name, dir) {
  for (let current = dir; ; current = dirname(current)) {
    const candidate = join(current, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dirname(current) === current) return undefined;
  }
}

/** Keeps third-party and built-in imports external; fails the build if one would resolve differently from the bundle. */
function externalThirdParty(buildDir) {
  return {
    name: 'coffer-external-third-party',
    setup(build) {
      const seen = new Map();
      build.onResolve({ filter: /^[^./#]/ }, (args) => {
        if (args.path.startsWith('@coffer/')) return undefined;
        if (args.path.startsWith('node:') || builtins.has(args.path)) return { path: args.path, external: true };
        const name = packageName(args.path);
        const key = `${name}\0${args.resolveDir}`;
        if (!seen.has(key)) seen.set(key, packageFolder(name, args.resolveDir) === packageFolder(name, buildDir));
        if (!seen.get(key)) {
          return { errors: [{ text: `${name} resolves to a different copy from ${relative(REPO_ROOT, args.resolveDir)} than from the bundle folder` }] };
        }
        return { path: args.path, external: true };
      });
    },
  };
}

/**
 * Marks every module under packages/<pkg>/src as free of side effects (what
 * `"sideEffects": false` in their package.json would say), so modules none of whose
 * exports are used are left out with their imports. Sound here: no workspace module is
 * imported for its side effects alone (`import './x.js'`).
 */
function workspaceWithoutSideEffects(root) {
  const sources = join(root, 'packages') + sep;
  return {
    name: 'coffer-workspace-side-effect-free',
    setup(build) {
      build.onResolve({ filter: /.*/ }, async (args) => {
        if (args.pluginData === 'coffer-inner' || args.kind === 'entry-point') return undefined;
        const result = await build.resolve(args.path, { importer: args.importer, resolveDir: args.resolveDir, kind: args.kind, with: args.with, pluginData: 'coffer-inner' });
        if (result.errors.length > 0) return { errors: result.errors };
        if (result.external || !result.path.startsWith(sources) || !result.path.includes(`${sep}src${sep}`)) return result;
        return { ...result, sideEffects: false };
      });
    },
  };
}

/** size and mtime of every file under packages/<pkg>/src, taken before the build (see recordInputs). */
function statSources(root) {
  const stats = new Map();
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) {
        const st = statSync(path, { throwIfNoEntry: false });
        if (st !== undefined) stats.set(path, st);
      }
    }
  };
  for (const pkg of readdirSync(join(root, 'packages'))) {
    if (existsSync(join(root, 'packages', pkg, 'src'))) walk(join(root, 'packages', pkg, 'src'));
  }
  return stats;
}

/**
 * The manifest's input list: every source esbuild read, plus what steers resolution and
 * compilation (package.json files, tsconfig.json, this script). A file's stat is the one
 * taken before the build; if it differs afterwards (or the file is gone), it changed
 * while esbuild read it and is recorded as changed (mtime -1), so the next start rebuilds.
 */
function recordInputs(root, metafile, before) {
  const paths = new Set(Object.keys(metafile.inputs).map((path) => resolve(root, path)));
  for (const pkg of readdirSync(join(root, 'packages'))) {
    for (const name of ['package.json', 'tsconfig.json']) {
      const path = join(root, 'packages', pkg, name);
      if (existsSync(path)) paths.add(path);
    }
  }
  paths.add(join(root, 'package.json'));
  paths.add(join(root, 'tsconfig.json'));
  paths.add(fileURLToPath(import.meta.url));
  return [...paths].sort().map((path) => {
    const after = statSync(path, { throwIfNoEntry: false });
    const st = before.get(path) ?? after;
    const unchanged = st !== undefined && after !== undefined && st.mtimeMs === after.mtimeMs && st.size === after.size;
    return [relative(root, path).split(sep).join('/'), unchanged ? st.mtimeMs : -1, st?.size ?? -1];
  });
}

/** Deletes builds that are not `current`, have been superseded for a while and that no live process runs. */
function collectOldBuilds(outDir, current) {
  const now = Date.now();
  for (const name of readdirSync(outDir)) {
    const path = join(outDir, name);
    if (name.endsWith('.tmp')) {
      if (now - statSync(path).mtimeMs > SUPERSEDED_GRACE_MS) rmSync(path, { force: true });
      continue;
    }
    if (!name.startsWith('build-') || name === current || buildInUse(path)) continue;
    const marker = join(path, '.superseded');
    let since;
    try {
      since = statSync(marker).mtimeMs;
    } catch {
      writeFileSync(marker, '');
      continue;
    }
    if (now - since > SUPERSEDED_GRACE_MS) rmSync(path, { recursive: true, force: true });
  }
}

/**
 * Builds a new bundle into `outDir` and publishes it as current. The calling process is
 * marked as running the new build until it exits (as bundle-manifest.js holdBuild does),
 * which the launcher wants; a caller that does not run it can call `release` sooner.
 * @returns { buildDir, main, inputs, ms, release }
 * @throws when esbuild is missing or the build fails (with esbuild's messages).
 */
export async function buildBundle({ outDir = bundleDir(), root = REPO_ROOT, quiet = false } = {}) {
  const started = performance.now();
  const esbuild = await import('esbuild');
  const build = `build-${Date.now().toString(36)}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const buildDir = join(outDir, build);
  const pidFile = join(buildDir, '.pids', String(process.pid));
  mkdirSync(dirname(pidFile), { recursive: true });
  writeFileSync(pidFile, '');
  const release = () => rmSync(pidFile, { force: true });
  process.on('exit', release);
  try {
    const before = statSources(root);
    const common = {
      absWorkingDir: root,
      outdir: buildDir,
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      sourcemap: 'linked',
      // Errors name themselves with new.target.name: keep class names as in the sources.
      keepNames: true,
      metafile: true,
      logLevel: quiet ? 'silent' : 'warning',
    };
    const results = await Promise.all([
      esbuild.build({
        ...common,
        entryPoints: { main: join(root, 'packages/cli/src/main.ts') },
        splitting: true,
        chunkNames: '[name]-[hash]',
        plugins: [externalThirdParty(buildDir)],
      }),
      esbuild.build({
        ...common,
        entryPoints: { 'crypto-worker': join(root, 'packages/assets/src/crypto-worker-main.ts') },
        // Third-party first: its onResolve claims bare imports before the side-effect pass resolves them.
        plugins: [externalThirdParty(buildDir), workspaceWithoutSideEffects(root)],
      }),
    ]);
    const metafile = { inputs: Object.assign({}, ...results.map((result) => result.metafile.inputs)) };
    // platform 'node' turns on the "node" condition; check that @coffer/crypto's #primitives took it.
    const inputs = Object.keys(metafile.inputs);
    if (!inputs.some((path) => path.endsWith('crypto/src/primitives-node.ts')) || inputs.some((path) => path.endsWith('crypto/src/primitives-web.ts'))) {
      throw new Error('bundle: @coffer/crypto #primitives did not resolve to the node variant');
    }
    const manifest = { version: MANIFEST_VERSION, build, inputs: recordInputs(root, metafile, before) };
    const staging = join(outDir, `manifest.json.${build}.tmp`);
    writeFileSync(staging, `${JSON.stringify(manifest)}\n`);
    renameSync(staging, join(outDir, 'manifest.json'));
    collectOldBuilds(outDir, build);
    return { buildDir, main: join(buildDir, 'main.js'), inputs: manifest.inputs.length, ms: Math.round(performance.now() - started), release };
  } catch (error) {
    rmSync(buildDir, { recursive: true, force: true });
    throw error;
  }
}

async function main(args) {
  const outDir = bundleDir();
  if (args.includes('--if-stale')) {
    const reason = staleReason(readManifest(outDir), outDir);
    if (reason === undefined) {
      console.log(`coffer bundle: ${relative(process.cwd(), outDir) || '.'} is up to date`);
      return 0;
    }
  }
  try {
    const built = await buildBundle({ outDir });
    built.release();
    console.log(`coffer bundle: ${relative(process.cwd(), built.buildDir)} (${built.inputs} inputs, ${built.ms} ms)`);
    return 0;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (!args.includes('--best-effort')) {
      console.error(`coffer bundle: ${message}`);
      return 1;
    }
    console.error(`coffer bundle: not built (${message.split('\n')[0]}); \`coffer\` will run the TypeScript sources through tsx`);
    return 0;
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = await main(process.argv.slice(2));
}
