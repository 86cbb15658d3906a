/**
 * Lock order of the asset bookkeeping on SQLite and PostgreSQL: lease extensions
 * (`assets/missing`, the commit check inside a records transaction), uploads and
 * unreferences running concurrently over the same chunks in opposite orders never
 * deadlock — every multi-row UPDATE of `asset_chunks` takes its rows in chunk-id order.
 * Straight on the service with a blob store that keeps nothing, so the database is the
 * bottleneck.
 */
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testBackends, type TestStore } from '@coffer/storage';
import { createAssetService, type AssetService } from '../src/assets/index.js';
import { MAX_BATCH_CHUNKS, type BatchChunk } from '../src/assets/chunk-batch.js';
import { discardingBlobs } from './chunk-batch-helpers.js';

const SIZE = 3;
const newIds = (n: number): string[] => Array.from({ length: n }, () => randomBytes(32).toString('base64url'));
const frame = (chunkId: string): BatchChunk => ({ chunkId, parts: [new Uint8Array(SIZE)], size: SIZE });
const reasons = (results: readonly PromiseSettledResult<unknown>[]): string[] =>
  results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => String(r.reason));

for (const backend of testBackends()) {
  describe(`asset chunk lock order (${backend.name})`, () => {
    let store: TestStore;
    let service: AssetService;

    beforeAll(async () => {
      store = await backend.open();
      service = createAssetService({ store, blobs: discardingBlobs() });
    });
    afterAll(async () => {
      await store.close();
    });

    /** Stores `ids` (in upload batches of the largest size a client may send). */
    const storeAll = async (userId: string, ids: readonly string[]): Promise<void> => {
      for (let i = 0; i < ids.length; i += MAX_BATCH_CHUNKS) await service.uploadBatch(userId, ids.slice(i, i + MAX_BATCH_CHUNKS).map(frame));
    };
    /** What records/modify does per record: the check and the references inside its transaction. */
    const commit = (userId: string, ref: string, ids: readonly string[]): Promise<void> =>
      store.db.transaction().execute((trx) => service.commitChunkReferences(userId, ref, ids, trx));

    it('missing, commits, uploads and unreferences over the same chunks in opposite orders never deadlock', async () => {
      // Before the lease updates locked in chunk-id order, PostgreSQL could fail these with "deadlock detected".
      const userId = `lease-order-${backend.name}`;
      const rounds = 12;
      let expectedChunks = 0;
      for (let round = 0; round < rounds; round++) {
        const stored = newIds(MAX_BATCH_CHUNKS);
        await storeAll(userId, stored);
        // References to drop concurrently (by two records that shared the chunks).
        await service.referenceChunks(userId, `old-a-${round}`, stored);
        await service.referenceChunks(userId, `old-b-${round}`, stored);
        const forward = stored;
        const backward = [...stored].reverse();
        // Uploads mix stored chunks (the locked-update path of the claim) with new ones.
        const fresh = newIds(MAX_BATCH_CHUNKS / 2);
        const mixForward = [...stored.slice(0, MAX_BATCH_CHUNKS / 2), ...fresh];
        const mixBackward = [...mixForward].reverse();
        expectedChunks += stored.length + fresh.length;

        const results = await Promise.allSettled([
          service.missing(userId, forward),
          commit(userId, `new-a-${round}`, forward),
          service.uploadBatch(userId, mixForward.map(frame)),
          service.unreferenceChunks(userId, `old-a-${round}`, forward),
          service.missing(userId, backward),
          commit(userId, `new-b-${round}`, backward),
          service.uploadBatch(userId, mixBackward.map(frame)),
          service.unreferenceChunks(userId, `old-b-${round}`, backward),
          store.db.transaction().execute((trx) => service.assertChunksPresent(userId, backward, trx)),
          store.db.transaction().execute((trx) => service.assertChunksPresent(userId, forward, trx)),
        ]);
        expect(reasons(results)).toEqual([]);
        // The missing answers: none of the stored chunks.
        expect(results[0]).toEqual({ status: 'fulfilled', value: [] });
        expect(results[4]).toEqual({ status: 'fulfilled', value: [] });
      }
      expect(await service.chunkBytes(userId)).toBe(expectedChunks * SIZE);
    });

    it('commits naming more chunks than one statement takes lock them in one order across statements', async () => {
      // 1000 ids are three statement batches of the service: each batch in order is not
      // enough, successive batches must go in ascending order too.
      const userId = `lease-order-many-${backend.name}`;
      const stored = newIds(1000);
      await storeAll(userId, stored);
      const backward = [...stored].reverse();
      // Interleaved halves: each transaction's first batch overlaps the other's later ones.
      const shuffled = [...stored.filter((_, i) => i % 2 === 0), ...stored.filter((_, i) => i % 2 === 1)];
      for (let round = 0; round < 6; round++) {
        const results = await Promise.allSettled([
          commit(userId, `many-a-${round}`, stored),
          commit(userId, `many-b-${round}`, backward),
          commit(userId, `many-c-${round}`, shuffled),
          service.missing(userId, backward),
          service.unreferenceChunks(userId, `many-a-${round - 1}`, shuffled),
        ]);
        expect(reasons(results)).toEqual([]);
      }
      expect(await service.missing(userId, stored)).toEqual([]);
    });

    it('a records commit (usage row first, then chunks) beside uploads and collections never deadlocks over the usage row', async () => {
      // What records/modify does on PostgreSQL: it upserts the user's usage row first, then
      // checks and references the chunks in the same transaction. Claims and collections
      // lock usage first too (lockUsage); before, they took it last and PostgreSQL failed
      // ~15 of these per 10 rounds with "deadlock detected".
      const userId = `usage-order-${backend.name}`;
      const subject = `user:${userId}`;
      const recordsCommit = (ref: string, ids: readonly string[]): Promise<void> => store.db.transaction().execute(async (trx) => {
        await trx.insertInto('usage' as never).values({ subject, bytes: 0 })
          .onConflict((oc) => oc.column('subject' as never).doUpdateSet({ bytes: sql`usage.bytes` })).execute();
        await service.commitChunkReferences(userId, ref, ids, trx);
      });
      for (let round = 0; round < 10; round++) {
        const stored = newIds(MAX_BATCH_CHUNKS);
        await storeAll(userId, stored);
        const fresh = newIds(MAX_BATCH_CHUNKS / 2);
        const mix = [...stored.slice(0, MAX_BATCH_CHUNKS / 2), ...fresh];
        const results = await Promise.allSettled([
          recordsCommit(`usage-a-${round}`, stored),
          service.uploadBatch(userId, mix.map(frame)),
          recordsCommit(`usage-b-${round}`, [...stored].reverse()),
          service.uploadBatch(userId, [...mix].reverse().map(frame)),
          service.collectGarbage(),
        ]);
        expect(reasons(results)).toEqual([]);
      }
    });
  });
}
