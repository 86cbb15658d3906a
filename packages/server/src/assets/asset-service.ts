/**
 * Chunk bookkeeping: which encrypted chunks each user stores, who references them, and
 * when they may go. The blob store holds the bytes; this module keeps the database and
 * the blob store consistent under concurrent uploads, commits and garbage collection.
 *
 * A chunk row moves  (none) → pending → stored → deleting → (none):
 * - upload: claim (reserve quota, lease) → write the blob → mark stored. A re-upload of a
 *   stored chunk rewrites the same bytes (self-healing) under a fresh lease.
 * - `assets/missing` and a record commit extend the lease of chunks they found, so a
 *   chunk a client was just told exists survives until its commit.
 * - GC claims a chunk (→ deleting) only when it has no reference, no live lease and no
 *   upload within the grace period, in one conditional UPDATE; then deletes the blob, then
 *   the row. Uploads answer TRY_AGAIN_LATER for a chunk being deleted. On PostgreSQL the
 *   claim and a commit's lease extension lock the same row, so whichever runs second sees
 *   the other's result (READ COMMITTED re-checks the row); SQLite serialises writers.
 */
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { BlobReadStream, BlobStore } from '@coffer/blobs';
import { isBlobNotFound } from '@coffer/blobs';
import { dialectKindOf, type DialectKind } from '@coffer/storage';
import { CloudError } from '../http/cloud-error.js';
import { assetDb, num, type AnyKysely, type AssetDb, type ChunkState } from './asset-tables.js';
import type { BatchChunk } from './chunk-batch.js';
import { isChunkId, MAX_CHUNK_UPLOAD_BYTES, type AssetsUploadResponse } from './asset-wire.js';

/** Statement batch size for id lists (well under SQLite's and PostgreSQL's parameter limits). */
const BATCH = 400;

export interface AssetServiceOptions {
  /** The server's Store (anything with its Kysely `db`). */
  store: { readonly db: AnyKysely };
  blobs: BlobStore;
  /** Per-user quota in bytes, shared with records (`usage` subject `user:<name>`); default unlimited. */
  quotaBytes?: number;
  /**
   * How long a chunk stays after its last upload, `assets/missing` answer, commit or
   * unreference even with no reference (default 1 hour). Also the upload lease.
   */
  graceMs?: number;
  /** Clock (tests). */
  now?: () => number;
}

export interface GarbageCollectionOptions {
  /** Overrides the service's grace period for this run. */
  graceMs?: number;
}

export interface GarbageCollectionResult {
  deletedChunks: number;
  freedBytes: number;
}

/** A records/modify referencing chunks the user has not (completely) uploaded. */
export class AssetChunksMissingError extends CloudError {
  readonly missing: string[];
  constructor(missing: string[]) {
    super('VALIDATING_REFERENCE_ERROR', `asset chunks not uploaded: ${missing.length} missing (first ${missing[0] ?? ''}); upload them with assets/upload, then retry`);
    this.name = 'AssetChunksMissingError';
    this.missing = missing;
  }
}

