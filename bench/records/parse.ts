/**
 * Parse Server on the same PostgreSQL, for the batched-write comparison. It is installed
 * by this script with npm into bench/.work/parse (a scratch folder, not a project
 * dependency) and run in its own process. Returns null with the reason when it cannot run.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { startChild } from './child-process.js';
import { timed, type PhaseResult } from './stats.js';

// 8.x fails every /batch here (PromiseRouter.match: "Cannot convert undefined or null to
// object", its router's Layer has no params); 7.5.4 is the newest line that works on Node 20.
const PARSE_VERSION = '7.5.4';
const RUNNER = `
const express = require('express');
const { ParseServer } = require('parse-server');
const [port, databaseURI] = process.argv.slice(2);
(async () => {
  const api = new ParseServer({ databaseURI, appId: 'bench', masterKey: 'bench-master-key', serverURL: 'http://127.0.0.1:' + port + '/parse', silent: true, logLevel: 'error' });
  await api.start();
  const app = express();
  app.use('/parse', api.app);
  app.listen(Number(port), '127.0.0.1', () => console.log(JSON.stringify({ url: 'http://127.0.0.1:' + port + '/parse' })));
  process.stdin.resume();
  process.stdin.on('end', () => process.exit(0));
})().catch((e) => { console.error(e); process.exit(1); });
`;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (typeof address === 'object' && address) resolve(address.port);
        else reject(new Error('no port'));
      });
    });
  });
}

export function installParse(workDir: string): string | null {
  const dir = join(workDir, 'parse');
  mkdirSync(dir, { recursive: true });
  if (!existsSync(join(dir, 'package.json'))) writeFileSync(join(dir, 'package.json'), '{"name":"parse-bench-scratch","private":true}\n');
  const installed = join(dir, 'node_modules', 'parse-server', 'package.json');
  const version = existsSync(installed) ? (JSON.parse(readFileSync(installed, 'utf8')) as { version: string }).version : null;
  if (version !== PARSE_VERSION) {
    process.stdout.write(`installing parse-server@${PARSE_VERSION} into ${dir} …\n`);
    try {
      execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', `parse-server@${PARSE_VERSION}`], { cwd: dir, stdio: 'inherit', timeout: 15 * 60_000 });
    } catch (error) {
      return `npm install parse-server failed: ${(error as Error).message}`;
    }
  }
  writeFileSync(join(dir, 'run.cjs'), RUNNER);
  return null;
}

export interface ParseBenchOptions {
  workDir: string;
  databaseUrl: string;
  clients: number;
  batches: number;
  batchSize: number;
  record: (i: number) => Record<string, unknown>;
}

export async function benchParse(options: ParseBenchOptions): Promise<{ result: PhaseResult | null; reason?: string }> {
  const failure = installParse(options.workDir);
  if (failure) return { result: null, reason: failure };
  const port = await freePort();
  let child;
  try {
    child = await startChild(process.execPath, [join(options.workDir, 'parse', 'run.cjs'), String(port), options.databaseUrl], { cwd: join(options.workDir, 'parse'), timeoutMs: 120_000 });
  } catch (error) {
    return { result: null, reason: `parse-server did not start: ${(error as Error).message.slice(0, 300)}` };
  }
  const headers = { 'content-type': 'application/json', 'x-parse-application-id': 'bench', 'x-parse-master-key': 'bench-master-key' };
  const batch = async (requests: unknown[]) => {
    const response = await fetch(`${child.url}/batch`, { method: 'POST', headers, body: JSON.stringify({ requests }) });
    const body = (await response.json()) as { error?: unknown }[] | { error: string };
    if (!response.ok || !Array.isArray(body) || body.some((r) => r.error !== undefined)) throw new Error(`parse batch failed: ${JSON.stringify(body).slice(0, 300)}`);
  };
  try {
    // Warm-up: creates the class and its table.
    await batch([{ method: 'POST', path: '/parse/classes/BenchItem', body: options.record(-1) }]);
    const result = await timed(`parse batch ${options.batchSize}`, options.clients, async (client, time) => {
      for (let b = 0; b < options.batches; b++) {
        const requests = Array.from({ length: options.batchSize }, (_, i) => ({ method: 'POST', path: '/parse/classes/BenchItem', body: options.record(client * 1_000_000 + b * options.batchSize + i) }));
        await time(() => batch(requests));
      }
      return options.batches * options.batchSize;
    });
    return { result };
  } catch (error) {
    return { result: null, reason: (error as Error).message };
  } finally {
    await child.stop();
  }
}
