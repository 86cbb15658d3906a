/**
 * `POST …/private/assets/fetch` (Chunk fetch stream v1) over HTTP (fastify.inject) on
 * SQLite and PostgreSQL with the file blob store, and once on S3: frames in request order,
 * NOT_FOUND frames for what the user does not store (unknown, another user's, bytes gone
 * from the blob store), limits, malformed and unauthorised requests. Over real sockets:
 * frame buffers recycled across concurrent, stalled and vanished clients never corrupt a
 * frame.
 */
import { randomBytes as nodeRandomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, truncate, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance, type LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request as httpRequest } from 'node:http';
import { FileBlobStore, S3BlobStore, type BlobStore } from '@coffer/blobs';
import { startTestS3, type TestS3 } from '@coffer/blobs/testing';
import {
  chunkIdToString, convergenceKeys, decryptAssetChunk, deriveAssetSecrets, encryptAssetChunk, generateKey, type EncryptedAssetChunk,
} from '@coffer/crypto';
import { AssetFetch, type ErrorEnvelope } from '@coffer/protocol';
import { testBackends, type TestStore } from '@coffer/storage';
import { registerAuth } from '../src/auth/index.js';
import { registerAssets } from '../src/assets/index.js';
import { registerUser } from './auth-helpers.js';

const BASE = '/database/1/iCloud.com.example.app/development/private/assets';
const keys = convergenceKeys(deriveAssetSecrets(generateKey('keychain')).convergenceSecret);

interface Chunk {
  id: string;
  chunk: EncryptedAssetChunk;
  plaintext: Uint8Array;
}

function makeChunk(size: number): Chunk {
  const plaintext = new Uint8Array(nodeRandomBytes(size));
  const chunk = encryptAssetChunk(keys, plaintext);
  return { id: chunkIdToString(chunk.id), chunk, plaintext };
}

type Frame = { status: 'ok'; bytes: Buffer } | { status: 'notFound' };

/** Parses a Chunk fetch stream v1 body; throws on anything malformed or truncated. */
function parseFrames(body: Buffer): Frame[] {
  expect(body[0]).toBe(AssetFetch.version);
  const frames: Frame[] = [];
  let at = 1;
  while (at < body.length) {
    if (at + 5 > body.length) throw new Error('truncated frame header');
    const status = body[at]!;
    const length = body.readUInt32BE(at + 1);
    at += 5;
    if (status === AssetFetch.status.notFound) {
      expect(length).toBe(0);
      frames.push({ status: 'notFound' });
      continue;
    }
    expect(status).toBe(AssetFetch.status.ok);
    if (at + length > body.length) throw new Error('truncated frame');
    frames.push({ status: 'ok', bytes: body.subarray(at, at + length) });
    at += length;
  }
  return frames;
}

const envelope = (response: LightMyRequestResponse): ErrorEnvelope => response.json<ErrorEnvelope>();

/** `files` with some methods replaced (stores that lie, stores that record). */
function wrapStore(files: FileBlobStore, overrides: Partial<BlobStore>): BlobStore {
  return {
    kind: files.kind,
    put: (id, data) => files.put(id, data),
    get: (id) => files.get(id),
    getStream: (id) => files.getStream(id),
    getInto: (id, target) => files.getInto(id, target),
    stat: (id) => files.stat(id),
    has: (id) => files.has(id),
    delete: (id) => files.delete(id),
    list: (options) => files.list(options),
    close: () => files.close(),
    ...overrides,
  };
}

/** Frames of `body` checked byte for byte against the chunks asked for. */
function expectFrames(body: Buffer, expected: readonly Chunk[]): void {
  const frames = parseFrames(body);
  expect(frames).toHaveLength(expected.length);
  frames.forEach((frame, i) => {
    if (frame.status !== 'ok') throw new Error(`frame ${i}: expected ok`);
    expect(frame.bytes.equals(expected[i]!.chunk.ciphertext), `frame ${i}`).toBe(true);
  });
}

async function upload(app: FastifyInstance, token: string, c: Chunk): Promise<void> {
  const { createHash } = await import('node:crypto');
  const response = await app.inject({
    method: 'POST', url: `${BASE}/upload?chunkId=${c.id}`,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream', 'x-coffer-content-sha256': createHash('sha256').update(c.chunk.ciphertext).digest('hex') },
    payload: Buffer.from(c.chunk.ciphertext),
  });
  expect(response.statusCode, response.body).toBe(200);
}

