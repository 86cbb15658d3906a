/**
 * The ChunkFetcher (assets/fetch): against a real server, every distinct chunk once, in
 * batches, verified and decrypted; a corrupted, swapped or missing chunk stops it with the
 * right error and nothing unverified is handed out; stopping early cancels. Against a
 * scripted server: malformed answers (version, status, frame count, truncation) are
 * NetworkError and an envelope is the typed error.
 */
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chunkIdToString, convergenceKeys, DecryptionError, deriveAssetSecrets, encryptAssetChunk, generateKey, type AssetChunkRef } from '@coffer/crypto';
import { AssetFetch } from '@coffer/protocol';
import { closeAssetEngines, NetworkError, NotFoundError, TryAgainLaterError, type Database } from '../src/index.js';
import { manifestOfAsset } from '../src/assets/asset-value.js';
import { ChunkFetcher, type OpenedChunk } from '../src/assets/chunk-fetcher.js';
import type { DatabaseContext } from '../src/database-context.js';
import { assetAccount, randomData, startAssetServer, type AssetTestServer } from './assets-helpers.js';

const MiB = 1024 * 1024;

function blobPath(dataDir: string, chunkId: string): string {
  const shard = join(dataDir, 'blobs', chunkId.slice(0, 1));
  const name = readdirSync(shard).find((n) => n.startsWith(`${chunkId}.`));
  if (name === undefined) throw new Error(`no blob for ${chunkId}`);
  return join(shard, name);
}

/** Opens every chunk, copying each plaintext out (buffers are reused after release). */
async function openAll(chunks: AsyncIterable<OpenedChunk>): Promise<{ got: Map<string, Buffer>; error: unknown }> {
  const got = new Map<string, Buffer>();
  try {
    for await (const chunk of chunks) {
      expect(got.has(chunk.idText)).toBe(false);
      got.set(chunk.idText, Buffer.from(chunk.plaintext));
      chunk.release();
    }
  } catch (error) {
    return { got, error };
  }
  return { got, error: undefined };
}

/** The plaintext of each chunk of an upload of `data`, by id. */
function expectedChunks(data: Uint8Array, refs: readonly AssetChunkRef[]): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let offset = 0;
  for (const ref of refs) {
    out.set(chunkIdToString(ref.id), Buffer.from(data.subarray(offset, offset + ref.size)));
    offset += ref.size;
  }
  return out;
}

/** Same ids, same bytes (compared with Buffer.equals: deep equality of MiBs is very slow). */
function expectSame(got: Map<string, Buffer>, expected: Map<string, Buffer>): void {
  expect([...got.keys()].sort()).toEqual([...expected.keys()].sort());
  for (const [id, plaintext] of got) expect(plaintext.equals(expected.get(id)!), id).toBe(true);
}

