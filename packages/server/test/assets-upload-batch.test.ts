/**
 * `assets/upload-batch` (Chunk batch v1) over HTTP on SQLite and PostgreSQL with the file
 * blob store: round trip, idempotence and quota, all-or-nothing refusals (CRC-32, framing,
 * limits, quota), auth, the private-database rule and per-user isolation — through
 * fastify.inject and, where the connection matters (a refusal while the client is still
 * sending), through a real socket.
 */
import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import Fastify, { type FastifyInstance, type LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileBlobStore, type BlobStore } from '@coffer/blobs';
import {
  chunkIdToString, convergenceKeys, decryptAssetChunk, deriveAssetSecrets, encryptAssetChunk, generateKey,
  type ConvergenceKeys, type EncryptedAssetChunk,
} from '@coffer/crypto';
import type { ErrorEnvelope } from '@coffer/protocol';
import { testBackends, type TestStore } from '@coffer/storage';
import { registerAuth } from '../src/auth/index.js';
import { createAssetService, registerAssets } from '../src/assets/index.js';
import { CHUNK_BATCH_CONTENT_TYPE, MAX_CHUNK_UPLOAD_BYTES } from '../src/assets/asset-wire.js';
import { CHUNK_BATCH_FRAME_HEADER, MAX_BATCH_BODY_BYTES, MAX_BATCH_CHUNKS, type BatchChunk } from '../src/assets/chunk-batch.js';
import { registerUser } from './auth-helpers.js';
import { discardingBlobs, encodeBatch, frameHeader, type Frame } from './chunk-batch-helpers.js';

const CONTAINER_PATH = '/database/1/iCloud.com.example.app/development';
const BASE = `${CONTAINER_PATH}/private/assets`;
const QUOTA = 64 * 1024 * 1024;

const idText = (frame: Frame): string => Buffer.from(frame.id).toString('base64url');

/** A real encrypted chunk (what a client sends) with its plaintext, to check decryption after download. */
interface RealChunk extends Frame {
  chunk: EncryptedAssetChunk;
  plaintext: Uint8Array;
}

function realChunk(size: number, keys: ConvergenceKeys): RealChunk {
  const plaintext = new Uint8Array(randomBytes(size));
  const chunk = encryptAssetChunk(keys, plaintext);
  return { id: chunk.id, ciphertext: chunk.ciphertext, chunk, plaintext };
}

/** Random bytes under a random id: the server never looks inside a chunk, so this is enough for limits and quota. */
const opaque = (size: number, bytes?: Uint8Array): Frame => ({ id: randomBytes(32), ciphertext: bytes ?? randomBytes(size) });

interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** Bytes of the request body written to the socket before the answer came. */
  sent: number;
}

/**
 * A POST over a real connection that writes `pieces` and ends the body only if `end`:
 * resolves with the answer as soon as it is complete, whether or not the body was sent.
 */
function rawPost(port: number, path: string, headers: Record<string, string>, pieces: readonly Uint8Array[], end: boolean): Promise<HttpAnswer> {
  return new Promise<HttpAnswer>((resolve, reject) => {
    let sent = 0;
    const request = httpRequest({ host: '127.0.0.1', port, method: 'POST', path, headers, agent: false }, (response) => {
      const parts: Buffer[] = [];
      response.on('data', (part: Buffer) => parts.push(part));
      response.on('end', () => {
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(parts), sent });
        request.destroy();
      });
      response.on('error', reject);
    });
    request.on('error', reject);
    request.flushHeaders();
    const write = (index: number): void => {
      if (index === pieces.length) {
        if (end) request.end();
        return;
      }
      request.write(pieces[index], () => {
        sent += pieces[index]!.length;
        write(index + 1);
      });
    };
    write(0);
  });
}

