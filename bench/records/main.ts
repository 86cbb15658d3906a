/**
 * `npm run bench -- records`: throughput (records/s) and p50/p99 latency of the record
 * API — records/modify in batches of 1 and 200, records/lookup, records/query and
 * records/changes — with 10 fields of which 5 are encrypted on the client vs all
 * plaintext, on SQLite and PostgreSQL, with concurrent clients; then Parse Server's
 * batched writes on the same PostgreSQL. The server runs in its own process.
 *
 * Records, including the client-side encryption of the encrypted variant, are made before
 * each timed phase, so records/s and latencies measure the server; the client's cost per
 * record is printed separately.
 *
 * Flags: --clients N (default 4), --quick (smaller runs).
 * Last line: {"bench":"records", …, "ratios": {"encrypted_vs_plain", "vs_parse_batched"}}.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { testBackends } from '@coffer/storage';
import { startChild } from './child-process.js';
import { CofferBenchClient, ZONE } from './coffer-client.js';
import { benchParse } from './parse.js';
import { round, timed, type PhaseResult } from './stats.js';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const flag = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const quick = args.includes('--quick');
const CLIENTS = flag('clients', 4);
const SINGLE_WRITES = quick ? 20 : 60;
const BATCHES = quick ? 2 : 5;
const BATCH = 200;
const LOOKUPS = quick ? 20 : 60;
const LOOKUP_SIZE = 20;
const QUERIES = quick ? 10 : 30;

/** Microseconds of client CPU to make one record (with 5 fields encrypted for `encrypted`). */
const clientCost = new Map<string, number>();

interface Row extends PhaseResult {
  backend: string;
  variant: 'plain' | 'encrypted';
}

async function runVariant(url: string, backend: string, variant: Row['variant']): Promise<Row[]> {
  const container = `iCloud.bench.${variant}`;
  const clients: CofferBenchClient[] = [];
  for (let c = 0; c < CLIENTS; c++) {
    const client = new CofferBenchClient(url, container, variant === 'encrypted');
    await client.signUp(`bench-${variant}-${c}-${Date.now()}@example.com`);
    await client.createZone();
    clients.push(client);
  }
  const zoneID = { zoneName: ZONE };
  const names = clients.map(() => [] as string[]);
  const phases: PhaseResult[] = [];

  // Records (and their client-side encryption) are made before each timed phase, so the
  // phases measure the server; the client's encryption cost is measured on its own.
  const madeStart = performance.now();
  const singles = clients.map((client) => Array.from({ length: SINGLE_WRITES }, (_, i) => client.record(`one-${i}`, i)));
  const batches = clients.map((client) => Array.from({ length: BATCHES }, (_, b) => Array.from({ length: BATCH }, (_, i) => client.record(`batch-${b}-${i}`, b * BATCH + i))));
  clientCost.set(variant, ((performance.now() - madeStart) * 1000) / (CLIENTS * (SINGLE_WRITES + BATCHES * BATCH)));

  phases.push(
    await timed('modify x1', CLIENTS, async (c, time) => {
      const client = clients[c]!;
      for (const record of singles[c]!) {
        await time(() => client.db('records/modify', { zoneID, operations: [{ operationType: 'create', record }] }));
        names[c]!.push(record.recordName);
      }
      return SINGLE_WRITES;
    }),
  );
  phases.push(
    await timed('modify x200', CLIENTS, async (c, time) => {
      const client = clients[c]!;
      for (const batch of batches[c]!) {
        await time(() => client.db('records/modify', { zoneID, operations: batch.map((record) => ({ operationType: 'create', record })) }));
        names[c]!.push(...batch.map((r) => r.recordName));
      }
      return BATCHES * BATCH;
    }),
  );
  phases.push(
    await timed(`lookup x${LOOKUP_SIZE}`, CLIENTS, async (c, time) => {
      const client = clients[c]!;
      const mine = names[c]!;
      for (let i = 0; i < LOOKUPS; i++) {
        const records = Array.from({ length: LOOKUP_SIZE }, (_, k) => ({ recordName: mine[(i * 37 + k * 101) % mine.length]! }));
        await time(() => client.db('records/lookup', { zoneID, records }));
      }
      return LOOKUPS * LOOKUP_SIZE;
    }),
  );
  phases.push(
    await timed('query', CLIENTS, async (c, time) => {
      const client = clients[c]!;
      let returned = 0;
      for (let i = 0; i < QUERIES; i++) {
        const body = await time(() =>
          client.db<{ records: unknown[] }>('records/query', {
            zoneID,
            query: { recordType: 'BenchItem', filterBy: [{ comparator: 'GREATER_THAN', fieldName: 'f1', fieldValue: { value: (i * 97) % 900 } }], sortBy: [{ fieldName: 'f1' }] },
            resultsLimit: 100,
          }),
        );
        returned += body.records.length;
      }
      return returned;
    }),
  );
  phases.push(
    await timed('changes', CLIENTS, async (c, time) => {
      const client = clients[c]!;
      let returned = 0;
      let syncToken: string | undefined;
      for (;;) {
        const page = await time(() =>
          client.db<{ records: unknown[]; syncToken: string; moreComing: boolean }>('records/changes', { zoneID, resultsLimit: 200, ...(syncToken ? { syncToken } : {}) }),
        );
        returned += page.records.length;
        syncToken = page.syncToken;
        if (!page.moreComing) return returned;
      }
    }),
  );
  return phases.map((p) => ({ ...p, backend, variant }));
}

