/**
 * `npm run bench -- backup`: Coffer's `coffer backup` beside Debian's restic on the same
 * data set in the same run (dataset.ts: ~1 GiB, mixed sizes, 30% of the bytes duplicated;
 * COFFER_BENCH_SIZE=256M scales it). Steps, each tool in turn: first backup, unchanged
 * second backup, backup after 5% of the files changed, restore of the latest snapshot.
 * For each: wall time, MB/s over the data set, peak RSS (/usr/bin/time), and the bytes each
 * stores. Coffer runs as a user would: the `coffer` CLI against a local server (its own
 * process, SQLite + blob files) on loopback. Restic: a local repository.
 *
 * The work folder (bench/.work/backup, several GB) is removed at the end unless
 * COFFER_BENCH_KEEP is set.
 *
 * Last line: {"bench":"backup", …, "ratios": {first_backup_vs_restic, restore_vs_restic
 * (Coffer MB/s ÷ restic MB/s), unchanged_vs_restic (Coffer time ÷ restic time),
 * stored_bytes_vs_restic (Coffer ÷ restic)}}.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, lstatSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { changeFivePercent, generateDataset } from './dataset.js';
import { machineLimits } from './limits.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../..');
const work = join(repo, 'bench/.work/backup');
const bin = join(repo, 'packages/cli/bin/coffer.js');

function parseSize(text: string | undefined): number {
  if (text === undefined || text === '') return 1024 ** 3;
  const m = /^(\d+(?:\.\d+)?)\s*([KMG]?)i?B?$/i.exec(text.trim());
  if (m === null) throw new Error(`COFFER_BENCH_SIZE: expected e.g. 256M or 1G, got ${text}`);
  const unit = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[m[2]!.toUpperCase() as '' | 'K' | 'M' | 'G'];
  return Math.round(Number(m[1]) * unit);
}

interface Run {
  seconds: number;
  peakRssMB: number;
  /** CPU seconds (user + system) of the process itself. */
  cpuSeconds: number;
  /** CPU seconds the Coffer server spent meanwhile (Coffer runs only). */
  serverCpuSeconds?: number;
  stdout: string;
}

