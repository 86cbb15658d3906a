/**
 * The asset endpoints over HTTP (fastify.inject) on SQLite and PostgreSQL with the file
 * blob store: upload → missing → download, integrity check, limits, auth, isolation,
 * quota, and what ends up on the server (no plaintext, no raw content hash).
 */
import { createHash, randomBytes as nodeRandomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance, type LightMyRequestResponse } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileBlobStore, S3BlobStore } from '@coffer/blobs';
import { startTestS3, type TestS3 } from '@coffer/blobs/testing';
import {
  assetChunkCiphertextSize, chunkIdToString, convergenceKeys, decryptAssetChunk, deriveAssetSecrets, encryptAssetChunk,
  generateKey, type EncryptedAssetChunk,
} from '@coffer/crypto';
import type { ErrorEnvelope, FieldWire } from '@coffer/protocol';
import { testBackends, type TestStore } from '@coffer/storage';
import { registerAuth } from '../src/auth/index.js';
import { chunkIdsOfFields, MAX_CHUNK_UPLOAD_BYTES, registerAssets, type AssetService } from '../src/assets/index.js';
import { registerUser } from './auth-helpers.js';

const BASE = '/database/1/iCloud.com.example.app/development/private/assets';

interface Upload {
  id: string;
  chunk: EncryptedAssetChunk;
  plaintext: Uint8Array;
}

function makeChunk(size: number, keys = convergenceKeys(deriveAssetSecrets(generateKey('keychain')).convergenceSecret)): Upload {
  const plaintext = new Uint8Array(nodeRandomBytes(size));
  const chunk = encryptAssetChunk(keys, plaintext);
  return { id: chunkIdToString(chunk.id), chunk, plaintext };
}

const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