function fetchRequest(app: FastifyInstance, body: unknown, options: { token?: string | null; url?: string; raw?: string } = {}): Promise<LightMyRequestResponse> {
  return app.inject({
    method: 'POST', url: options.url ?? `${BASE}/fetch`,
    headers: { 'content-type': 'application/json', ...(options.token === null || options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }) },
    payload: options.raw ?? JSON.stringify(body),
  });
}

for (const backend of testBackends()) {
  describe(`assets/fetch (${backend.name})`, () => {
    let store: TestStore;
    let app: FastifyInstance;
    let blobRoot: string;
    let alice: string;
    let bob: string;

    beforeAll(async () => {
      store = await backend.open();
      blobRoot = await mkdtemp(join(tmpdir(), 'coffer-fetch-blobs-'));
      app = Fastify({ logger: false });
      await registerAuth(app, { store, dataDir: store.testDatabase.dataDir });
      await registerAssets(app, { store, blobs: new FileBlobStore({ root: blobRoot }), dataDir: store.testDatabase.dataDir, quotaBytes: 256 * 1024 * 1024, gcIntervalMs: 0 });
      await app.ready();
      alice = (await registerUser(app, `alice-fetch-${backend.name}@example.com`, 'correct horse battery alice')).sessionToken;
      bob = (await registerUser(app, `bob-fetch-${backend.name}@example.com`, 'correct horse battery bob')).sessionToken;
    });
    afterAll(async () => {
      await app.close();
      await store.close();
      await rm(blobRoot, { recursive: true, force: true });
    });

    /** The blob file of a chunk of this test's user (file store layout: <root>/<2 chars>/<id>.<user tag>). */
    async function blobFileOf(id: string): Promise<string[]> {
      const shard = join(blobRoot, id.slice(0, 1));
      return (await readdir(shard)).filter((name) => name.startsWith(`${id}.`)).map((name) => join(shard, name));
    }

    it('answers one frame per requested id, in request order, with the stored bytes', async () => {
      const a = makeChunk(300_000);
      const b = makeChunk(1);
      const c = makeChunk(2_500_000);
      for (const chunk of [a, b, c]) await upload(app, alice, chunk);
      const response = await fetchRequest(app, { chunkIds: [c.id, a.id, b.id, a.id] }, { token: alice });
      expect(response.statusCode, response.body).toBe(200);
      expect(response.headers['content-type']).toBe('application/octet-stream');
      const frames = parseFrames(response.rawPayload);
      expect(frames.map((f) => f.status)).toEqual(['ok', 'ok', 'ok', 'ok']);
      const expected = [c, a, b, a];
      frames.forEach((frame, i) => {
        const want = expected[i]!;
        if (frame.status !== 'ok') throw new Error('expected ok');
        expect(frame.bytes.equals(want.chunk.ciphertext)).toBe(true);
        expect(Buffer.from(decryptAssetChunk(want.chunk, frame.bytes)).equals(want.plaintext)).toBe(true);
      });
    });

    it('ids this user does not store are NOT_FOUND frames: unknown, another user\'s, bytes gone from the blob store', async () => {
      const mine = makeChunk(5000);
      const bobs = makeChunk(6000);
      const gone = makeChunk(7000);
      await upload(app, alice, mine);
      await upload(app, bob, bobs);
      await upload(app, alice, gone);
      for (const file of await blobFileOf(gone.id)) await unlink(file);
      const unknown = makeChunk(10);
      const response = await fetchRequest(app, { chunkIds: [unknown.id, mine.id, bobs.id, gone.id] }, { token: alice });
      expect(response.statusCode).toBe(200);
      const frames = parseFrames(response.rawPayload);
      expect(frames.map((f) => f.status)).toEqual(['notFound', 'ok', 'notFound', 'notFound']);
      // Bob gets his own chunk, and nothing of Alice's.
      const asBob = parseFrames((await fetchRequest(app, { chunkIds: [bobs.id, mine.id] }, { token: bob })).rawPayload);
      expect(asBob.map((f) => f.status)).toEqual(['ok', 'notFound']);
    });

    it('a damaged blob is sent as the store has it (its length included): the client\'s checks refuse it', async () => {
      const c = makeChunk(200_000);
      await upload(app, alice, c);
      for (const file of await blobFileOf(c.id)) await truncate(file, 1000);
      const response = await fetchRequest(app, { chunkIds: [c.id] }, { token: alice });
      expect(response.statusCode).toBe(200);
      const [frame] = parseFrames(response.rawPayload);
      if (frame?.status !== 'ok') throw new Error('expected an ok frame');
      expect(frame.bytes.length).toBe(1000);
      expect(() => decryptAssetChunk(c.chunk, frame.bytes)).toThrow(/decrypt/);
    });

    it('malformed requests answer BAD_REQUEST in the CloudKit envelope', async () => {
      const c = makeChunk(100);
      const cases = [
        await fetchRequest(app, { chunkIds: ['not-a-chunk-id'] }, { token: alice }),
        await fetchRequest(app, { chunkIds: [c.id, `${c.id.slice(0, 42)}B`] }, { token: alice }), // non-canonical last character
        await fetchRequest(app, { chunkIds: [] }, { token: alice }),
        await fetchRequest(app, { chunkIds: 5 }, { token: alice }),
        await fetchRequest(app, { ids: [c.id] }, { token: alice }),
        await fetchRequest(app, undefined, { token: alice, raw: '{nope' }),
        await fetchRequest(app, { chunkIds: Array.from({ length: AssetFetch.maxIds + 1 }, () => c.id) }, { token: alice }),
        await fetchRequest(app, { chunkIds: [c.id] }, { token: alice, url: '/database/1/iCloud.com.example.app/development/public/assets/fetch' }),
        await fetchRequest(app, { chunkIds: [c.id] }, { token: alice, url: '/database/1/iCloud.com.example.app/development/shared/assets/fetch' }),
      ];
      for (const response of cases) {
        expect(response.statusCode, response.body).toBe(400);
        const e = envelope(response);
        expect(e.serverErrorCode).toBe('BAD_REQUEST');
        expect(typeof e.uuid).toBe('string');
        expect(e.reason.length).toBeGreaterThan(0);
      }
    });

    it('more stored bytes than one answer may carry is LIMIT_EXCEEDED, before any byte is sent', async () => {
      const big = makeChunk(4 * 1024 * 1024);
      await upload(app, alice, big);
      const times = Math.floor(AssetFetch.maxBytes / big.chunk.ciphertext.length);
      const ok = await fetchRequest(app, { chunkIds: Array.from({ length: times }, () => big.id) }, { token: alice });
      expect(ok.statusCode).toBe(200);
      expect(parseFrames(ok.rawPayload)).toHaveLength(times);
      const over = await fetchRequest(app, { chunkIds: Array.from({ length: times + 1 }, () => big.id) }, { token: alice });
      expect(over.statusCode).toBe(413);
      expect(envelope(over).serverErrorCode).toBe('LIMIT_EXCEEDED');
      // An oversized body is refused before it is parsed.
      const huge = await fetchRequest(app, undefined, { token: alice, raw: `{"chunkIds":["${'A'.repeat(200 * 1024)}"]}` });
      expect(huge.statusCode).toBe(413);
      expect(envelope(huge).serverErrorCode).toBe('LIMIT_EXCEEDED');
    });

    it('unauthenticated → 421 AUTHENTICATION_REQUIRED; a bad token → 401 AUTHENTICATION_FAILED', async () => {
      const c = makeChunk(100);
      await upload(app, alice, c);
      const none = await fetchRequest(app, { chunkIds: [c.id] }, { token: null });
      expect(none.statusCode).toBe(421);
      expect(envelope(none).serverErrorCode).toBe('AUTHENTICATION_REQUIRED');
      const forged = await fetchRequest(app, { chunkIds: [c.id] }, { token: 'A'.repeat(43) });
      expect(forged.statusCode).toBe(401);
      expect(envelope(forged).serverErrorCode).toBe('AUTHENTICATION_FAILED');
    });
  });
}

