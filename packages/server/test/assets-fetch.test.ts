/**
 * `POST …/private/assets/fetch` (Chunk fetch stream v1) over HTTP (fastify.inject) on
 * SQLite and PostgreSQL with the file blob store, and once on S3: frames in request order,
 * NOT_FOUND frames for what the user does not store (unknown, another user's, bytes gone
 * from the blob store), limits, malformed and unauthorised requests.
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
    // Claims 10 bytes more than it streams (a store whose object changed under a reader).
    const lying: BlobStore = {
      kind: files.kind,
      put: (id, data) => files.put(id, data),
      get: (id) => files.get(id),
      getStream: async (id) => {
        const blob = await files.getStream(id);
        return { size: blob.size + 10, stream: blob.stream };
      },
      stat: (id) => files.stat(id),
      has: (id) => files.has(id),
      delete: (id) => files.delete(id),
      list: (options) => files.list(options),
      close: () => files.close(),
    };
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