for (const backend of testBackends()) {
  describe(`asset endpoints (${backend.name})`, () => {
    let store: TestStore;
    let app: FastifyInstance;
    let blobRoot: string;
    let assets: AssetService;
    let alice: string;
    let aliceId: string;
    let bob: string;

    beforeAll(async () => {
      store = await backend.open();
      blobRoot = await mkdtemp(join(tmpdir(), 'coffer-asset-blobs-'));
      app = Fastify({ logger: false });
      await registerAuth(app, { store, dataDir: store.testDatabase.dataDir });
      assets = await registerAssets(app, { store, blobs: new FileBlobStore({ root: blobRoot }), dataDir: store.testDatabase.dataDir, quotaBytes: 64 * 1024 * 1024, gcIntervalMs: 0 });
      await app.ready();
      const session = await registerUser(app, `alice-assets-${backend.name}@example.com`, 'correct horse battery alice');
      alice = session.sessionToken;
      aliceId = session.userRecordName;
      bob = (await registerUser(app, `bob-assets-${backend.name}@example.com`, 'correct horse battery bob')).sessionToken;
    });
    afterAll(async () => {
      await app.close();
      await store.close();
      await rm(blobRoot, { recursive: true, force: true });
    });

    const missing = (ids: string[], token: string | null = alice): Promise<LightMyRequestResponse> => app.inject({
      method: 'POST', url: `${BASE}/missing`,
      headers: { 'content-type': 'application/json', ...(token === null ? {} : { authorization: `Bearer ${token}` }) },
      payload: JSON.stringify({ chunkIds: ids }),
    });
    const upload = (id: string, body: Uint8Array, options: { token?: string | null; sha?: string | null; contentType?: string; url?: string } = {}): Promise<LightMyRequestResponse> => {
      const token = options.token === undefined ? alice : options.token;
      const sha = options.sha === undefined ? sha256Hex(body) : options.sha;
      return app.inject({
        method: 'POST', url: options.url ?? `${BASE}/upload?chunkId=${id}`,
        headers: {
          'content-type': options.contentType ?? 'application/octet-stream',
          ...(token === null ? {} : { authorization: `Bearer ${token}` }),
          ...(sha === null ? {} : { 'x-coffer-content-sha256': sha }),
        },
        payload: Buffer.from(body),
      });
    };
    const download = (id: string, token: string | null = alice): Promise<LightMyRequestResponse> => app.inject({
      method: 'GET', url: `${BASE}/download?chunkId=${id}`,
      headers: token === null ? {} : { authorization: `Bearer ${token}` },
    });
    const envelope = (response: LightMyRequestResponse): ErrorEnvelope => response.json<ErrorEnvelope>();

    it('missing → upload only what is missing → download verifies and decrypts', async () => {
      const a = makeChunk(300_000);
      const b = makeChunk(1000);
      const first = await missing([a.id, b.id, a.id]);
      expect(first.statusCode).toBe(200);
      expect(first.json()).toEqual({ missing: [a.id, b.id] });

      const up = await upload(a.id, a.chunk.ciphertext);
      expect(up.statusCode).toBe(200);
      expect(up.json()).toEqual({ chunkId: a.id, size: a.chunk.ciphertext.length });
      expect((await missing([a.id, b.id])).json()).toEqual({ missing: [b.id] });

      const got = await download(a.id);
      expect(got.statusCode).toBe(200);
      expect(got.headers['content-type']).toBe('application/octet-stream');
      expect(Number(got.headers['content-length'])).toBe(a.chunk.ciphertext.length);
      expect(Buffer.from(decryptAssetChunk(a.chunk, got.rawPayload)).equals(a.plaintext)).toBe(true);
    });

    it('re-uploading a stored chunk is idempotent and charges the quota once', async () => {
      const c = makeChunk(5000);
      const subject = `user:${aliceId}`;
      const usage = async () => (await store.db.selectFrom('usage').select('bytes').where('subject', '=', subject).executeTakeFirst())?.bytes ?? 0;
      const before = await usage();
      expect((await upload(c.id, c.chunk.ciphertext)).statusCode).toBe(200);
      expect((await upload(c.id, c.chunk.ciphertext)).statusCode).toBe(200);
      expect(await usage()).toBe(before + c.chunk.ciphertext.length);
    });

    it('rejects a body that does not match the declared SHA-256 and stores nothing', async () => {
      const c = makeChunk(2000);
      const corrupted = c.chunk.ciphertext.slice();
      corrupted[10]! ^= 1;
      const response = await upload(c.id, corrupted, { sha: sha256Hex(c.chunk.ciphertext) });
      expect(response.statusCode).toBe(400);
      expect(envelope(response).serverErrorCode).toBe('BAD_REQUEST');
      expect(envelope(response).reason).toMatch(/SHA-256/);
      expect((await missing([c.id])).json()).toEqual({ missing: [c.id] });
      expect((await download(c.id)).statusCode).toBe(404);
    });

    it('malformed requests answer BAD_REQUEST in the CloudKit envelope', async () => {
      const c = makeChunk(100);
      const cases: LightMyRequestResponse[] = [
        await upload('not-a-chunk-id', c.chunk.ciphertext),
        await upload(c.id, c.chunk.ciphertext, { sha: null }),
        await upload(c.id, c.chunk.ciphertext, { sha: 'abc' }),
        await upload(c.id, c.chunk.ciphertext, { url: `${BASE}/upload` }),
        await upload(c.id, c.chunk.ciphertext, { contentType: 'text/plain' }),
        await upload(c.id, c.chunk.ciphertext, { url: `/database/1/iCloud.com.example.app/development/public/assets/upload?chunkId=${c.id}` }),
        await missing(['x']),
        await app.inject({ method: 'POST', url: `${BASE}/missing`, headers: { 'content-type': 'application/json', authorization: `Bearer ${alice}` }, payload: '{"chunkIds": 5}' }),
        await app.inject({ method: 'POST', url: `${BASE}/missing`, headers: { 'content-type': 'application/json', authorization: `Bearer ${alice}` }, payload: '{nope' }),
        await download('%2E%2E%2Fetc'),
      ];
      for (const response of cases) {
        expect(response.statusCode, response.body).toBe(400);
        const e = envelope(response);
        expect(e.serverErrorCode).toBe('BAD_REQUEST');
        expect(typeof e.uuid).toBe('string');
        expect(e.reason.length).toBeGreaterThan(0);
      }
      // Too many ids in one request.
      const many = await missing(Array.from({ length: 1001 }, () => c.id));
      expect(many.statusCode).toBe(400);
    });

    it('an oversized chunk is LIMIT_EXCEEDED (413) before it is read into the store', async () => {
      const big = new Uint8Array(MAX_CHUNK_UPLOAD_BYTES + 1);
      const response = await upload(makeChunk(10).id, big);
      expect(response.statusCode).toBe(413);
      expect(envelope(response).serverErrorCode).toBe('LIMIT_EXCEEDED');
      // The limit admits the largest chunk the pipeline can make (4 MiB plaintext, padded and sealed).
      for (const size of [4 * 1024 * 1024, 4 * 1024 * 1024 - 4, 4 * 1024 * 1024 - 5]) expect(assetChunkCiphertextSize(size)).toBeLessThanOrEqual(MAX_CHUNK_UPLOAD_BYTES);
      const largest = makeChunk(4 * 1024 * 1024);
      expect((await upload(largest.id, largest.chunk.ciphertext)).statusCode).toBe(200);
    });

    it('unauthenticated → 421 AUTHENTICATION_REQUIRED; a bad token → 401 AUTHENTICATION_FAILED', async () => {
      const c = makeChunk(100);
      for (const response of [await missing([c.id], null), await upload(c.id, c.chunk.ciphertext, { token: null }), await download(c.id, null)]) {
        expect(response.statusCode).toBe(421);
        expect(envelope(response).serverErrorCode).toBe('AUTHENTICATION_REQUIRED');
      }
      const forged = await missing([c.id], 'A'.repeat(43));
      expect(forged.statusCode).toBe(401);
      expect(envelope(forged).serverErrorCode).toBe('AUTHENTICATION_FAILED');
    });

    it('chunks are per user: another user neither sees nor fetches them, and has their own copy', async () => {
      const c = makeChunk(4000);
      expect((await upload(c.id, c.chunk.ciphertext)).statusCode).toBe(200);
      expect((await missing([c.id], bob)).json()).toEqual({ missing: [c.id] });
      const stolen = await download(c.id, bob);
      expect(stolen.statusCode).toBe(404);
      expect(envelope(stolen).serverErrorCode).toBe('NOT_FOUND');
      // Bob uploading other bytes under the same id cannot touch Alice's chunk.
      const junk = new Uint8Array(nodeRandomBytes(4000));
      expect((await upload(c.id, junk, { token: bob })).statusCode).toBe(200);
      expect(Buffer.from((await download(c.id)).rawPayload).equals(c.chunk.ciphertext)).toBe(true);
      expect(Buffer.from((await download(c.id, bob)).rawPayload).equals(junk)).toBe(true);
    });

    it('an unknown chunk is NOT_FOUND', async () => {
      const response = await download(makeChunk(1).id);
      expect(response.statusCode).toBe(404);
      expect(envelope(response).serverErrorCode).toBe('NOT_FOUND');
    });

    it('quota counts stored bytes: an upload past it is QUOTA_EXCEEDED', async () => {
      const carol = (await registerUser(app, `carol-assets-${backend.name}@example.com`, 'correct horse battery carol')).sessionToken;
      // 64 MiB quota: fifteen 4 MiB chunks fit, the seventeenth does not.
      const keys = convergenceKeys(deriveAssetSecrets(generateKey('keychain')).convergenceSecret);
      let accepted = 0;
      let response: LightMyRequestResponse | undefined;
      for (let i = 0; i < 17; i++) {
        const c = makeChunk(4 * 1024 * 1024 - 100 - i, keys);
        response = await upload(c.id, c.chunk.ciphertext, { token: carol });
        if (response.statusCode !== 200) break;
        accepted += 1;
      }
      expect(accepted).toBeGreaterThanOrEqual(14);
      expect(accepted).toBeLessThan(17);
      expect(response!.statusCode).toBe(413);
      expect(envelope(response!).serverErrorCode).toBe('QUOTA_EXCEEDED');
    });

    it('commit check: referencing a chunk that is not uploaded fails; referencing stored ones succeeds', async () => {
      const userId = aliceId;
      const stored = makeChunk(1234);
      const absent = makeChunk(1234);
      expect((await upload(stored.id, stored.chunk.ciphertext)).statusCode).toBe(200);
      // The protocol's FieldWire has no asset dictionary type yet (ASSET values are objects).
      const fields = {
        file: { type: 'ASSET', value: { wrappingKey: 'AAAA', manifest: 'AAAA', chunkIds: [stored.id, absent.id] } },
        list: { type: 'ASSETID_LIST', value: [stored.id] },
        note: { type: 'STRING', value: 'x' },
      } as unknown as Record<string, FieldWire>;
      const ids = chunkIdsOfFields(fields);
      expect(ids).toEqual([stored.id, absent.id]);
      await expect(assets.commitChunkReferences(userId, 'rec:1', ids)).rejects.toMatchObject({ serverErrorCode: 'VALIDATING_REFERENCE_ERROR', missing: [absent.id] });
      // Inside a caller's transaction, as records/modify does it.
      await store.db.transaction().execute(async (trx) => {
        await assets.commitChunkReferences(userId, 'rec:1', [stored.id], trx);
      });
      const refs = await store.db.selectFrom('asset_chunk_refs' as never).selectAll().where(sql.ref('ref'), '=', 'rec:1').execute();
      expect(refs.length).toBe(1);
    });

    it('the server keeps no plaintext and no raw SHA-256 of any chunk (database dump + blob files)', async () => {
      const c = makeChunk(70_000);
      expect((await upload(c.id, c.chunk.ciphertext)).statusCode).toBe(200);
      const needles = [
        Buffer.from(c.plaintext.subarray(0, 48)),
        createHash('sha256').update(c.plaintext).digest(),
      ].flatMap((b) => [b.toString('hex'), b.toString('base64'), b.toString('base64url')].map((s) => Buffer.from(s)).concat([b]));
      // Every row of every asset table, as text.
      const tables = ['asset_chunks', 'asset_chunk_refs', 'usage'] as const;
      let dump = '';
      for (const table of tables) dump += JSON.stringify(await store.db.selectFrom(table as never).selectAll().execute());
      const blobFiles: Buffer[] = [];
      for (const shard of await readdir(blobRoot)) for (const name of await readdir(join(blobRoot, shard))) blobFiles.push(await readFile(join(blobRoot, shard, name)));
      expect(blobFiles.length).toBeGreaterThan(0);
      for (const needle of needles) {
        expect(Buffer.from(dump).includes(needle)).toBe(false);
        for (const file of blobFiles) expect(file.includes(needle)).toBe(false);
      }
    });
  });
}