describe('assets/fetch with a blob store whose blob ends before its stated size', () => {
  let store: TestStore;
  let app: FastifyInstance;
  let blobRoot: string;
  let token: string;
  beforeAll(async () => {
    store = await testBackends()[0]!.open();
    blobRoot = await mkdtemp(join(tmpdir(), 'coffer-fetch-lying-'));
    const files = new FileBlobStore({ root: blobRoot });
    // Claims 10 bytes more than it holds (a store whose object changed under a reader):
    // getInto fails as the adapters do when a blob ends before its stated size.
    const lying = wrapStore(files, {
      getStream: async (id) => {
        const blob = await files.getStream(id);
        return { size: blob.size + 10, stream: blob.stream };
      },
      getInto: async (id, target) => {
        const size = await files.getInto(id, target);
        throw new Error(`blob ${id} changed size while it was being read (${size} of ${size + 10} bytes)`);
      },
    });
    app = Fastify({ logger: false });
    await registerAuth(app, { store, dataDir: store.testDatabase.dataDir });
    await registerAssets(app, { store, blobs: lying, dataDir: store.testDatabase.dataDir, gcIntervalMs: 0 });
    await app.listen({ port: 0, host: '127.0.0.1' });
    token = (await registerUser(app, 'frank-fetch@example.com', 'correct horse battery frank')).sessionToken;
  });
  afterAll(async () => {
    await app.close();
    await store.close();
    await rm(blobRoot, { recursive: true, force: true });
  });

  it('cuts the connection instead of sending a frame shorter than its header says', async () => {
    const c = makeChunk(50_000);
    await upload(app, token, c);
    const { port } = app.server.address() as { port: number };
    const outcome = await new Promise<{ bytes: number; error?: string }>((resolve) => {
      const request = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: `${BASE}/fetch`, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } }, (response) => {
        let bytes = 0;
        response.on('data', (piece: Buffer) => { bytes += piece.length; });
        response.on('end', () => { resolve({ bytes }); });
        response.on('error', (error) => { resolve({ bytes, error: error.message }); });
      });
      request.on('error', (error) => { resolve({ bytes: 0, error: error.message }); });
      request.end(JSON.stringify({ chunkIds: [c.id] }));
    });
    expect(outcome.error).toBeDefined();
    expect(outcome.bytes).toBeLessThan(1 + 5 + c.chunk.ciphertext.length + 10);
  });
});

