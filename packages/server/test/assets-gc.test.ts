/**
 * Chunk references, leases and the garbage collector on SQLite and PostgreSQL with the
 * file blob store — including GC against concurrent uploads and commits, with
 * interleavings forced by gates in the blob store and a race run on real connections.
 */
import { createHash, randomBytes as nodeRandomBytes, randomInt } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileBlobStore, type BlobSource, type BlobStat } from '@coffer/blobs';
import { testBackends, type TestStore } from '@coffer/storage';
import { AssetChunksMissingError, blobIdOf, createAssetService, type AssetService } from '../src/assets/index.js';

const GRACE = 60_000;

/** A file blob store whose put/delete can be held at a gate, to force interleavings. */
class GatedBlobStore extends FileBlobStore {
  beforePut: (() => Promise<void>) | undefined;
  beforeDelete: (() => Promise<void>) | undefined;
  override async put(id: string, data: BlobSource): Promise<BlobStat> {
    await this.beforePut?.();
    return super.put(id, data);
  }
  override async delete(id: string): Promise<void> {
    await this.beforeDelete?.();
    return super.delete(id);
  }
}

/** A gate: `reached` resolves when something waits at it; `open()` lets it through. */
function gate(): { wait: () => Promise<void>; reached: Promise<void>; open: () => void } {
  let markReached!: () => void;
  let release!: () => void;
  const reached = new Promise<void>((resolve) => { markReached = resolve; });
  const opened = new Promise<void>((resolve) => { release = resolve; });
  return { wait: () => { markReached(); return opened; }, reached, open: () => { release(); } };
}