describe('ChunkFetcher against a server', () => {
  let server: AssetTestServer;
  let db: Database;
  beforeAll(async () => {
    server = await startAssetServer();
    db = (await assetAccount(server.url)).client.container('com.example.assets').privateDatabase;
  });
  afterAll(async () => {
    await closeAssetEngines();
    await server.close();
  });

  async function upload(data: Uint8Array): Promise<readonly AssetChunkRef[]> {
    return manifestOfAsset(await db.uploadAsset(data)).chunks;
  }

  it('opens every distinct chunk once, over several requests, with the right plaintext', async () => {
    const data = randomData(14 * MiB);
    const refs = await upload(data);
    expect(refs.length).toBeGreaterThan(4);
    const session = db.assets();
    const before = session.api.counters.downloads;
    // Every chunk twice, and small batches: several requests, two in flight.
    const { got, error } = await openAll(session.openChunks([...refs, ...refs.slice().reverse()], { batchBytes: 3 * MiB, maxOpen: 3 }));
    expect(error).toBeUndefined();
    expectSame(got, expectedChunks(data, refs));
    expect(session.api.counters.downloads - before).toBe(new Set(refs.map((r) => chunkIdToString(r.id))).size);
  });

  it('a corrupted chunk: DecryptionError, and that chunk is never handed out', async () => {
    const data = randomData(12 * MiB);
    const refs = await upload(data);
    const victim = chunkIdToString(refs[2]!.id);
    const path = blobPath(server.dataDir, victim);
    const bytes = readFileSync(path);
    bytes[bytes.length - 100]! ^= 0x01; // in the last segment: everything before it verifies
    writeFileSync(path, bytes);
    const { got, error } = await openAll(db.assets().openChunks(refs, { batchBytes: 64 * MiB }));
    expect(error).toBeInstanceOf(DecryptionError);
    expect(got.has(victim)).toBe(false);
    const expected = expectedChunks(data, refs);
    for (const [id, plaintext] of got) expect(plaintext.equals(expected.get(id)!)).toBe(true);
  });

  it('a chunk swapped for another of the same size: DecryptionError (the id is the AD)', async () => {
    const [a] = await upload(randomData(5000));
    const [b] = await upload(randomData(5000));
    const idA = chunkIdToString(a!.id);
    writeFileSync(blobPath(server.dataDir, idA), readFileSync(blobPath(server.dataDir, chunkIdToString(b!.id))));
    const { got, error } = await openAll(db.assets().openChunks([b!, a!]));
    expect(error).toBeInstanceOf(DecryptionError);
    expect(got.has(idA)).toBe(false);
  });

  it('a chunk swapped for one of another size: DecryptionError before its bytes are read', async () => {
    const [a] = await upload(randomData(5000));
    const [b] = await upload(randomData(90_000));
    writeFileSync(blobPath(server.dataDir, chunkIdToString(a!.id)), readFileSync(blobPath(server.dataDir, chunkIdToString(b!.id))));
    await expect(openAll(db.assets().openChunks([a!])).then((r) => { throw r.error; })).rejects.toBeInstanceOf(DecryptionError);
  });

  it('a chunk the server does not have: NotFoundError', async () => {
    const refs = await upload(randomData(3 * MiB));
    rmSync(blobPath(server.dataDir, chunkIdToString(refs.at(-1)!.id)));
    const { error } = await openAll(db.assets().openChunks(refs));
    expect(error).toBeInstanceOf(NotFoundError);
  });

  it('stopping early cancels the requests; the next fetch works', async () => {
    const data = randomData(16 * MiB);
    const refs = await upload(data);
    let seen = 0;
    for await (const chunk of db.assets().openChunks(refs, { batchBytes: 2 * MiB })) {
      chunk.release();
      if (++seen === 2) break;
    }
    const { got, error } = await openAll(db.assets().openChunks(refs));
    expect(error).toBeUndefined();
    expectSame(got, expectedChunks(data, refs));
  });
});