describe('assets/fetch on the S3 blob store (loopback S3 server)', () => {
  let s3: TestS3;
  let store: TestStore;
  let app: FastifyInstance;
  let token: string;
  beforeAll(async () => {
    s3 = await startTestS3();
    store = await testBackends()[0]!.open();
    const blobs = new S3BlobStore({ ...s3.storeOptions('coffer-fetch'), keyPrefix: 'chunks/' });
    await blobs.ensureBucket();
    app = Fastify({ logger: false });
    await registerAuth(app, { store, dataDir: store.testDatabase.dataDir });
    await registerAssets(app, { store, blobs, dataDir: store.testDatabase.dataDir, gcIntervalMs: 0 });
    await app.ready();
    token = (await registerUser(app, 'erin-fetch-s3@example.com', 'correct horse battery erin')).sessionToken;
  });
  afterAll(async () => {
    await app.close();
    await store.close();
    await s3.stop();
  });

  it('streams frames from S3', async () => {
    const a = makeChunk(1_500_000);
    const b = makeChunk(70_000);
    await upload(app, token, a);
    await upload(app, token, b);
    const response = await fetchRequest(app, { chunkIds: [b.id, a.id, makeChunk(5).id] }, { token });
    expect(response.statusCode).toBe(200);
    const frames = parseFrames(response.rawPayload);
    expect(frames.map((f) => f.status)).toEqual(['ok', 'ok', 'notFound']);
    const [fb, fa] = frames as [Extract<Frame, { status: 'ok' }>, Extract<Frame, { status: 'ok' }>];
    expect(Buffer.from(decryptAssetChunk(a.chunk, fa.bytes)).equals(a.plaintext)).toBe(true);
    expect(Buffer.from(decryptAssetChunk(b.chunk, fb.bytes)).equals(b.plaintext)).toBe(true);
  });
});

/** POST …/fetch over a real socket; `stallMs`: the client reads nothing for that long first. */
function fetchOverHttp(socketPath: string, token: string, chunkIds: readonly string[], stallMs = 0): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const request = httpRequest({ socketPath, method: 'POST', path: `${BASE}/fetch`, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } }, (response) => {
      const pieces: Buffer[] = [];
      // No 'data' listener yet: the response stays paused and the socket fills up.
      setTimeout(() => {
        response.on('data', (piece: Buffer) => { pieces.push(piece); });
      }, stallMs);
      response.on('end', () => { resolve(Buffer.concat(pieces)); });
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(JSON.stringify({ chunkIds }));
  });
}