describe('asset endpoints on the S3 blob store (loopback S3 server)', () => {
  let s3: TestS3;
  let store: TestStore;
  let app: FastifyInstance;
  let token: string;
  beforeAll(async () => {
    s3 = await startTestS3();
    store = await testBackends()[0]!.open();
    const blobs = new S3BlobStore({ ...s3.storeOptions('coffer-assets'), keyPrefix: 'chunks/' });
    await blobs.ensureBucket();
    app = Fastify({ logger: false });
    await registerAuth(app, { store, dataDir: store.testDatabase.dataDir });
    await registerAssets(app, { store, blobs, dataDir: store.testDatabase.dataDir, gcIntervalMs: 0 });
    await app.ready();
    token = (await registerUser(app, 'dana-assets-s3@example.com', 'correct horse battery dana')).sessionToken;
  });
  afterAll(async () => {
    await app.close();
    await store.close();
    await s3.stop();
  });

  it('uploads to and streams from S3', async () => {
    const c = makeChunk(1_500_000);
    const auth = { authorization: `Bearer ${token}` };
    const up = await app.inject({
      method: 'POST', url: `${BASE}/upload?chunkId=${c.id}`,
      headers: { ...auth, 'content-type': 'application/octet-stream', 'x-coffer-content-sha256': sha256Hex(c.chunk.ciphertext) },
      payload: Buffer.from(c.chunk.ciphertext),
    });
    expect(up.statusCode).toBe(200);
    const down = await app.inject({ method: 'GET', url: `${BASE}/download?chunkId=${c.id}`, headers: auth });
    expect(down.statusCode).toBe(200);
    expect(Buffer.from(decryptAssetChunk(c.chunk, down.rawPayload)).equals(c.plaintext)).toBe(true);
  });
});