function chunk(): { id: string; bytes: Uint8Array; sha: string } {
  // Random bytes stand in for a ciphertext; the server cannot tell the difference.
  const bytes = new Uint8Array(nodeRandomBytes(randomInt(2000, 4000)));
  const id = createHash('sha256').update(bytes).update('id').digest('base64url');
  return { id, bytes, sha: createHash('sha256').update(bytes).digest('hex') };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

for (const backend of testBackends()) {
  describe(`asset references and garbage collection (${backend.name})`, () => {
    let store: TestStore;
    let root: string;
    let blobs: GatedBlobStore;
    let assets: AssetService;
    const clock = { now: Date.UTC(2030, 0, 1) };
    let userN = 0;

    beforeAll(async () => {
      store = await backend.open();
      root = await mkdtemp(join(tmpdir(), 'coffer-asset-gc-'));
      blobs = new GatedBlobStore({ root });
      assets = createAssetService({ store, blobs, graceMs: GRACE, now: () => clock.now, quotaBytes: 1 << 30 });
    });
    afterAll(async () => {
      await store.close();
      await rm(root, { recursive: true, force: true });
    });

    const newUser = () => `_user${++userN}`;
    const usage = async (user: string) => (await store.db.selectFrom('usage').select('bytes').where('subject', '=', `user:${user}`).executeTakeFirst())?.bytes ?? 0;
    const upload = (user: string, c: ReturnType<typeof chunk>) => assets.upload(user, c.id, c.bytes, c.sha);
    const exists = (user: string, c: ReturnType<typeof chunk>) => blobs.has(blobIdOf(user, c.id));

    it('an unreferenced chunk lives through its grace period, then GC deletes blob, row and quota charge', async () => {
      const user = newUser();
      const c = chunk();
      await upload(user, c);
      expect(await usage(user)).toBe(c.bytes.length);
      clock.now += GRACE - 1;
      expect(await assets.collectGarbage()).toEqual({ deletedChunks: 0, freedBytes: 0 });
      expect(await exists(user, c)).toBe(true);
      clock.now += 2;
      expect(await assets.collectGarbage()).toEqual({ deletedChunks: 1, freedBytes: c.bytes.length });
      expect(await exists(user, c)).toBe(false);
      expect(await assets.missing(user, [c.id])).toEqual([c.id]);
      expect(await usage(user)).toBe(0);
    });

    it('referenced chunks are never collected; unreferenced ones go after a fresh grace period', async () => {
      const user = newUser();
      const c = chunk();
      await upload(user, c);
      await assets.commitChunkReferences(user, 'zone/record-a', [c.id]);
      await assets.commitChunkReferences(user, 'zone/record-b', [c.id]);
      clock.now += 10 * GRACE;
      await assets.collectGarbage();
      expect(await exists(user, c)).toBe(true);
      await assets.setChunkReferences(user, 'zone/record-a', []);
      clock.now += 10 * GRACE;
      await assets.collectGarbage();
      expect(await exists(user, c)).toBe(true); // record-b still holds it
      await assets.unreferenceChunks(user, 'zone/record-b');
      await assets.collectGarbage();
      expect(await exists(user, c)).toBe(true); // readers of the old manifest get the grace period
      clock.now += GRACE + 1;
      await assets.collectGarbage();
      expect(await exists(user, c)).toBe(false);
    });

    it('a commit fails if any chunk is missing, and the check extends leases', async () => {
      const user = newUser();
      const a = chunk();
      const b = chunk();
      await upload(user, a);
      await expect(assets.commitChunkReferences(user, 'r', [a.id, b.id])).rejects.toBeInstanceOf(AssetChunksMissingError);
      clock.now += 2 * GRACE; // a is now collectable…
      expect(await assets.missing(user, [a.id, b.id])).toEqual([b.id]); // …but missing() just vouched for it: lease
      await assets.collectGarbage();
      await upload(user, b);
      await assets.commitChunkReferences(user, 'r', [a.id, b.id]);
      clock.now += 10 * GRACE;
      await assets.collectGarbage();
      expect(await exists(user, a)).toBe(true);
      expect(await exists(user, b)).toBe(true);
    });

    it('GC mid-deletion: a concurrent upload of that chunk is told to retry, then succeeds once GC is done', async () => {
      const user = newUser();
      const c = chunk();
      await upload(user, c);
      clock.now += 2 * GRACE;
      const held = gate();
      blobs.beforeDelete = held.wait;
      const gc = assets.collectGarbage();
      await held.reached; // GC has claimed the chunk and is about to delete its blob
      blobs.beforeDelete = undefined;
      await expect(upload(user, c)).rejects.toMatchObject({ serverErrorCode: 'TRY_AGAIN_LATER' });
      await expect(assets.commitChunkReferences(user, 'r', [c.id])).rejects.toBeInstanceOf(AssetChunksMissingError);
      held.open();
      expect((await gc).deletedChunks).toBe(1);
      await upload(user, c);
      await assets.commitChunkReferences(user, 'r', [c.id]);
      expect(Buffer.from(await blobs.get(blobIdOf(user, c.id))).equals(c.bytes)).toBe(true);
      expect(await usage(user)).toBe(c.bytes.length);
    });

    it('an upload in progress is never collected, even of a chunk that was collectable', async () => {
      const user = newUser();
      const c = chunk();
      await upload(user, c);
      clock.now += 2 * GRACE; // collectable now
      const held = gate();
      blobs.beforePut = held.wait;
      const reupload = upload(user, c); // a client that was about to reference it re-sends it
      await held.reached; // claimed (lease taken), bytes not yet written
      blobs.beforePut = undefined;
      expect((await assets.collectGarbage()).deletedChunks).toBe(0);
      held.open();
      await reupload;
      await assets.commitChunkReferences(user, 'r', [c.id]);
      expect(await exists(user, c)).toBe(true);
    });

    it('an abandoned upload (bytes never written) is cleaned up and its quota reservation returned', async () => {
      const user = newUser();
      const c = chunk();
      blobs.beforePut = () => Promise.reject(new Error('disk full'));
      await expect(upload(user, c)).rejects.toThrow('disk full');
      blobs.beforePut = undefined;
      expect(await usage(user)).toBe(c.bytes.length); // reserved while the lease runs
      expect(await assets.missing(user, [c.id])).toEqual([c.id]);
      clock.now += GRACE + 1;
      expect((await assets.collectGarbage()).deletedChunks).toBe(1);
      expect(await usage(user)).toBe(0);
    });

    it('race: GC running concurrently with missing → upload → commit never loses a committed chunk', async () => {
      const user = newUser();
      const rounds = 12;
      const chunks = Array.from({ length: rounds }, chunk);
      for (const c of chunks) await upload(user, c);
      clock.now += 2 * GRACE; // every chunk is collectable when the race starts
      let committed = 0;
      const client = async (c: ReturnType<typeof chunk>, i: number) => {
        await sleep(i % 3);
        for (let attempt = 0; attempt < 200; attempt++) {
          try {
            if ((await assets.missing(user, [c.id])).length > 0) await upload(user, c);
            await assets.commitChunkReferences(user, `rec-${i}`, [c.id]);
            committed += 1;
            return;
          } catch (error) {
            if (!(error instanceof AssetChunksMissingError) && (error as { serverErrorCode?: string }).serverErrorCode !== 'TRY_AGAIN_LATER') throw error;
            await sleep(2);
          }
        }
        throw new Error('client never committed');
      };
      await Promise.all([assets.collectGarbage(), assets.collectGarbage(), ...chunks.map(client)]);
      expect(committed).toBe(rounds);
      clock.now += 10 * GRACE;
      await assets.collectGarbage();
      for (const c of chunks) {
        expect(await exists(user, c)).toBe(true);
        expect(Buffer.from(await blobs.get(blobIdOf(user, c.id))).equals(c.bytes)).toBe(true);
      }
      expect(await assets.missing(user, chunks.map((c) => c.id))).toEqual([]);
      expect(await usage(user)).toBe(chunks.reduce((a, c) => a + c.bytes.length, 0));
    });
  });
}
