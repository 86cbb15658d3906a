/**
 * Helpers of the asset tests: a server with a short asset grace period, a signed-in
 * account, a fetch that counts (or breaks) asset requests, and deterministic data.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { startServer } from '@coffer/server';
import { CofferClient, memoryKeychains, type FetchLike } from '../src/index.js';
import { PASSWORD, uniqueEmail } from './helpers/server.js';

export interface AssetTestServer {
  url: string;
  dataDir: string;
  close(): Promise<void>;
}

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

export function tempDir(prefix = 'coffer-assets-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

export async function startAssetServer(options: { graceMs?: number; databaseUrl?: string; dataDir?: string } = {}): Promise<AssetTestServer> {
  const dataDir = options.dataDir ?? tempDir('coffer-assets-server-');
  const server = await startServer({
    port: 0, dataDir, quotaBytes: 4 * 1024 ** 3,
    assets: { graceMs: options.graceMs ?? 60 * 60 * 1000, gcIntervalMs: 0 },
    ...(options.databaseUrl === undefined ? {} : { databaseUrl: options.databaseUrl }),
  });
  return { url: server.url, dataDir, close: () => server.close() };
}

/** Counts asset requests by kind (uploads in chunks); `failUploadRequestsAfter` makes later upload requests fail as if the process died. */
/** Frames in a Chunk batch v1 body (version byte, then id ‖ u32 length ‖ u32 crc ‖ bytes). */
function framesOf(body: unknown): number {
  if (!(body instanceof Uint8Array) || body.length === 0) return 0;
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  let frames = 0;
  for (let at = 1; at + 40 <= body.length; at += 40 + view.getUint32(at + 32)) frames++;
  return frames;
}

export class CountingFetch {
  /** Chunks sent (frames of assets/upload-batch, or single assets/upload requests). */
  uploads = 0;
  /** Upload requests sent. */
  uploadRequests = 0;
  missing = 0;
  downloads = 0;
  /** Upload requests from this count on fail before reaching the server ("killed"). */
  failUploadRequestsAfter: number | undefined;

  readonly #inFlight = new Set<Promise<unknown>>();

  readonly fetch: FetchLike = async (input, init) => {
    if (input.includes('/assets/upload')) {
      if (this.failUploadRequestsAfter !== undefined && this.uploadRequests >= this.failUploadRequestsAfter) throw new Error('killed mid-upload');
      this.uploadRequests++;
      this.uploads += input.includes('/assets/upload-batch') ? framesOf(init.body) : 1;
    } else if (input.includes('/assets/missing')) this.missing++;
    else if (input.includes('/assets/download')) this.downloads++;
    const response = globalThis.fetch(input, init);
    this.#inFlight.add(response);
    try {
      return await response;
    } finally {
      this.#inFlight.delete(response);
    }
  };

  /** Waits for requests already sent (a killed client's last uploads still land on the server). */
  async settled(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }
}

/** A registered, signed-in client whose requests go through `fetch`. */
export async function assetAccount(url: string, fetch?: FetchLike): Promise<{ client: CofferClient; email: string }> {
  const email = uniqueEmail('assets');
  const client = new CofferClient({ serverUrl: url, keychains: memoryKeychains(), retry: { sleep: () => Promise.resolve() }, ...(fetch === undefined ? {} : { fetch }) });
  await client.register(email, PASSWORD);
  return { client, email };
}

/** Pseudo-random bytes from a seed (fast, reproducible): SHA-256 in counter mode. */
export function seededBytes(size: number, seed: string): Uint8Array {
  const out = new Uint8Array(size);
  const base = createHash('sha256').update(seed).digest();
  let counter = 0;
  for (let i = 0; i < size; i += 32) {
    const block = createHash('sha256').update(base).update(String(counter++)).digest();
    out.set(block.subarray(0, Math.min(32, size - i)), i);
  }
  return out;
}

export function randomData(size: number): Uint8Array {
  return new Uint8Array(randomBytes(size));
}

/** Concatenates an async iterable of byte pieces. */
export async function collect(pieces: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let total = 0;
  for await (const piece of pieces) {
    parts.push(piece);
    total += piece.length;
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