/** Runs a command to completion under /usr/bin/time: wall time (hrtime) and peak RSS. */
function timed(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Run {
  const rssFile = join(work, 'time.out');
  const started = process.hrtime.bigint();
  const result = spawnSync('/usr/bin/time', ['-f', '%M %U %S', '-o', rssFile, command, ...args], { env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${String(result.status)}): ${result.stderr}`);
  const [kb, user, sys] = readFileSync(rssFile, 'utf8').trim().split('\n').at(-1)!.split(' ').map(Number) as [number, number, number];
  return { seconds, peakRssMB: kb / 1024, cpuSeconds: user + sys, stdout: result.stdout };
}

function ensureRestic(): void {
  if (spawnSync('restic', ['version']).status === 0) return;
  process.stdout.write('restic not found: apt-get install -y restic\n');
  spawnSync('apt-get', ['update'], { stdio: 'inherit' });
  const install = spawnSync('apt-get', ['install', '-y', 'restic'], { stdio: 'inherit' });
  if (install.status !== 0) throw new Error('could not install restic');
}

function duBytes(path: string): number {
  const out = spawnSync('du', ['-sb', path], { encoding: 'utf8' });
  return Number(out.stdout.split(/\s/)[0]);
}

/** A digest of a tree: paths, types, sizes, modes, mtimes (s), symlink targets and contents. */
function treeDigest(root: string): string {
  const hash = createHash('sha256');
  const walk = (rel: string): void => {
    for (const name of readdirSync(join(root, rel)).sort()) {
      const path = rel === '' ? name : `${rel}/${name}`;
      const st = lstatSync(join(root, path));
      hash.update(`${path}\0${st.mode}\0${Math.floor(st.mtimeMs / 1000)}\0`);
      if (st.isSymbolicLink()) hash.update(readlinkSync(join(root, path)));
      else if (st.isDirectory()) walk(path);
      else hash.update(readFileSync(join(root, path)));
    }
  };
  walk('');
  return hash.digest('hex');
}

interface Server {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

function startServer(dataDir: string): Promise<Server> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'server-child.ts'), dataDir], { cwd: repo, stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolvePromise, reject) => {
    child.once('exit', (code) => { reject(new Error(`server exited with ${String(code)}`)); });
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (!line.startsWith('{')) return;
      const { url } = JSON.parse(line) as { url: string };
      resolvePromise({
        url,
        pid: child.pid!,
        stop: () => new Promise((done) => {
          child.removeAllListeners('exit');
          child.once('exit', () => { done(); });
          child.stdin.end();
        }),
      });
    });
  });
}

/** CPU seconds (user + system) a running process has used so far. */
function cpuOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // utime and stime are fields 14 and 15 of /proc/PID/stat (12 and 13 after the command name).
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Peak RSS of a running process (VmHWM), MB. */
function peakRssOf(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmHWM:'));
  return line === undefined ? Number.NaN : Number(line.replace(/\D+/g, '')) / 1024;
}

const round = (n: number, digits = 2): number => Math.round(n * 10 ** digits) / 10 ** digits;

async function main(): Promise<void> {
  const size = parseSize(process.env.COFFER_BENCH_SIZE);
  ensureRestic();
  mkdirSync(work, { recursive: true });
  for (const name of ['restic-repo', 'restic-cache', 'coffer-data', 'coffer-home', 'restore-restic', 'restore-coffer']) rmSync(join(work, name), { recursive: true, force: true });

  process.stdout.write(`generating ${round(size / 1024 ** 2, 0)} MiB data set in ${join(work, 'data')} …\n`);
  const dataset = generateDataset(join(work, 'data'), size);
  const MB = dataset.bytes / 1e6;
  process.stdout.write(`${dataset.files.length} files, ${round(MB, 1)} MB, ${round((100 * dataset.duplicateBytes) / dataset.bytes, 1)}% duplicated bytes\n`);
  const limits = machineLimits();
  // Both tools share this machine with whatever else runs: the 1-minute load says how busy it was.
  process.stdout.write(`${availableParallelism()} cores, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);

  const resticEnv = { RESTIC_PASSWORD: 'coffer-bench', RESTIC_REPOSITORY: join(work, 'restic-repo'), RESTIC_CACHE_DIR: join(work, 'restic-cache') };
  timed('restic', ['init', '--quiet'], resticEnv);
  const server = await startServer(join(work, 'coffer-data'));
  const cofferEnv = { COFFER_HOME: join(work, 'coffer-home') };
  const account = spawnSync(process.execPath, [bin, 'account', 'create', '--server', server.url, '--email', 'bench@example.com', '--password-stdin'], {
    cwd: repo, env: { ...process.env, ...cofferEnv }, input: 'a bench password of some length', encoding: 'utf8',
  });
  if (account.status !== 0) throw new Error(`coffer account create failed: ${account.stderr}`);

  const restic = (args: string[]): Run => timed('restic', args, resticEnv);
  const coffer = (args: string[]): Run => {
    const before = cpuOf(server.pid);
    const run = timed(process.execPath, [bin, ...args], cofferEnv);
    return { ...run, serverCpuSeconds: cpuOf(server.pid) - before };
  };
  const data = dataset.root;

  const steps: Record<string, { restic: Run; coffer: Run }> = {};
  const step = (name: string, r: () => Run, c: () => Run): void => {
    const resticRun = r();
    const cofferRun = c();
    steps[name] = { restic: resticRun, coffer: cofferRun };
    process.stdout.write(`${name.padEnd(10)} restic ${round(resticRun.seconds, 3)} s (${round(MB / resticRun.seconds, 1)} MB/s, ${round(resticRun.peakRssMB, 0)} MB, cpu ${round(resticRun.cpuSeconds, 1)} s)   `
      + `coffer ${round(cofferRun.seconds, 3)} s (${round(MB / cofferRun.seconds, 1)} MB/s, ${round(cofferRun.peakRssMB, 0)} MB, cpu ${round(cofferRun.cpuSeconds, 1)} s + server ${round(cofferRun.serverCpuSeconds ?? 0, 1)} s)\n`);
  };

  step('first', () => restic(['backup', '--quiet', data]), () => coffer(['backup', 'create', data]));
  step('unchanged', () => restic(['backup', '--quiet', data]), () => coffer(['backup', 'create', data]));
  const changedBytes = changeFivePercent(dataset);
  step('changed5%', () => restic(['backup', '--quiet', data]), () => coffer(['backup', 'create', data]));
  const restoreRestic = join(work, 'restore-restic');
  const restoreCoffer = join(work, 'restore-coffer');
  step('restore', () => restic(['restore', 'latest', '--quiet', '--target', restoreRestic]), () => coffer(['backup', 'restore', 'latest', restoreCoffer]));

  const serverPeakMB = peakRssOf(server.pid);
  await server.stop();
  const stored = { restic: duBytes(join(work, 'restic-repo')), coffer: duBytes(join(work, 'coffer-data')) };
  const source = treeDigest(data);
  const verified = {
    coffer: treeDigest(restoreCoffer) === source,
    // restic restores the absolute path below its target.
    restic: treeDigest(join(restoreRestic, data)) === source,
  };

  const mbps = (run: Run): number => round(MB / run.seconds, 1);
  const first = steps.first!;
  const unchanged = steps.unchanged!;
  const changed = steps['changed5%']!;
  const restore = steps.restore!;
  const cofferFirstRate = MB / first.coffer.seconds;
  process.stdout.write('\n');
  process.stdout.write(`machine limit (1 core): AES-256-GCM ${round(limits.aes256gcmMBps, 0)} MB/s, SHA-256 ${round(limits.sha256MBps, 0)} MB/s; both per byte: ${round(1 / (1 / limits.aes256gcmMBps + 1 / limits.sha256MBps), 0)} MB/s per core\n`);
  process.stdout.write(`coffer first backup ${round(cofferFirstRate, 1)} MB/s = ${round((100 * cofferFirstRate) / limits.aes256gcmMBps, 0)}% of one core's AES-GCM rate\n`);
  process.stdout.write(`stored: restic ${round(stored.restic / 1e6, 1)} MB, coffer ${round(stored.coffer / 1e6, 1)} MB (server peak RSS ${round(serverPeakMB, 0)} MB)\n`);
  process.stdout.write(`restores verified: coffer ${String(verified.coffer)}, restic ${String(verified.restic)}\n`);

  const ratios = {
    first_backup_vs_restic: round(mbps(first.coffer) / mbps(first.restic), 3),
    restore_vs_restic: round(mbps(restore.coffer) / mbps(restore.restic), 3),
    unchanged_vs_restic: round(unchanged.coffer.seconds / unchanged.restic.seconds, 3),
    changed_vs_restic: round(changed.coffer.seconds / changed.restic.seconds, 3),
    stored_bytes_vs_restic: round(stored.coffer / stored.restic, 3),
  };
  const summary = (run: Run): Record<string, number> => ({
    seconds: round(run.seconds, 3), mbps: mbps(run), peak_rss_mb: round(run.peakRssMB, 0), cpu_s: round(run.cpuSeconds, 2),
    ...(run.serverCpuSeconds === undefined ? {} : { server_cpu_s: round(run.serverCpuSeconds, 2) }),
  });
  const tool = (name: 'restic' | 'coffer'): Record<string, unknown> => ({
    first: summary(first[name]), unchanged: summary(unchanged[name]), changed: summary(changed[name]), restore: summary(restore[name]),
    stored_bytes: stored[name], restore_verified: verified[name],
  });
  process.stdout.write(`${JSON.stringify({
    bench: 'backup',
    dataset: { bytes: dataset.bytes, files: dataset.files.length, duplicate_bytes: dataset.duplicateBytes, changed_file_bytes: changedBytes },
    machine: { cores: availableParallelism(), load_average_1m: round(loadavg()[0]!, 2), aes256gcm_mbps: round(limits.aes256gcmMBps, 0), sha256_mbps: round(limits.sha256MBps, 0) },
    restic: { version: spawnSync('restic', ['version'], { encoding: 'utf8' }).stdout.trim(), ...tool('restic') },
    coffer: { ...tool('coffer'), server_peak_rss_mb: round(serverPeakMB, 0) },
    ratios,
  })}\n`);
  if (!existsSync(restoreCoffer) || !verified.coffer) process.exitCode = 1;
  // Several GB of data set, repositories and restores: gone unless asked to keep them.
  if (process.env.COFFER_BENCH_KEEP === undefined) rmSync(work, { recursive: true, force: true });
}

await main();
