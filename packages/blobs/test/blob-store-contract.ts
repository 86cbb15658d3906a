/**
 * The one contract every BlobStore adapter passes (restic's backend test suite shape).
 * Called once per adapter from blob-stores.test.ts.
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlobIdError, BlobNotFoundError, BlobTooLargeError, collect, listAll, type BlobStore } from '@coffer/blobs';
import type { TestBlobStore } from '@coffer/blobs/testing';

async function* pieces(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let offset = 0; offset < bytes.byteLength; offset += size) {
    await Promise.resolve();
    yield bytes.subarray(offset, Math.min(offset + size, bytes.byteLength));
  }
}

function id(): string {
  return randomBytes(24).toString('base64url');
}

/** A target filled with a marker byte, to see which bytes a read touched. */
function marked(size: number): Uint8Array {
  return new Uint8Array(size).fill(0xa5);
}

const untouched = (bytes: Uint8Array): boolean => bytes.every((b) => b === 0xa5);

export function blobStoreContract(adapter: TestBlobStore): void {
  describe(`BlobStore contract: ${adapter.name}`, () => {
    let store: BlobStore;
    let cleanup: () => Promise<void>;

    beforeAll(async () => {
      const opened = await adapter.open();
      store = opened.store;
      cleanup = () => opened.cleanup();
    });
    afterAll(async () => {
      await store.close();
      await cleanup();
    });

    it('puts and gets bytes, stats and checks presence', async () => {
      const key = id();
      const bytes = randomBytes(100_000);
      expect(await store.put(key, bytes)).toEqual({ id: key, size: bytes.length });
      expect(Buffer.from(await store.get(key)).equals(bytes)).toBe(true);
      expect(await store.stat(key)).toEqual({ id: key, size: bytes.length });
      expect(await store.has(key)).toBe(true);
    });

    it('stores an empty blob', async () => {
      const key = id();
      await store.put(key, new Uint8Array(0));
      expect((await store.get(key)).byteLength).toBe(0);
      expect(await store.stat(key)).toEqual({ id: key, size: 0 });
    });

    it('puts a list of parts in order, without the caller joining them', async () => {
      const bytes = randomBytes(700_001);
      const parts = [bytes.subarray(0, 1), bytes.subarray(1, 65_537), bytes.subarray(65_537, 65_537), bytes.subarray(65_537)];
      const key = id();
      expect(await store.put(key, parts)).toEqual({ id: key, size: bytes.length });
      expect(Buffer.from(await store.get(key)).equals(bytes)).toBe(true);
      const single = id();
      expect((await store.put(single, [bytes])).size).toBe(bytes.length);
      const empty = id();
      expect((await store.put(empty, [])).size).toBe(0);
      expect(await store.stat(empty)).toEqual({ id: empty, size: 0 });
    });

    it('puts a stream of pieces, including one longer than a multipart part', async () => {
      const small = randomBytes(300_000);
      const k1 = id();
      expect((await store.put(k1, pieces(small, 7_777))).size).toBe(small.length);
      expect(Buffer.from(await store.get(k1)).equals(small)).toBe(true);

      const large = randomBytes(11 * 1024 * 1024 + 3);
      const k2 = id();
      expect((await store.put(k2, Readable.from(pieces(large, 1 << 20)))).size).toBe(large.length);
      const { size, stream } = await store.getStream(k2);
      expect(size).toBe(large.length);
      expect(Buffer.from(await collect(stream)).equals(large)).toBe(true);
    });

    it('replaces an existing blob whole', async () => {
      const key = id();
      await store.put(key, randomBytes(5000));
      const second = randomBytes(10);
      await store.put(key, second);
      expect(Buffer.from(await store.get(key)).equals(second)).toBe(true);
    });

    it('a put whose stream fails leaves the previous state', async () => {
      const key = id();
      const original = randomBytes(1000);
      await store.put(key, original);
      async function* failing(): AsyncGenerator<Uint8Array> {
        yield randomBytes(64 * 1024);
        await Promise.resolve();
        throw new Error('source broke');
      }
      await expect(store.put(key, failing())).rejects.toThrow('source broke');
      expect(Buffer.from(await store.get(key)).equals(original)).toBe(true);

      const fresh = id();
      await expect(store.put(fresh, failing())).rejects.toThrow('source broke');
      expect(await store.has(fresh)).toBe(false);
      const listed = [];
      for await (const item of listAll(store, fresh.slice(0, 2))) listed.push(item.id);
      expect(listed).not.toContain(fresh);
    });

    it('missing blobs: get/getStream throw BlobNotFoundError, stat is undefined, delete is a no-op', async () => {
      const key = id();
      await expect(store.get(key)).rejects.toBeInstanceOf(BlobNotFoundError);
      await expect(store.getStream(key)).rejects.toBeInstanceOf(BlobNotFoundError);
      expect(await store.stat(key)).toBeUndefined();
      expect(await store.has(key)).toBe(false);
      await store.delete(key);
    });

    it('getInto reads a blob into the start of a larger target and leaves the rest untouched', async () => {
      // Over 3 MiB: the file adapter may need several reads, S3's body comes in many pieces.
      const key = id();
      const bytes = randomBytes(3 * 1024 * 1024 + 17);
      await store.put(key, bytes);
      const target = marked(bytes.length + 4096);
      expect(await store.getInto(key, target)).toBe(bytes.length);
      expect(Buffer.from(target.subarray(0, bytes.length)).equals(bytes)).toBe(true);
      expect(untouched(target.subarray(bytes.length))).toBe(true);
    });

    it('getInto fills a target of exactly the blob\'s size', async () => {
      const key = id();
      const bytes = randomBytes(70_001);
      await store.put(key, bytes);
      const target = marked(bytes.length);
      expect(await store.getInto(key, target)).toBe(bytes.length);
      expect(Buffer.from(target).equals(bytes)).toBe(true);
    });

    it('getInto of an empty blob is 0 and writes nothing, even into an empty target', async () => {
      const key = id();
      await store.put(key, new Uint8Array(0));
      const target = marked(16);
      expect(await store.getInto(key, target)).toBe(0);
      expect(untouched(target)).toBe(true);
      expect(await store.getInto(key, new Uint8Array(0))).toBe(0);
    });

    it('getInto writes at the view\'s own offset when the target is part of a larger buffer', async () => {
      const key = id();
      const bytes = randomBytes(200_000);
      await store.put(key, bytes);
      const backing = marked(300_000);
      const view = backing.subarray(7, 7 + 250_000);
      expect(await store.getInto(key, view)).toBe(bytes.length);
      expect(untouched(backing.subarray(0, 7))).toBe(true);
      expect(Buffer.from(backing.subarray(7, 7 + bytes.length)).equals(bytes)).toBe(true);
      expect(untouched(backing.subarray(7 + bytes.length))).toBe(true);
    });

    it('getInto of a missing blob throws BlobNotFoundError before writing anything', async () => {
      const key = id();
      const target = marked(1024);
      const error: unknown = await store.getInto(key, target).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BlobNotFoundError);
      expect(untouched(target)).toBe(true);
    });

    it('getInto of a blob larger than its target throws BlobTooLargeError, never a truncated success', async () => {
      const key = id();
      const bytes = randomBytes(100_000);
      await store.put(key, bytes);
      const error: unknown = await store.getInto(key, new Uint8Array(bytes.length - 1)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BlobTooLargeError);
      const tooLarge = error as BlobTooLargeError;
      expect(tooLarge.code).toBe('BLOB_TOO_LARGE');
      expect(tooLarge.id).toBe(key);
      expect(tooLarge.capacity).toBe(bytes.length - 1);
      expect([undefined, bytes.length]).toContain(tooLarge.size);
      // The store is still usable for the same blob with room for it.
      const target = new Uint8Array(bytes.length);
      expect(await store.getInto(key, target)).toBe(bytes.length);
      expect(Buffer.from(target).equals(bytes)).toBe(true);
    });

    it('getInto rejects ids outside the syntax', async () => {
      for (const bad of ['', 'a', '.hidden', '../x', 'a/b']) {
        await expect(store.getInto(bad, new Uint8Array(8))).rejects.toBeInstanceOf(BlobIdError);
      }
    });

    it('deletes', async () => {
      const key = id();
      await store.put(key, randomBytes(10));
      await store.delete(key);
      expect(await store.has(key)).toBe(false);
      await expect(store.get(key)).rejects.toBeInstanceOf(BlobNotFoundError);
    });

    it('rejects ids outside the syntax', async () => {
      for (const bad of ['', 'a', '.hidden', '../x', 'a/b', 'ab c', 'é1', 'x'.repeat(257)]) {
        await expect(store.put(bad, new Uint8Array(1))).rejects.toBeInstanceOf(BlobIdError);
        await expect(store.get(bad)).rejects.toBeInstanceOf(BlobIdError);
      }
      await expect(store.list({ prefix: '../' })).rejects.toBeInstanceOf(BlobIdError);
    });

    it('lists by prefix in ascending order, page by page, each id once', async () => {
      const tag = `L${randomBytes(4).toString('hex')}`;
      const ids = Array.from({ length: 23 }, (_, i) => `${tag}.${String(i).padStart(2, '0')}-${randomBytes(2).toString('hex')}`);
      await Promise.all(ids.map((key, i) => store.put(key, new Uint8Array(i))));
      const seen: { id: string; size: number }[] = [];
      let startAfter: string | undefined;
      let pages = 0;
      for (;;) {
        const page = await store.list({ prefix: tag, limit: 5, ...(startAfter === undefined ? {} : { startAfter }) });
        pages += 1;
        expect(page.items.length).toBeLessThanOrEqual(5);
        seen.push(...page.items);
        if (page.next === undefined) break;
        startAfter = page.next;
      }
      expect(pages).toBeGreaterThanOrEqual(5);
      expect(seen.map((s) => s.id)).toEqual([...ids].sort());
      expect(seen.map((s) => s.size)).toEqual(ids.map((_, i) => i));
      expect((await store.list({ prefix: `${tag}.1` })).items.map((s) => s.id)).toEqual(ids.slice(10, 20));
    });

    it('lists across shards (short prefixes)', async () => {
      const ids = ['Zq' + randomBytes(8).toString('hex'), 'Zr' + randomBytes(8).toString('hex'), 'Zs' + randomBytes(8).toString('hex')];
      for (const key of ids) await store.put(key, new Uint8Array(3));
      const listed: string[] = [];
      for await (const item of listAll(store, 'Z')) listed.push(item.id);
      expect(listed).toEqual(expect.arrayContaining(ids));
      expect([...listed].sort()).toEqual(listed);
      const after = (await store.list({ prefix: 'Z', startAfter: ids[0]! })).items.map((s) => s.id);
      expect(after).not.toContain(ids[0]);
      expect(after).toEqual(expect.arrayContaining(ids.slice(1)));
    });

    it('concurrent puts of one id leave one whole version', async () => {
      const key = id();
      const versions = Array.from({ length: 6 }, () => randomBytes(200_000));
      await Promise.all(versions.map((v) => store.put(key, pieces(v, 50_000))));
      const got = Buffer.from(await store.get(key));
      expect(versions.some((v) => v.equals(got))).toBe(true);
    });

    it('a reader holding a stream sees the version it opened', async () => {
      const key = id();
      const first = randomBytes(300_000);
      await store.put(key, first);
      const { stream } = await store.getStream(key);
      await store.put(key, randomBytes(300_000));
      const read = Buffer.from(await collect(stream));
      // The file store pins the inode; S3 answers from the object as of the GET.
      expect(read.equals(first)).toBe(true);
    });
  });
}