export interface AssetService {
  /** The ids (deduplicated, in request order) this user has no stored chunk for; extends the lease of the others. */
  missing(userId: string, chunkIds: readonly string[]): Promise<string[]>;
  /** Stores one chunk after checking `sha256Hex` against its bytes. */
  upload(userId: string, chunkId: string, bytes: Uint8Array, sha256Hex: string): Promise<AssetsUploadResponse>;
  /**
   * Stores several chunks (ids distinct, bytes already checked against the client's
   * CRC-32 by the batch reader): one claim transaction, the blobs written concurrently,
   * one "stored" statement. All or nothing from the client's view: on any error the
   * batch should be sent again (rows left pending expire and GC removes them).
   */
  uploadBatch(userId: string, chunks: readonly BatchChunk[]): Promise<AssetsUploadResponse[]>;
  /** A stored chunk as a stream; NOT_FOUND if this user has none. */
  open(userId: string, chunkId: string): Promise<BlobReadStream>;
  /**
   * Throws {@link AssetChunksMissingError} unless every id is a stored chunk of the user,
   * and extends their leases — call inside the records/modify transaction (`db`) so the
   * check and the reference land together.
   */
  assertChunksPresent(userId: string, chunkIds: readonly string[], db?: AnyKysely): Promise<void>;
  /** Adds references from `ref` (an opaque record identity the caller chooses) to chunks. */
  referenceChunks(userId: string, ref: string, chunkIds: readonly string[], db?: AnyKysely): Promise<void>;
  /** Drops references from `ref` (all of them without `chunkIds`); the chunks stay for the grace period. */
  unreferenceChunks(userId: string, ref: string, chunkIds?: readonly string[], db?: AnyKysely): Promise<void>;
  /** Makes `ref` reference exactly `chunkIds` (idempotent: call on every save/delete of the record). */
  setChunkReferences(userId: string, ref: string, chunkIds: readonly string[], db?: AnyKysely): Promise<void>;
  /** assertChunksPresent + setChunkReferences: what records/modify calls per record with asset fields. */
  commitChunkReferences(userId: string, ref: string, chunkIds: readonly string[], db?: AnyKysely): Promise<void>;
  /** Deletes unreferenced chunks past their lease and grace period. Safe to run concurrently with everything. */
  collectGarbage(options?: GarbageCollectionOptions): Promise<GarbageCollectionResult>;
  /** Bytes of chunks charged to the user (stored + uploads under way). */
  chunkBytes(userId: string): Promise<number>;
}

const quotaSubject = (userId: string): string => `user:${userId}`;

/** The blob id of a user's chunk: `<chunk id>.<22-char tag of the user>` — per-user namespaces, random-looking prefix for sharding. */
export function blobIdOf(userId: string, chunkId: string): string {
  return `${chunkId}.${createHash('sha256').update(`coffer/v1/asset-blob-namespace\0${userId}`).digest('base64url').slice(0, 22)}`;
}

function unique(ids: readonly string[]): string[] {
  return [...new Set(ids)];
}

/**
 * Chunk ids ascending by code unit — bytewise, as ids are ASCII (checkIds) — the order
 * PostgreSQL locks chunk rows in (`chunkIdOrder`). Ids are sorted before they are cut into
 * statement batches, so successive batches also go in ascending order.
 */
function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function batches<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += BATCH) out.push(items.slice(i, i + BATCH));
  return out;
}

function checkIds(chunkIds: readonly string[]): void {
  for (const id of chunkIds) if (!isChunkId(id)) throw new CloudError('BAD_REQUEST', 'chunk ids must be 43 characters of canonical base64url');
}

const tryAgain = (reason: string): CloudError => new CloudError('TRY_AGAIN_LATER', reason, { retryAfter: 1 });