describe('ChunkFetcher against malformed answers', () => {
  let server: Server;
  let answer: (body: string) => { status: number; body: Buffer; headers?: Record<string, string> };
  const requests: string[] = [];
  let ctx: DatabaseContext;
  // A real chunk: the scripted answers can carry bytes that open under this ref.
  const sealed = encryptAssetChunk(convergenceKeys(deriveAssetSecrets(generateKey('keychain')).convergenceSecret), new Uint8Array(randomData(100)));
  const ref: AssetChunkRef = { id: sealed.id, key: sealed.key, size: sealed.size };

  beforeAll(async () => {
    server = createServer((request, response) => {
      let text = '';
      request.on('data', (piece: Buffer) => { text += piece.toString(); });
      request.on('end', () => {
        requests.push(`${request.headers.authorization ?? ''} ${text}`);
        const { status, body, headers } = answer(text);
        response.writeHead(status, { 'content-type': 'application/octet-stream', ...headers });
        response.end(body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    ctx = { transport: { serverUrl: url, sessionToken: 'token-1' }, path: (op: string) => `/database/1/c/development/private/${op}` } as unknown as DatabaseContext;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  const frame = (status: number, bytes: Uint8Array): Buffer => {
    const header = Buffer.alloc(5);
    header[0] = status;
    header.writeUInt32BE(bytes.length, 1);
    return Buffer.concat([header, bytes]);
  };
  const run = (): Promise<unknown> => openAll(new ChunkFetcher(ctx, { retry: { sleep: () => Promise.resolve() } }).open([ref])).then((r) => r.error);

  it('sends the ids and the session token', async () => {
    answer = () => ({ status: 200, body: Buffer.of(AssetFetch.version, AssetFetch.status.notFound, 0, 0, 0, 0) });
    await run();
    expect(requests.at(-1)).toBe(`Bearer token-1 ${JSON.stringify({ chunkIds: [chunkIdToString(ref.id)] })}`);
  });

  it('a well-formed answer opens', async () => {
    answer = () => ({ status: 200, body: Buffer.concat([Buffer.of(AssetFetch.version), frame(0, sealed.ciphertext)]) });
    const { got, error } = await openAll(new ChunkFetcher(ctx).open([ref, ref]));
    expect(error).toBeUndefined();
    expect([...got.keys()]).toEqual([chunkIdToString(ref.id)]);
  });

  it.each([
    ['an unknown version', () => Buffer.concat([Buffer.of(2), frame(0, sealed.ciphertext)])],
    ['an unknown frame status', () => Buffer.concat([Buffer.of(AssetFetch.version), frame(7, new Uint8Array(0))])],
    ['more frames than ids', () => Buffer.concat([Buffer.of(AssetFetch.version), frame(0, sealed.ciphertext), frame(1, new Uint8Array(0))])],
    ['an answer cut inside a frame header', () => Buffer.of(AssetFetch.version, 0, 0)],
    ['an empty answer', () => Buffer.alloc(0)],
  ])('%s is NetworkError', async (_label, body) => {
    answer = () => ({ status: 200, body: body() });
    expect(await run()).toBeInstanceOf(NetworkError);
  });

  it('a frame cut short is NetworkError; a frame of the wrong length is DecryptionError (nothing is buffered for it)', async () => {
    const { assetChunkCiphertextSize } = await import('@coffer/crypto');
    const right = assetChunkCiphertextSize(ref.size);
    answer = () => ({ status: 200, body: Buffer.concat([Buffer.of(AssetFetch.version), frame(0, new Uint8Array(right)).subarray(0, 5 + right - 1)]) });
    expect(await run()).toBeInstanceOf(NetworkError);
    answer = () => ({ status: 200, body: Buffer.concat([Buffer.of(AssetFetch.version), Buffer.of(0, 0x7f, 0xff, 0xff, 0xff)]) });
    expect(await run()).toBeInstanceOf(DecryptionError);
    // The right length but bytes that do not open (this ref's key never sealed them).
    answer = () => ({ status: 200, body: Buffer.concat([Buffer.of(AssetFetch.version), frame(0, new Uint8Array(right))]) });
    expect(await run()).toBeInstanceOf(DecryptionError);
  });

  it('an envelope is the typed error; TRY_AGAIN_LATER is retried', async () => {
    const envelope = (code: string): Buffer => Buffer.from(JSON.stringify({ uuid: 'u', serverErrorCode: code, reason: 'no' }));
    answer = () => ({ status: 404, body: envelope('NOT_FOUND') });
    expect(await run()).toBeInstanceOf(NotFoundError);
    let calls = 0;
    answer = () => (++calls < 3 ? { status: 503, body: envelope('TRY_AGAIN_LATER') } : { status: 200, body: Buffer.of(AssetFetch.version, 1, 0, 0, 0, 0) });
    expect(await run()).toBeInstanceOf(NotFoundError);
    expect(calls).toBe(3);
    answer = () => ({ status: 503, body: envelope('TRY_AGAIN_LATER') });
    expect(await run()).toBeInstanceOf(TryAgainLaterError);
    answer = () => ({ status: 502, body: Buffer.from('bad gateway') });
    expect(await run()).toBeInstanceOf(NetworkError);
  });
});