function printTable(rows: Row[]): void {
  process.stdout.write(`\n${'backend'.padEnd(9)} ${'variant'.padEnd(10)} ${'phase'.padEnd(14)} ${'records/s'.padStart(10)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'requests'.padStart(9)}\n`);
  for (const r of rows) {
    process.stdout.write(
      `${r.backend.padEnd(9)} ${r.variant.padEnd(10)} ${r.phase.padEnd(14)} ${String(r.recordsPerSecond).padStart(10)} ${String(r.p50ms).padStart(8)} ${String(r.p99ms).padStart(8)} ${String(r.requests).padStart(9)}\n`,
    );
  }
}

const rows: Row[] = [];
for (const backend of testBackends()) {
  const database = await backend.provision();
  try {
    process.stdout.write(`\n-- ${backend.name}: starting the server (${CLIENTS} concurrent clients) --\n`);
    const server = await startChild(process.execPath, ['--import', 'tsx', join(here, 'server-child.ts'), database.dataDir, ...(database.databaseUrl ? [database.databaseUrl] : [])]);
    try {
      for (const variant of ['plain', 'encrypted'] as const) {
        const result = await runVariant(server.url, backend.name, variant);
        printTable(result);
        rows.push(...result);
      }
    } finally {
      await server.stop();
    }
  } finally {
    await database.drop();
  }
}

// Encrypted vs plain: per backend and phase, then the geometric mean.
const perPhase: Record<string, number> = {};
for (const enc of rows.filter((r) => r.variant === 'encrypted')) {
  const plain = rows.find((r) => r.variant === 'plain' && r.backend === enc.backend && r.phase === enc.phase)!;
  perPhase[`${enc.backend} ${enc.phase}`] = round(enc.recordsPerSecond / plain.recordsPerSecond, 3);
}
const ratios = Object.values(perPhase);
const encryptedVsPlain = round(Math.exp(ratios.reduce((a, r) => a + Math.log(r), 0) / ratios.length), 3);

process.stdout.write('\n-- Parse Server (same PostgreSQL, batched writes) --\n');
const pg = testBackends().find((b) => b.name === 'postgres')!;
const parseDb = await pg.provision();
let parse: Awaited<ReturnType<typeof benchParse>>;
try {
  const client = new CofferBenchClient('', '', false);
  parse = await benchParse({
    workDir: join(here, '..', '.work'),
    databaseUrl: parseDb.databaseUrl!,
    clients: CLIENTS,
    batches: BATCHES,
    batchSize: BATCH,
    record: (i) => Object.fromEntries(Object.entries(client.record(`p${i}`, i).fields ?? {}).map(([name, field]) => [name, field.type === 'TIMESTAMP' ? { __type: 'Date', iso: new Date(field.value as number).toISOString() } : field.value])),
  });
} finally {
  await parseDb.drop();
}
const cofferBatched = rows.find((r) => r.backend === 'postgres' && r.variant === 'plain' && r.phase === 'modify x200')!;
let vsParse: number | null = null;
if (parse.result) {
  process.stdout.write(`parse batch ${BATCH}: ${parse.result.recordsPerSecond} records/s, p50 ${parse.result.p50ms} ms, p99 ${parse.result.p99ms} ms\n`);
  vsParse = round(cofferBatched.recordsPerSecond / parse.result.recordsPerSecond, 2);
} else {
  process.stdout.write(`Parse Server could not run here: ${parse.reason ?? 'unknown'}; vs_parse_batched = null\n`);
}

const cost = { plain: round(clientCost.get('plain') ?? 0, 1), encrypted: round(clientCost.get('encrypted') ?? 0, 1) };
process.stdout.write(`\nclient CPU per record (made before the timed phases): plain ${cost.plain} µs, encrypted ${cost.encrypted} µs (5 fields with @coffer/crypto)\n`);
process.stdout.write(`encrypted vs plain (server records/s ratio, target ≥ 0.8): ${JSON.stringify(perPhase)}\ngeometric mean: ${encryptedVsPlain}\n`);
process.stdout.write(`Coffer (PostgreSQL, plain, batches of ${BATCH}) vs Parse Server: ${vsParse ?? 'n/a'} (target ≥ 3)\n`);
process.stdout.write(
  `${JSON.stringify({
    bench: 'records',
    clients: CLIENTS,
    results: rows,
    parse: parse.result ?? { error: parse.reason },
    encrypted_vs_plain_by_phase: perPhase,
    client_us_per_record: cost,
    ratios: { encrypted_vs_plain: encryptedVsPlain, vs_parse_batched: vsParse },
    targets: { encrypted_vs_plain: 0.8, vs_parse_batched: 3 },
  })}\n`,
);