export function createAssetService(options: AssetServiceOptions): AssetService {
  const db = assetDb(options.store.db);
  const kind: DialectKind = dialectKindOf(options.store.db);
  const blobs = options.blobs;
  const quota = options.quotaBytes ?? Number.POSITIVE_INFINITY;
  const defaultGrace = options.graceMs ?? 60 * 60 * 1000;
  const now = options.now ?? Date.now;

  /**
   * The order chunk rows are locked in: by chunk id, bytewise (`collate "C"`) whatever the
   * database's default collation, so that it agrees with `compareIds` — the order batches
   * are cut in — and the batches of one transaction, each locked in this order, make one
   * ascending order across statements. SQLite compares text bytewise already.
   */
  const chunkIdOrder = kind === 'postgres' ? sql<string>`chunk_id collate "C"` : sql<string>`chunk_id`;

  /**
   * The right side of `chunk_id in (…)` in a multi-row UPDATE of one user's chunks. An
   * UPDATE locks rows in the order it scans them, so two transactions updating the same
   * rows can each hold one the other waits for (PostgreSQL: "deadlock detected", tested) —
   * e.g. a records commit (its check runs inside the commit transaction) against an upload
   * or another commit naming the chunks in another order. On PostgreSQL a sub-select
   * therefore locks the rows first, in chunk-id order, as the upload claim does. It is
   * narrowed by `state` like the UPDATE, so it locks no row the UPDATE would skip (in
   * particular none the collector holds while it deletes it). SQLite serialises writers:
   * the ids as they are.
   */
  const inLockOrder = (exec: AssetDb, userId: string, batch: string[], state: readonly ['=' | '!=', ChunkState]) =>
    kind === 'postgres'
      ? exec.selectFrom('asset_chunks').select('chunk_id')
        .where('user_id', '=', userId).where('chunk_id', 'in', batch).where('state', state[0], state[1])
        .orderBy(chunkIdOrder).forUpdate()
      : batch;

  /** `lease_until = max(lease_until, until)`. */
  const leaseAtLeast = (until: number) => sql<number>`case when lease_until < ${until} then ${until} else lease_until end`;

  /**
   * Locks the user's `usage` row (creating it if missing) before any of their chunk rows.
   * A records commit takes `usage` first and then, in its check, the chunk rows; a claim or
   * a collection that took chunk rows first and `usage` last (in addUsage) could each hold
   * what the other waits for (PostgreSQL: "deadlock detected", tested). One order for all:
   * `usage`, then chunks by id. SQLite serialises writers: nothing to do.
   */
  async function lockUsage(trx: AssetDb, userId: string): Promise<void> {
    if (kind !== 'postgres') return;
    const subject = quotaSubject(userId);
    await trx.insertInto('usage').values({ subject, bytes: 0 }).onConflict((oc) => oc.column('subject').doNothing()).execute();
    await trx.selectFrom('usage').select('bytes').where('subject', '=', subject).forUpdate().execute();
  }

  async function addUsage(trx: AssetDb, userId: string, delta: number, limit: number): Promise<void> {
    if (delta === 0) return;
    const subject = quotaSubject(userId);
    await trx.insertInto('usage').values({ subject, bytes: 0 }).onConflict((oc) => oc.column('subject').doNothing()).execute();
    let read = trx.selectFrom('usage').select('bytes').where('subject', '=', subject);
    if (kind === 'postgres') read = read.forUpdate();
    const used = num((await read.executeTakeFirstOrThrow()).bytes);
    if (delta > 0 && used + delta > limit) {
      throw new CloudError('QUOTA_EXCEEDED', `storage quota of ${limit} bytes exceeded (${used} bytes used, this upload needs ${delta} more)`);
    }
    await trx.updateTable('usage').set({ bytes: sql<number>`bytes + ${delta}` }).where('subject', '=', subject).execute();
  }

  async function extendLeases(exec: AssetDb, userId: string, chunkIds: readonly string[], until: number): Promise<Set<string>> {
    const found = new Set<string>();
    // In chunk-id order (sorted, then each batch locked in order): the commit check runs
    // inside the records transaction and holds these locks until it commits.
    for (const batch of batches([...chunkIds].sort(compareIds))) {
      const rows = await exec
        .updateTable('asset_chunks')
        .set({ lease_until: leaseAtLeast(until) })
        .where('user_id', '=', userId)
        .where('state', '=', 'stored')
        .where('chunk_id', 'in', inLockOrder(exec, userId, batch, ['=', 'stored']))
        .returning('chunk_id')
        .execute();
      for (const row of rows) found.add(row.chunk_id);
    }
    return found;
  }

  const service: AssetService = {
    async missing(userId, chunkIds) {
      checkIds(chunkIds);
      const ids = unique(chunkIds);
      const present = await extendLeases(db, userId, ids, now() + defaultGrace);
      return ids.filter((id) => !present.has(id));
    },

    async upload(userId, chunkId, bytes, sha256Hex) {
      checkIds([chunkId]);
      if (bytes.byteLength > MAX_CHUNK_UPLOAD_BYTES) throw new CloudError('LIMIT_EXCEEDED', `a chunk is at most ${MAX_CHUNK_UPLOAD_BYTES} bytes`);
      const actual = createHash('sha256').update(bytes).digest('hex');
      if (actual !== sha256Hex.toLowerCase()) {
        throw new CloudError('BAD_REQUEST', 'chunk bytes do not match the declared SHA-256 (corrupted in transit?); upload again');
      }
      const [stored] = await service.uploadBatch(userId, [{ chunkId, parts: [bytes], size: bytes.byteLength }]);
      return stored!;
    },

    async uploadBatch(userId, chunks) {
      checkIds(chunks.map((c) => c.chunkId));
      if (new Set(chunks.map((c) => c.chunkId)).size !== chunks.length) throw new CloudError('BAD_REQUEST', 'a chunk id appears twice in one batch');
      for (const c of chunks) if (c.size > MAX_CHUNK_UPLOAD_BYTES) throw new CloudError('LIMIT_EXCEEDED', `a chunk is at most ${MAX_CHUNK_UPLOAD_BYTES} bytes`);
      if (chunks.length === 0) return [];
      const started = now();
      const ids = chunks.map((c) => c.chunkId);

      // 1. Claim, for the whole batch in one transaction: reserve quota and take the upload
      // lease (GC leaves leased chunks alone). New chunks — the common case — are one
      // INSERT … ON CONFLICT DO NOTHING RETURNING; chunks that already have a row (a
      // re-upload, or a concurrent upload of the same chunk) are locked and updated one by one.
      // Rows are taken in chunk-id order: two batches sharing chunks in different orders
      // would otherwise each hold a row the other waits for (PostgreSQL: deadlock, tested).
      const claimOrder = [...chunks].sort((a, b) => compareIds(a.chunkId, b.chunkId));
      await db.transaction().execute(async (trx) => {
        await lockUsage(trx, userId);
        const inserted = new Set<string>();
        for (const batch of batches(claimOrder)) {
          const rows = await trx.insertInto('asset_chunks')
            .values(batch.map((c) => ({
              user_id: userId, chunk_id: c.chunkId, blob_id: blobIdOf(userId, c.chunkId), size: c.size,
              state: 'pending', lease_until: started + defaultGrace, uploaded_at: started,
            })))
            .onConflict((oc) => oc.columns(['user_id', 'chunk_id']).doNothing())
            .returning('chunk_id')
            .execute();
          for (const row of rows) inserted.add(row.chunk_id);
        }
        let delta = 0;
        const existing = claimOrder.filter((c) => !inserted.has(c.chunkId));
        for (const c of chunks) if (inserted.has(c.chunkId)) delta += c.size;
        if (existing.length > 0) {
          let read = trx.selectFrom('asset_chunks').select(['chunk_id', 'state', 'size'])
            .where('user_id', '=', userId).where('chunk_id', 'in', existing.map((c) => c.chunkId))
            .orderBy(chunkIdOrder);
          if (kind === 'postgres') read = read.forUpdate();
          const rows = new Map((await read.execute()).map((row) => [row.chunk_id, row]));
          for (const c of existing) {
            const row = rows.get(c.chunkId);
            if (row === undefined || row.state === 'deleting') throw tryAgain('a chunk of this batch is being garbage-collected; upload it again in a moment');
            delta += c.size - num(row.size);
            await trx.updateTable('asset_chunks')
              .set({ size: c.size, lease_until: leaseAtLeast(started + defaultGrace) })
              .where('user_id', '=', userId).where('chunk_id', '=', c.chunkId)
              .execute();
          }
        }
        await addUsage(trx, userId, delta, quota);
      });

      // 2. The bytes, each atomically and durably (a crash leaves pending rows whose lease
      // runs out: GC cleans them). Concurrently: the file store's fsyncs overlap on the
      // thread pool, S3 PUTs overlap on the network. All settle before this returns or
      // throws: a caller may reuse the chunks' buffers then (upload-batch's pool), and a
      // write still running from one of them would store another chunk's bytes.
      const writes = await Promise.allSettled(chunks.map((c) => blobs.put(blobIdOf(userId, c.chunkId), c.parts)));
      const failed = writes.find((w): w is PromiseRejectedResult => w.status === 'rejected');
      if (failed !== undefined) throw failed.reason;

      // 3. Stored — one statement; a row GC claimed meanwhile (impossible while the lease
      // holds, unless the upload outlived it) matches nothing and fails the batch. On
      // PostgreSQL the rows are locked in chunk-id order first (the sub-select), as in the
      // claim: an UPDATE alone locks in scan order and can deadlock with a concurrent claim.
      const finished = now();
      let stored = 0;
      for (const batch of batches(claimOrder.map((c) => c.chunkId))) {
        const rows = await db.updateTable('asset_chunks')
          .set({ state: 'stored', uploaded_at: finished, lease_until: leaseAtLeast(finished + defaultGrace) })
          .where('user_id', '=', userId).where('state', '!=', 'deleting')
          .where('chunk_id', 'in', inLockOrder(db, userId, batch, ['!=', 'deleting']))
          .returning('chunk_id')
          .execute();
        stored += rows.length;
      }
      if (stored !== ids.length) throw tryAgain('the upload lease expired before the chunks were stored; upload them again');
      return chunks.map((c) => ({ chunkId: c.chunkId, size: c.size }));
    },

    async open(userId, chunkId) {
      checkIds([chunkId]);
      const row = await db.selectFrom('asset_chunks').select('blob_id')
        .where('user_id', '=', userId).where('chunk_id', '=', chunkId).where('state', '=', 'stored')
        .executeTakeFirst();
      if (row === undefined) throw new CloudError('NOT_FOUND', 'no such chunk');
      try {
        return await blobs.getStream(row.blob_id);
      } catch (error) {
        if (isBlobNotFound(error)) throw new CloudError('NOT_FOUND', 'no such chunk (its bytes are gone from the blob store)');
        throw error;
      }
    },

    async assertChunksPresent(userId, chunkIds, exec) {
      checkIds(chunkIds);
      const ids = unique(chunkIds);
      if (ids.length === 0) return;
      const present = await extendLeases(exec === undefined ? db : assetDb(exec), userId, ids, now() + defaultGrace);
      const missing = ids.filter((id) => !present.has(id));
      if (missing.length > 0) throw new AssetChunksMissingError(missing);
    },

    async referenceChunks(userId, ref, chunkIds, exec) {
      checkIds(chunkIds);
      const target = exec === undefined ? db : assetDb(exec);
      for (const batch of batches(unique(chunkIds))) {
        await target.insertInto('asset_chunk_refs')
          .values(batch.map((chunk_id) => ({ user_id: userId, ref, chunk_id })))
          .onConflict((oc) => oc.columns(['user_id', 'ref', 'chunk_id']).doNothing())
          .execute();
      }
    },

    async unreferenceChunks(userId, ref, chunkIds, exec) {
      const target = exec === undefined ? db : assetDb(exec);
      let ids: string[];
      if (chunkIds === undefined) {
        ids = (await target.selectFrom('asset_chunk_refs').select('chunk_id').where('user_id', '=', userId).where('ref', '=', ref).execute()).map((r) => r.chunk_id);
      } else {
        checkIds(chunkIds);
        ids = unique(chunkIds);
      }
      // Sorted so that the batches of the lease update below go in ascending order.
      ids.sort(compareIds);
      for (const batch of batches(ids)) {
        await target.deleteFrom('asset_chunk_refs').where('user_id', '=', userId).where('ref', '=', ref).where('chunk_id', 'in', batch).execute();
      }
      // Readers that fetched the old manifest keep the grace period to finish downloading.
      const until = now() + defaultGrace;
      for (const batch of batches(ids)) {
        await target.updateTable('asset_chunks').set({ lease_until: leaseAtLeast(until) })
          .where('user_id', '=', userId).where('state', '!=', 'deleting')
          .where('chunk_id', 'in', inLockOrder(target, userId, batch, ['!=', 'deleting'])).execute();
      }
    },

    async setChunkReferences(userId, ref, chunkIds, exec) {
      checkIds(chunkIds);
      const target = exec === undefined ? db : assetDb(exec);
      const wanted = new Set(chunkIds);
      const current = new Set(
        (await target.selectFrom('asset_chunk_refs').select('chunk_id').where('user_id', '=', userId).where('ref', '=', ref).execute()).map((r) => r.chunk_id),
      );
      const removed = [...current].filter((id) => !wanted.has(id));
      const added = [...wanted].filter((id) => !current.has(id));
      if (removed.length > 0) await service.unreferenceChunks(userId, ref, removed, exec);
      if (added.length > 0) await service.referenceChunks(userId, ref, added, exec);
    },

    async commitChunkReferences(userId, ref, chunkIds, exec) {
      await service.assertChunksPresent(userId, chunkIds, exec);
      await service.setChunkReferences(userId, ref, chunkIds, exec);
    },

    async collectGarbage(gcOptions = {}) {
      const graceMs = gcOptions.graceMs ?? defaultGrace;
      const at = now();
      const cutoff = at - graceMs;
      let deletedChunks = 0;
      let freedBytes = 0;
      let after: { user_id: string; chunk_id: string } | undefined;
      for (;;) {
        let query = db.selectFrom('asset_chunks as c')
          .select(['c.user_id', 'c.chunk_id', 'c.blob_id', 'c.state'])
          .where((eb) => eb.or([
            eb('c.state', '=', 'deleting'),
            eb.and([
              eb('c.lease_until', '<', at),
              eb('c.uploaded_at', '<', cutoff),
              eb.not(eb.exists(eb.selectFrom('asset_chunk_refs as r').select(sql.lit(1).as('one'))
                .whereRef('r.user_id', '=', 'c.user_id').whereRef('r.chunk_id', '=', 'c.chunk_id'))),
            ]),
          ]))
          .orderBy('c.user_id').orderBy('c.chunk_id')
          .limit(BATCH);
        if (after !== undefined) {
          const last = after;
          query = query.where((eb) => eb.or([
            eb('c.user_id', '>', last.user_id),
            eb.and([eb('c.user_id', '=', last.user_id), eb('c.chunk_id', '>', last.chunk_id)]),
          ]));
        }
        const candidates = await query.execute();
        for (const candidate of candidates) {
          if (candidate.state !== 'deleting') {
            // The claim re-checks every condition in one statement: a concurrent upload,
            // missing-answer or commit that touched the row first makes it match nothing.
            const claimed = await db.updateTable('asset_chunks as c')
              .set({ state: 'deleting' })
              .where('c.user_id', '=', candidate.user_id).where('c.chunk_id', '=', candidate.chunk_id)
              .where('c.state', 'in', ['stored', 'pending'])
              .where('c.lease_until', '<', at)
              .where('c.uploaded_at', '<', cutoff)
              .where((eb) => eb.not(eb.exists(eb.selectFrom('asset_chunk_refs as r').select(sql.lit(1).as('one'))
                .whereRef('r.user_id', '=', 'c.user_id').whereRef('r.chunk_id', '=', 'c.chunk_id'))))
              .executeTakeFirst();
            if (claimed.numUpdatedRows !== 1n) continue;
          }
          await blobs.delete(candidate.blob_id);
          await db.transaction().execute(async (trx) => {
            await lockUsage(trx, candidate.user_id);
            const row = await trx.deleteFrom('asset_chunks')
              .where('user_id', '=', candidate.user_id).where('chunk_id', '=', candidate.chunk_id).where('state', '=', 'deleting')
              .returning('size')
              .executeTakeFirst();
            if (row === undefined) return;
            const size = num(row.size);
            await addUsage(trx, candidate.user_id, -size, Number.POSITIVE_INFINITY);
            deletedChunks += 1;
            freedBytes += size;
          });
        }
        if (candidates.length < BATCH) break;
        after = candidates.at(-1)!;
      }
      return { deletedChunks, freedBytes };
    },

    async chunkBytes(userId) {
      const row = await db.selectFrom('asset_chunks').select((eb) => eb.fn.sum<number | string | null>('size').as('total'))
        .where('user_id', '=', userId).where('state', '!=', 'deleting').executeTakeFirst();
      return row?.total === null || row?.total === undefined ? 0 : num(row.total);
    },
  };
  return service;
}
