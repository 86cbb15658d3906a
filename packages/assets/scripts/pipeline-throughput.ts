/**
 * Throughput of the chunk pipeline beside the machine's limits, for docs/ASSETS.md and
 * the follow-up backup benchmark:
 *   node --import tsx packages/assets/scripts/pipeline-throughput.ts [MiB=256]
 * Prints streamed SHA-256 and AES-256-GCM MB/s (node:crypto, one core), FastCDC MB/s,
 * then the read→chunk→hash+encrypt pipeline MB/s with 0 (inline), 1, … cores workers
 * (and with upload checksums, `+crc`), and a JSON line.
 */
import { createCipheriv, createHash, randomBytes as nodeRandomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { convergenceKeys, deriveAssetSecrets, generateKey } from '@coffer/crypto';
import { ChunkCryptoPool, chunkStream, createChunker, encryptStream } from '../src/index.js';

const mib = Number(process.argv[2] ?? 256);
const total = mib * 1024 * 1024;
const piece = 4 * 1024 * 1024;
const pieces = Array.from({ length: Math.ceil(total / piece) }, () => new Uint8Array(nodeRandomBytes(piece)));

async function* source(): AsyncGenerator<Uint8Array> {
  for (const p of pieces) {
    await Promise.resolve();
    yield p;
  }
}

function rate(bytes: number, ms: number): number {
  return Math.round(bytes / 1e6 / (ms / 1000));
}

/** CPU milliseconds (all threads of this process) per MiB of the last measure(): load-independent cost. */
const cpuPerMiB: Record<string, number> = {};

async function measure(run: () => Promise<void> | void, name?: string): Promise<number> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  await run();
  const wall = performance.now() - start;
  const used = process.cpuUsage(cpu);
  if (name !== undefined) cpuPerMiB[name] = Math.round(((used.user + used.system) / 1000 / mib) * 100) / 100;
  return rate(total, wall);
}

const results: Record<string, number> = {};
results.sha256 = await measure(() => {
  const hash = createHash('sha256');
  for (const p of pieces) hash.update(p);
  hash.digest();
}, 'sha256');
results.aes256gcm = await measure(() => {
  const cipher = createCipheriv('aes-256-gcm', nodeRandomBytes(32), nodeRandomBytes(12));
  for (const p of pieces) cipher.update(p);
  cipher.final();
}, 'aes256gcm');
const secrets = deriveAssetSecrets(generateKey('keychain'));
const keys = convergenceKeys(secrets.convergenceSecret);
const chunker = createChunker(secrets);
results.fastcdc = await measure(async () => {
  let n = 0;
  for await (const chunk of chunkStream(source(), chunker)) n += chunk.length;
  if (n !== total) throw new Error('fastcdc lost bytes');
}, 'fastcdc');
const cores = availableParallelism();
const configs = [
  ...Array.from({ length: cores + 1 }, (_, workers) => ({ workers, uploadCrc32: false })),
  { workers: cores, uploadCrc32: true },
];
for (const { workers, uploadCrc32 } of configs) {
  const pool = new ChunkCryptoPool({ keys, workers, uploadCrc32 });
  for (let i = 0; i < 2 * workers; i++) await pool.encrypt(new Uint8Array(nodeRandomBytes(1024))); // start-up off the clock
  const name = `pipeline_${workers}w${uploadCrc32 ? '+crc' : ''}`;
  results[name] = await measure(async () => {
    let n = 0;
    for await (const chunk of encryptStream(source(), chunker, pool)) {
      n += chunk.size;
      pool.release(chunk); // as an uploader does once the chunk is sent
    }
    if (n !== total) throw new Error('pipeline lost bytes');
  }, name);
  await pool.close();
}
for (const [name, value] of Object.entries(results)) {
  process.stdout.write(`${name.padEnd(16)} ${String(value).padStart(6)} MB/s   ${String(cpuPerMiB[name] ?? '').padStart(6)} CPU ms/MiB\n`);
}
process.stdout.write(`${JSON.stringify({ bench: 'asset-pipeline', mib, cores, mbps: results, cpuMsPerMiB: cpuPerMiB })}\n`);