// A Unix socket: its kernel buffer (~200 KiB) fills with far fewer bytes than loopback TCP's
// (MiBs), so a stalled client leaves frames queued in the server, where reuse could hurt.
describe('assets/fetch recycles frame buffers (real sockets, clients that stall or vanish)', () => {
  let store: TestStore;
  let app: FastifyInstance;
  let blobRoot: string;
  let socketPath: string;
  let token: string;
  /** How many reads went into each distinct buffer (by its memory). */
  const reads = new Map<ArrayBufferLike, number>();
  let chunks: Chunk[];
  let small: Chunk;

  beforeAll(async () => {
    store = await testBackends()[0]!.open();
    blobRoot = await mkdtemp(join(tmpdir(), 'coffer-fetch-recycle-'));
    socketPath = join(blobRoot, 'http.sock');
    const files = new FileBlobStore({ root: join(blobRoot, 'blobs') });
    const recording = wrapStore(files, {
      getInto: (id, target) => {
        reads.set(target.buffer, (reads.get(target.buffer) ?? 0) + 1);
        return files.getInto(id, target);
      },
    });
    app = Fastify({ logger: false });
    await registerAuth(app, { store, dataDir: store.testDatabase.dataDir });
    await registerAssets(app, { store, blobs: recording, dataDir: store.testDatabase.dataDir, quotaBytes: 256 * 1024 * 1024, gcIntervalMs: 0 });
    await app.listen({ path: socketPath });
    token = (await registerUser(app, 'grace-fetch@example.com', 'correct horse battery grace')).sessionToken;
    // Sizes on both sides of the pool's 1 MiB steps, and tiny ones.
    chunks = [1, 5_000, 70_000, 300_000, 1_048_000, 1_100_000, 2_500_000, 4_000_000].map(makeChunk);
    small = makeChunk(1000);
    for (const c of [...chunks, small]) await upload(app, token, c);
  });
  afterAll(async () => {
    await app.close();
    await store.close();
    await rm(blobRoot, { recursive: true, force: true });
  });

  /** Three concurrent fetches of the chunks in different orders, two of them to clients that stall first. */
  async function concurrentFetches(): Promise<void> {
    const orders = [chunks, [...chunks].reverse(), [chunks[7]!, chunks[0]!, chunks[6]!, chunks[1]!, chunks[5]!, chunks[7]!, chunks[2]!, chunks[4]!, chunks[3]!]];
    const bodies = await Promise.all(orders.map((order, i) => fetchOverHttp(socketPath, token, order.map((c) => c.id), [300, 0, 150][i])));
    bodies.forEach((body, i) => { expectFrames(body, orders[i]!); });
  }

  it('frames stay byte-exact when the same chunks are fetched again and again through reused buffers', async () => {
    reads.clear();
    await concurrentFetches();
    await concurrentFetches();
    const total = [...reads.values()].reduce((n, c) => n + c, 0);
    expect(total).toBe(2 * (8 + 8 + 9));
    // Buffers were reused: far fewer than one per read.
    expect(reads.size).toBeLessThan(total / 3);
  });

  it('small frames queued behind a stalled client hold only a few buffers, and arrive whole', async () => {
    // ~1 MB of frames each well under the socket's 16 KiB high-water mark: write() keeps
    // answering true while they queue, so only the per-response bound stops new reads.
    const order = Array.from({ length: 900 }, () => small);
    reads.clear();
    expectFrames(await fetchOverHttp(socketPath, token, order.map((c) => c.id), 300), order);
    expect(reads.size).toBeLessThanOrEqual(3);
  });

  it('a client that disconnects mid-response leaves the server answering the next fetches correctly', async () => {
    const big = chunks[7]!;
    const order = Array.from({ length: 12 }, () => big);
    await new Promise<void>((resolve, reject) => {
      const request = httpRequest({ socketPath, method: 'POST', path: `${BASE}/fetch`, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } }, (response) => {
        let bytes = 0;
        response.on('data', (piece: Buffer) => {
          bytes += piece.length;
          // Gone after the first frames, while the server still has frames queued.
          if (bytes > 6 * 1024 * 1024) {
            request.destroy();
            resolve();
          }
        });
      });
      request.on('error', (error) => { if (!request.destroyed) reject(error); });
      request.end(JSON.stringify({ chunkIds: order.map((c) => c.id) }));
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    await concurrentFetches();
    expectFrames(await fetchOverHttp(socketPath, token, order.map((c) => c.id)), order);
  });
});