for (const backend of testBackends()) {
  describe(`assets/upload-batch (${backend.name})`, () => {
    let store: TestStore;
    let app: FastifyInstance;
    let port: number;
    let blobRoot: string;
    let alice: string;
    let aliceId: string;
    let bob: string;
    let keys: ConvergenceKeys;

    beforeAll(async () => {
      store = await backend.open();
      blobRoot = await mkdtemp(join(tmpdir(), 'coffer-batch-blobs-'));
      app = Fastify({ logger: false });
      await registerAuth(app, { store, dataDir: store.testDatabase.dataDir });
      await registerAssets(app, { store, blobs: new FileBlobStore({ root: blobRoot }), dataDir: store.testDatabase.dataDir, quotaBytes: QUOTA, gcIntervalMs: 0 });
      await app.listen({ host: '127.0.0.1', port: 0 });
      port = (app.server.address() as AddressInfo).port;
      const session = await registerUser(app, `alice-batch-${backend.name}@example.com`, 'correct horse battery alice');
      alice = session.sessionToken;
      aliceId = session.userRecordName;
      bob = (await registerUser(app, `bob-batch-${backend.name}@example.com`, 'correct horse battery bob')).sessionToken;
      keys = convergenceKeys(deriveAssetSecrets(generateKey('keychain')).convergenceSecret);
    });
    afterAll(async () => {
      await app.close();
      await store.close();
      await rm(blobRoot, { recursive: true, force: true });
    });

    const auth = (token: string | null): Record<string, string> => (token === null ? {} : { authorization: `Bearer ${token}` });
    const uploadBatch = (
      body: Uint8Array | Readable,
      options: { token?: string | null; contentType?: string | null; url?: string; headers?: Record<string, string> } = {},
    ): Promise<LightMyRequestResponse> => app.inject({
      method: 'POST', url: options.url ?? `${BASE}/upload-batch`,
      headers: {
        ...(options.contentType === null ? {} : { 'content-type': options.contentType ?? CHUNK_BATCH_CONTENT_TYPE }),
        ...auth(options.token === undefined ? alice : options.token),
        ...options.headers,
      },
      payload: body instanceof Readable ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength),
    });
    const missing = async (ids: string[], token = alice): Promise<string[]> => {
      const response = await app.inject({
        method: 'POST', url: `${BASE}/missing`, headers: { 'content-type': 'application/json', ...auth(token) }, payload: JSON.stringify({ chunkIds: ids }),
      });
      expect(response.statusCode, response.body).toBe(200);
      return response.json<{ missing: string[] }>().missing;
    };
    const download = (id: string, token = alice): Promise<LightMyRequestResponse> => app.inject({ method: 'GET', url: `${BASE}/download?chunkId=${id}`, headers: auth(token) });
    const envelope = (response: LightMyRequestResponse): ErrorEnvelope => response.json<ErrorEnvelope>();
    const usage = async (userId = aliceId): Promise<number> => {
      const row = await store.db.selectFrom('usage').select('bytes').where('subject', '=', `user:${userId}`).executeTakeFirst();
      return row === undefined ? 0 : row.bytes;
    };
    /** Rows of `asset_chunks` for these ids (any state, any user): a refused batch must leave none. */
    const rowsOf = async (ids: string[]): Promise<number> => (await store.db.selectFrom('asset_chunks' as never)
      .select('chunk_id' as never).where('chunk_id' as never, 'in', ids as never).execute()).length;
    const blobCount = async (): Promise<number> => {
      let n = 0;
      for (const shard of await readdir(blobRoot)) n += (await readdir(join(blobRoot, shard))).length;
      return n;
    };
    /** A new user with an empty quota account. */
    let users = 0;
    const newUser = async (): Promise<{ token: string; userId: string }> => {
      users += 1;
      const session = await registerUser(app, `user${users}-batch-${backend.name}@example.com`, `correct horse battery ${users}`);
      return { token: session.sessionToken, userId: session.userRecordName };
    };
    /** The refusal's envelope, after checking status and code. */
    const expectRefusal = (response: LightMyRequestResponse, status: number, code: string): ErrorEnvelope => {
      expect(response.statusCode, response.body).toBe(status);
      const e = envelope(response);
      expect(e.serverErrorCode).toBe(code);
      expect(typeof e.uuid).toBe('string');
      expect(e.reason.length).toBeGreaterThan(0);
      return e;
    };

    it('round trip: chunks of mixed sizes in one request → none missing → each downloads byte-identical and decrypts', async () => {
      const chunks = [realChunk(0, keys), realChunk(1, keys), realChunk(1000, keys), realChunk(300_000, keys), realChunk(4 * 1024 * 1024, keys), realChunk(70_000, keys)];
      const ids = chunks.map(idText);
      expect(await missing(ids)).toEqual(ids);
      const before = await usage();
      const response = await uploadBatch(encodeBatch(chunks));
      expect(response.statusCode, response.body).toBe(200);
      // Every chunk, in request order, with the bytes stored (and charged).
      expect(response.json()).toEqual({ chunks: chunks.map((c) => ({ chunkId: idText(c), size: c.ciphertext.length })) });
      expect(await usage()).toBe(before + chunks.reduce((n, c) => n + c.ciphertext.length, 0));
      expect(await missing(ids)).toEqual([]);
      for (const c of chunks) {
        const got = await download(idText(c));
        expect(got.statusCode).toBe(200);
        expect(Number(got.headers['content-length'])).toBe(c.ciphertext.length);
        expect(Buffer.from(got.rawPayload).equals(Buffer.from(c.ciphertext))).toBe(true);
        expect(Buffer.from(decryptAssetChunk(c.chunk, got.rawPayload)).equals(c.plaintext)).toBe(true);
      }
    });

    it('a frame of length 0 is stored as a 0-byte chunk (the format allows it; real chunks are never empty)', async () => {
      // The smallest Asset chunk v1 (0 bytes of plaintext) still has a header, padding and a tag.
      expect(realChunk(0, keys).ciphertext.length).toBeGreaterThan(0);
      const empty = opaque(0);
      const other = opaque(10);
      const response = await uploadBatch(encodeBatch([empty, other]));
      expect(response.statusCode, response.body).toBe(200);
      expect(response.json()).toEqual({ chunks: [{ chunkId: idText(empty), size: 0 }, { chunkId: idText(other), size: 10 }] });
      expect(await missing([idText(empty)])).toEqual([]);
      const got = await download(idText(empty));
      expect(got.statusCode).toBe(200);
      expect(got.rawPayload.length).toBe(0);
    });

    it('re-uploading a batch of stored chunks is idempotent and charges the quota once', async () => {
      const chunks = [realChunk(5000, keys), realChunk(6000, keys)];
      const body = encodeBatch(chunks);
      const before = await usage();
      expect((await uploadBatch(body)).statusCode).toBe(200);
      const second = await uploadBatch(body);
      expect(second.statusCode).toBe(200);
      expect(second.json()).toEqual({ chunks: chunks.map((c) => ({ chunkId: idText(c), size: c.ciphertext.length })) });
      expect(await usage()).toBe(before + chunks[0]!.ciphertext.length + chunks[1]!.ciphertext.length);
      expect(await rowsOf(chunks.map(idText))).toBe(2);
      for (const c of chunks) expect(Buffer.from((await download(idText(c))).rawPayload).equals(Buffer.from(c.ciphertext))).toBe(true);
    });

    it('a batch mixing stored and new chunks stores the new ones and charges only them', async () => {
      const stored = [realChunk(2000, keys), realChunk(3000, keys)];
      expect((await uploadBatch(encodeBatch(stored))).statusCode).toBe(200);
      const fresh = [realChunk(4000, keys), realChunk(5000, keys)];
      const before = await usage();
      const mixed = [stored[0]!, fresh[0]!, stored[1]!, fresh[1]!];
      const response = await uploadBatch(encodeBatch(mixed));
      expect(response.statusCode, response.body).toBe(200);
      expect(response.json<{ chunks: { chunkId: string }[] }>().chunks.map((c) => c.chunkId)).toEqual(mixed.map(idText));
      expect(await usage()).toBe(before + fresh[0]!.ciphertext.length + fresh[1]!.ciphertext.length);
      expect(await missing(mixed.map(idText))).toEqual([]);
      for (const c of mixed) expect(Buffer.from(decryptAssetChunk(c.chunk, (await download(idText(c))).rawPayload)).equals(c.plaintext)).toBe(true);
    });

    it('concurrent batches sharing chunks (in opposite orders) all succeed and charge each chunk once', async () => {
      const { token, userId } = await newUser();
      const shared = Array.from({ length: 200 }, () => opaque(100));
      const a = [opaque(100), ...shared];
      const b = [...shared].reverse().concat(opaque(100));
      const responses = await Promise.all([uploadBatch(encodeBatch(a), { token }), uploadBatch(encodeBatch(b), { token }), uploadBatch(encodeBatch(a), { token })]);
      for (const response of responses) expect(response.statusCode, response.body).toBe(200);
      expect(await usage(userId)).toBe(202 * 100);
      expect(await missing([...a, ...b].map(idText), token)).toEqual([]);
    });

    it('concurrent batches over the same rows in opposite orders never deadlock (rows are locked in chunk-id order)', async () => {
      // Straight on the service with a blob store that keeps nothing, so the database is the
      // bottleneck; before ordering, PostgreSQL failed ~1 in 10 of these with "deadlock detected".
      const service = createAssetService({ store, blobs: discardingBlobs() });
      const userId = `deadlock-${backend.name}`;
      const frame = (chunkId: string): BatchChunk => ({ chunkId, parts: [Uint8Array.of(1, 2, 3)], size: 3 });
      for (let round = 0; round < 8; round++) {
        const ids = Array.from({ length: MAX_BATCH_CHUNKS }, () => randomBytes(32).toString('base64url'));
        // Half already stored: those take the locked-update path, the rest the insert path.
        await service.uploadBatch(userId, ids.filter((_, i) => i % 2 === 0).map(frame));
        const orders = [ids, [...ids].reverse(), ids, [...ids].reverse()];
        const results = await Promise.allSettled(orders.map((order) => service.uploadBatch(userId, order.map(frame))));
        expect(results.filter((r) => r.status === 'rejected').map((r) => String(r.reason))).toEqual([]);
      }
      expect(await service.chunkBytes(userId)).toBe(8 * MAX_BATCH_CHUNKS * 3);
    });

    it('a failed blob write fails the batch only once every other write of it has settled (its buffers may be reused then)', async () => {
      const failing = randomBytes(32).toString('base64url');
      let running = 0;
      let releaseSlow!: () => void;
      const slowGate = new Promise<void>((resolve) => { releaseSlow = resolve; });
      const base = discardingBlobs();
      const blobs: BlobStore = {
        ...base,
        put: async (id, data) => {
          running++;
          try {
            if (id.startsWith(failing)) throw new Error('disk full');
            await slowGate;
            return await base.put(id, data);
          } finally {
            running--;
          }
        },
      };
      const service = createAssetService({ store, blobs });
      const frame = (chunkId: string): BatchChunk => ({ chunkId, parts: [Uint8Array.of(1, 2, 3)], size: 3 });
      const ids = Array.from({ length: 4 }, () => randomBytes(32).toString('base64url'));
      // Blob ids start with the chunk id: the write of `failing` fails at once.
      let settled = false;
      const upload = service.uploadBatch(`settle-${backend.name}`, [...ids, failing].map(frame)).finally(() => { settled = true; });
      upload.catch(() => undefined);
      // Let the failing put reject while the others wait at the gate.
      for (let i = 0; i < 50 && running < 4; i++) await new Promise((r) => setTimeout(r, 10));
      expect(running).toBe(4);
      await new Promise((r) => setTimeout(r, 30));
      expect(settled).toBe(false);
      releaseSlow();
      await expect(upload).rejects.toThrow('disk full');
      expect(running).toBe(0);
    });

    it('past the quota: QUOTA_EXCEEDED and nothing of that batch is stored or charged', async () => {
      const { token, userId } = await newUser();
      // Seven largest chunks per batch (≈ 29 MiB); the third batch crosses 64 MiB.
      const bytes = randomBytes(MAX_CHUNK_UPLOAD_BYTES);
      for (let i = 0; i < 2; i++) {
        const response = await uploadBatch(encodeBatch(Array.from({ length: 7 }, () => opaque(0, bytes))), { token });
        expect(response.statusCode, response.body).toBe(200);
      }
      const used = await usage(userId);
      expect(used).toBe(14 * MAX_CHUNK_UPLOAD_BYTES);
      const blobsBefore = await blobCount();
      // Fits except for the last chunk: still all or nothing.
      const over = [opaque(1000), ...Array.from({ length: 2 }, () => opaque(0, bytes))];
      expect(used + 1000 + MAX_CHUNK_UPLOAD_BYTES).toBeLessThanOrEqual(QUOTA);
      expect(used + 1000 + 2 * MAX_CHUNK_UPLOAD_BYTES).toBeGreaterThan(QUOTA);
      const refused = await uploadBatch(encodeBatch(over), { token });
      expectRefusal(refused, 413, 'QUOTA_EXCEEDED');
      expect(await usage(userId)).toBe(used);
      expect(await rowsOf(over.map(idText))).toBe(0);
      expect(await blobCount()).toBe(blobsBefore);
      expect(await missing(over.map(idText), token)).toEqual(over.map(idText));
    });

    it('a CRC-32 mismatch in the 2nd frame: BAD_REQUEST naming the chunk, and no chunk of the batch is stored', async () => {
      const chunks = [realChunk(3000, keys), realChunk(3000, keys), realChunk(3000, keys)];
      const before = await usage();
      const blobsBefore = await blobCount();
      const corrupted = chunks.map((c, i) => (i === 1 ? { ...c, crc: (crc32(c.ciphertext) ^ 0x80) >>> 0 } : c));
      const e = expectRefusal(await uploadBatch(encodeBatch(corrupted)), 400, 'BAD_REQUEST');
      expect(e.reason).toContain(idText(chunks[1]!));
      expect(e.reason).toMatch(/CRC-32/);
      // Flipped bits in transit under the honest CRC: the same.
      const body = encodeBatch(chunks);
      body[1 + 2 * CHUNK_BATCH_FRAME_HEADER + 3000 + 100]! ^= 1;
      expect(expectRefusal(await uploadBatch(body), 400, 'BAD_REQUEST').reason).toMatch(/CRC-32/);
      const ids = chunks.map(idText);
      expect(await missing(ids)).toEqual(ids);
      expect(await rowsOf(ids)).toBe(0);
      expect(await usage()).toBe(before);
      expect(await blobCount()).toBe(blobsBefore);
      // The honest batch then goes through.
      expect((await uploadBatch(encodeBatch(chunks))).statusCode).toBe(200);
    });

    it('malformed bodies are BAD_REQUEST and store nothing: truncated, unknown version, a chunk id twice, empty, no frames', async () => {
      const a = opaque(500);
      const b = opaque(500);
      const full = encodeBatch([a, b]);
      const cases: [string, Uint8Array, RegExp][] = [
        ['truncated inside the 2nd ciphertext', full.subarray(0, full.length - 1), /ends inside a frame/],
        ['truncated inside the 2nd header', full.subarray(0, 1 + CHUNK_BATCH_FRAME_HEADER + 500 + 10), /ends inside a frame/],
        ['version 2', encodeBatch([a, b], 2), /unknown version 2/],
        ['version 0', encodeBatch([a, b], 0), /unknown version 0/],
        ['a chunk id twice', encodeBatch([a, b, { id: a.id, ciphertext: randomBytes(7) }]), /appears twice/],
        ['a version byte alone', Buffer.of(1), /no chunks/],
      ];
      for (const [name, body, reason] of cases) {
        const e = expectRefusal(await uploadBatch(body), 400, 'BAD_REQUEST');
        expect(e.reason, name).toMatch(reason);
      }
      const empty = expectRefusal(await uploadBatch(new Uint8Array(0)), 400, 'BAD_REQUEST');
      expect(empty.reason).toMatch(/Chunk batch|empty/);
      expect(await rowsOf([idText(a), idText(b)])).toBe(0);
    });

    it(`${MAX_BATCH_CHUNKS + 1} chunks in one batch → LIMIT_EXCEEDED (413), nothing stored; ${MAX_BATCH_CHUNKS} are fine`, async () => {
      const frames = Array.from({ length: MAX_BATCH_CHUNKS + 1 }, () => opaque(8));
      const e = expectRefusal(await uploadBatch(encodeBatch(frames)), 413, 'LIMIT_EXCEEDED');
      expect(e.reason).toMatch(new RegExp(`at most ${MAX_BATCH_CHUNKS} chunks`));
      expect(await rowsOf(frames.map(idText))).toBe(0);
      const ok = await uploadBatch(encodeBatch(frames.slice(0, MAX_BATCH_CHUNKS)));
      expect(ok.statusCode, ok.body).toBe(200);
      expect(ok.json<{ chunks: unknown[] }>().chunks).toHaveLength(MAX_BATCH_CHUNKS);
    });

    it('a frame declaring more than MAX_CHUNK_UPLOAD_BYTES → LIMIT_EXCEEDED before the rest of the body is sent', async () => {
      const lying: Frame = { id: randomBytes(32), ciphertext: new Uint8Array(0), length: MAX_CHUNK_UPLOAD_BYTES + 1, crc: 0 };
      const first = opaque(1000);
      const head = Buffer.concat([encodeBatch([first]), frameHeader(lying)]);
      const declared = head.length + MAX_CHUNK_UPLOAD_BYTES + 1;
      // A body stream that sends the frames up to the lying header and then never ends.
      const stalled = new Readable({ read() { /* nothing more, ever */ } });
      stalled.push(head);
      const response = await uploadBatch(stalled, { headers: { 'content-length': String(declared) } });
      const e = expectRefusal(response, 413, 'LIMIT_EXCEEDED');
      expect(e.reason).toMatch(new RegExp(`a chunk is at most ${MAX_CHUNK_UPLOAD_BYTES} bytes`));
      stalled.destroy();
      expect(await rowsOf([idText(first), idText(lying)])).toBe(0);
    });

    it('over a real connection, a refusal mid-body still reaches the client as the envelope, and the connection closes', async () => {
      const headers = { ...auth(alice), 'content-type': CHUNK_BATCH_CONTENT_TYPE };
      // 1. A lying frame header, then the client stalls (has sent 1 KiB + headers of a ~4 MiB body).
      const lying: Frame = { id: randomBytes(32), ciphertext: new Uint8Array(0), length: MAX_CHUNK_UPLOAD_BYTES + 1, crc: 0 };
      const head = Buffer.concat([encodeBatch([opaque(1000)]), frameHeader(lying)]);
      const declared = head.length + MAX_CHUNK_UPLOAD_BYTES + 1;
      const tooBig = await rawPost(port, `${BASE}/upload-batch`, { ...headers, 'content-length': String(declared) }, [head], false);
      expect(tooBig.status, tooBig.body.toString()).toBe(413);
      expect(tooBig.sent).toBe(head.length); // the answer came with 4 MiB of the declared body never sent
      expect(JSON.parse(tooBig.body.toString()) as ErrorEnvelope).toMatchObject({ serverErrorCode: 'LIMIT_EXCEEDED' });
      expect(tooBig.headers.connection).toBe('close');
      // 2. A CRC mismatch in the 2nd of three frames while the 3rd (4 MiB) is still on its way.
      const chunks = [realChunk(200_000, keys), realChunk(200_000, keys), realChunk(4 * 1024 * 1024, keys)];
      const corrupted = chunks.map((c, i) => (i === 1 ? { ...c, crc: (crc32(c.ciphertext) ^ 1) >>> 0 } : c));
      const body = encodeBatch(corrupted);
      const pieces = [body.subarray(0, 450_000), body.subarray(450_000)];
      const crc = await rawPost(port, `${BASE}/upload-batch`, { ...headers, 'content-length': String(body.length) }, pieces, true);
      expect(crc.status, crc.body.toString()).toBe(400);
      expect((JSON.parse(crc.body.toString()) as ErrorEnvelope).reason).toMatch(/CRC-32/);
      expect(await missing(chunks.map(idText))).toEqual(chunks.map(idText));
      // 3. The same batch, honest, over a real connection: stored.
      const honest = encodeBatch(chunks);
      const ok = await rawPost(port, `${BASE}/upload-batch`, { ...headers, 'content-length': String(honest.length) }, [honest], true);
      expect(ok.status, ok.body.toString()).toBe(200);
      expect(await missing(chunks.map(idText))).toEqual([]);
    });

    it(`a Content-Length above ${MAX_BATCH_BODY_BYTES} bytes → LIMIT_EXCEEDED (413) before any of the body is read`, async () => {
      const big = String(MAX_BATCH_BODY_BYTES + 1);
      const stalled = new Readable({ read() { /* never sends a byte */ } });
      expectRefusal(await uploadBatch(stalled, { headers: { 'content-length': big } }), 413, 'LIMIT_EXCEEDED');
      stalled.destroy();
      // On a real connection: the answer comes although the client sent nothing of the body.
      const answer = await rawPost(port, `${BASE}/upload-batch`, { ...auth(alice), 'content-type': CHUNK_BATCH_CONTENT_TYPE, 'content-length': String(10 * 1024 * 1024 * 1024) }, [], false);
      expect(answer.status).toBe(413);
      expect((JSON.parse(answer.body.toString()) as ErrorEnvelope).serverErrorCode).toBe('LIMIT_EXCEEDED');
      expect(answer.headers.connection).toBe('close');
      // The limit admits the largest legal body's size.
      expect(MAX_BATCH_BODY_BYTES).toBe(1 + MAX_BATCH_CHUNKS * CHUNK_BATCH_FRAME_HEADER + 32 * 1024 * 1024);
    });

    it('another Content-Type (or none) is BAD_REQUEST in the CloudKit envelope, naming the batch media type', async () => {
      const frame = opaque(100);
      const body = encodeBatch([frame]);
      for (const contentType of ['application/octet-stream', 'text/plain', 'application/vnd.coffer.chunk-batch-v2', null]) {
        const e = expectRefusal(await uploadBatch(body, { contentType }), 400, 'BAD_REQUEST');
        expect(e.reason, String(contentType)).toContain('Content-Type');
        expect(e.reason, String(contentType)).toContain(CHUNK_BATCH_CONTENT_TYPE);
      }
      // JSON is parsed as JSON (assets/missing's type), which this body is not.
      expectRefusal(await uploadBatch(body, { contentType: 'application/json' }), 400, 'BAD_REQUEST');
      expect(await rowsOf([idText(frame)])).toBe(0);
    });

    it('unauthenticated → 421 AUTHENTICATION_REQUIRED; a bad token → 401 AUTHENTICATION_FAILED; nothing stored', async () => {
      const frame = opaque(100);
      expectRefusal(await uploadBatch(encodeBatch([frame]), { token: null }), 421, 'AUTHENTICATION_REQUIRED');
      expectRefusal(await uploadBatch(encodeBatch([frame]), { token: 'A'.repeat(43) }), 401, 'AUTHENTICATION_FAILED');
      expect(await rowsOf([idText(frame)])).toBe(0);
    });

    it('the public (or shared) database has no upload-batch: BAD_REQUEST', async () => {
      const frame = opaque(100);
      for (const database of ['public', 'shared']) {
        const e = expectRefusal(await uploadBatch(encodeBatch([frame]), { url: `${CONTAINER_PATH}/${database}/assets/upload-batch` }), 400, 'BAD_REQUEST');
        expect(e.reason).toMatch(/private database/);
      }
      expect(await rowsOf([idText(frame)])).toBe(0);
    });

    it("chunks are per user: bob uploading alice's chunk ids with other bytes leaves alice's chunks alone", async () => {
      const chunks = [realChunk(4000, keys), realChunk(5000, keys)];
      expect((await uploadBatch(encodeBatch(chunks))).statusCode).toBe(200);
      const aliceUsage = await usage();
      const junk = chunks.map((c) => ({ id: c.id, ciphertext: randomBytes(c.ciphertext.length + 7) }));
      const response = await uploadBatch(encodeBatch(junk), { token: bob });
      expect(response.statusCode, response.body).toBe(200);
      expect(await usage()).toBe(aliceUsage);
      for (const [i, c] of chunks.entries()) {
        expect(Buffer.from((await download(idText(c))).rawPayload).equals(Buffer.from(c.ciphertext))).toBe(true);
        expect(Buffer.from((await download(idText(c), bob)).rawPayload).equals(Buffer.from(junk[i]!.ciphertext))).toBe(true);
      }
    });
  });
}

// The single-chunk route stays for simple clients; the id pattern of the batch path matches it.
describe('chunk ids of a batch', () => {
  it('are the canonical text form the other endpoints use', () => {
    const keys = convergenceKeys(deriveAssetSecrets(generateKey('keychain')).convergenceSecret);
    const c = realChunk(10, keys);
    expect(idText(c)).toBe(chunkIdToString(c.chunk.id));
  });
});
