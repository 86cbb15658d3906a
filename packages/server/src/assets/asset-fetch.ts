/**
 * `POST /database/1/{container}/{environment}/private/assets/fetch` `{chunkIds: [...]}`:
 * many chunks in one response (Chunk fetch stream v1, docs/PROTOCOL.md; @coffer/protocol
 * `AssetFetch`). One request per chunk (assets/download) cost every chunk an
 * authentication, a database lookup and a round trip; a restore of a few thousand chunks
 * spent more time waiting on those than moving bytes.
 *
 * Per request: the same owner rule as the other asset routes, one query for the whole id
 * list, then one blob after another read whole into a recycled buffer (`BlobStore.getInto`)
 * and written to the socket with backpressure (the response is never buffered). An id this
 * user does not store is a NOT_FOUND frame, not a failed request: the frames of the others
 * still arrive. Limits (too many ids, too many stored bytes) refuse the whole request up
 * front with the CloudKit envelope, before the first byte of the body.
 *
 * Why recycled buffers: streaming each blob from the store (an fs read stream) allocated a
 * fresh 1 MiB Buffer per read. Those are external memory, which V8 counts toward its
 * garbage-collection trigger: a 1.1 GB restore cost the server ~40 full (mark-compact)
 * collections and ~1.5 s of CPU. Buffers from {@link BufferPool} are allocated once and
 * reused, so a steady restore allocates almost nothing.
 */
import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { DIRECT_IO_ALIGNMENT, isBlobNotFound, isBlobTooLarge, type BlobStore } from '@coffer/blobs';
import { AssetFetch, type AssetsFetchRequest } from '@coffer/protocol';
import { CloudError } from '../http/cloud-error.js';
import { handleCloudError } from '../http/error-handler.js';
import { paramsSchema } from '../routes/body-schemas.js';
import { assetDb, num, type AnyKysely } from './asset-tables.js';
import { requireOwner } from './asset-owner.js';
import { isChunkId, MAX_CHUNK_UPLOAD_BYTES } from './asset-wire.js';
import { BufferPool, sharedSlab } from './buffer-pool.js';

const ROUTE = '/database/1/:container/:environment/:database/assets/fetch';
/** 1000 ids of 43 characters, quoted and separated, fit well inside. */
const BODY_LIMIT = 128 * 1024;

const fetchSchema = {
  type: 'object',
  required: ['chunkIds'],
  additionalProperties: false,
  properties: { chunkIds: { type: 'array', minItems: 1, maxItems: AssetFetch.maxIds, items: { type: 'string', maxLength: 64 } } },
} as const;

export interface AssetFetchDeps {
  store: { readonly db: AnyKysely };
  blobs: BlobStore;
}

interface StoredChunk {
  blobId: string;
  size: number;
}

/** The stored chunks of `userId` among `chunkIds`, in one query (ids are ≤ AssetFetch.maxIds). */
async function lookup(db: AnyKysely, userId: string, chunkIds: readonly string[]): Promise<Map<string, StoredChunk>> {
  const unique = [...new Set(chunkIds)];
  const rows = await assetDb(db).selectFrom('asset_chunks').select(['chunk_id', 'blob_id', 'size'])
    .where('user_id', '=', userId).where('state', '=', 'stored').where('chunk_id', 'in', unique)
    .execute();
  return new Map(rows.map((r) => [r.chunk_id, { blobId: r.blob_id, size: num(r.size) }]));
}

const HEADER = AssetFetch.frameHeaderBytes;
/** Where a frame's blob starts in its buffer: one direct-I/O block in (see writeFrames). */
const LEAD = DIRECT_IO_ALIGNMENT;
/** Direct-I/O memory for frames, shared by the process (past it: ordinary Buffers). */
const FETCH_SLAB_BYTES = 64 * 1024 * 1024;
/** Frame buffers are whole MiBs: one buffer then fits every chunk up to its size (a chunk is ≤ 4 MiB + 132 KiB). */
const FRAME_UNIT = 1024 * 1024;
/** Free buffers the pool keeps between responses; more are dropped (the largest are kept). */
const POOL_FREE_BYTES = 32 * 1024 * 1024;
/**
 * Buffers one response may have written and not yet got back. Backpressure alone does not
 * bound them: `write` reports a full socket only past 16 KiB of queued bytes, so a stalled
 * client could pin hundreds of buffers behind small chunks.
 */
const HELD_PER_RESPONSE = 2;

/** Never written to (shared by every response). */
const NOT_FOUND_FRAME = Buffer.from([AssetFetch.status.notFound, 0, 0, 0, 0]);

/** Resolves once `out` wants more (or throws once the client is gone): the backpressure of a response. */
function drained(out: ServerResponse): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (): void => {
      out.off('drain', done);
      out.off('close', done);
      if (out.destroyed || out.writableEnded) reject(new Error('the client went away'));
      else resolve();
    };
    if (out.destroyed) {
      done();
      return;
    }
    out.on('drain', done);
    out.on('close', done);
  });
}

/**
 * Writes the response body: the version byte, then a frame per requested id. Each blob is
 * read whole (`getInto`) into a pool buffer just past room for its frame header, so the
 * frame goes out as one write of one view and nothing is allocated per chunk. The buffer
 * returns to the pool in that write's callback, never before (the socket still sends from
 * it); a write that fails or whose callback never comes (client gone) keeps its buffer out
 * of the pool for good. A full socket is awaited ('drain') before the next blob is read,
 * so a response holds about one buffer while a slow client catches up.
 *
 * The frame carries the blob as the store has it: its length is what `getInto` read, so
 * it is always exact. A blob that vanished since the lookup (GC racing a reader past its
 * grace period, an operator deleting files) is a NOT_FOUND frame. A blob damaged to
 * another size is sent as it is (read again into a buffer that fits when it grew, up to a
 * chunk's limit), and the client's length and AEAD checks refuse it. A blob larger than
 * any chunk or a read that fails throws, and the caller cuts the connection: the client
 * sees a truncated answer, never a frame of the wrong length.
 */
async function writeFrames(out: ServerResponse, blobs: BlobStore, pool: BufferPool, chunkIds: readonly string[], stored: ReadonlyMap<string, StoredChunk>): Promise<void> {
  let held = 0;
  let onReturn: (() => void) | undefined;
  const returned = (buffer: Buffer) => (error?: Error | null): void => {
    held -= 1;
    if (error === undefined || error === null) pool.give(buffer);
    onReturn?.();
  };
  /** Resolves once this response has fewer than HELD_PER_RESPONSE buffers out (throws once the client is gone). */
  const fewerHeld = (): Promise<void> => new Promise((resolve, reject) => {
    const done = (): void => {
      onReturn = undefined;
      out.off('close', done);
      if (out.destroyed) reject(new Error('the client went away'));
      else resolve();
    };
    if (out.destroyed) {
      done();
      return;
    }
    onReturn = () => { if (held < HELD_PER_RESPONSE) done(); };
    out.on('close', done);
  });
  const write = async (bytes: Uint8Array): Promise<void> => {
    if (!out.write(bytes)) await drained(out);
  };

  await write(Buffer.of(AssetFetch.version));
  for (const id of chunkIds) {
    const chunk = stored.get(id);
    if (chunk === undefined) {
      await write(NOT_FOUND_FRAME);
      continue;
    }
    while (held >= HELD_PER_RESPONSE) await fewerHeld();
    let read = await readFrame(blobs, pool, chunk.blobId, chunk.size);
    if (read === 'too large') read = await readFrame(blobs, pool, chunk.blobId, MAX_CHUNK_UPLOAD_BYTES);
    if (read === undefined) {
      await write(NOT_FOUND_FRAME);
      continue;
    }
    if (read === 'too large') throw new Error('a blob larger than any chunk');
    held += 1;
    if (!out.write(read.frame, returned(read.buffer))) await drained(out);
  }
}

/**
 * Blob `blobId` read whole into a pool buffer with room for `room` bytes, as a ready frame
 * (header, then the blob). The blob starts LEAD bytes into the buffer, on a block boundary:
 * in slab memory the file store reads it with O_DIRECT, past the page cache; the header sits
 * just before. Undefined when the blob is gone; 'too large' when it outgrew `room` — a blob
 * damaged to a larger size than its row says, which the caller reads again with room for
 * any chunk and sends as it is, so the client refuses that one chunk (length, AEAD) rather
 * than losing the whole answer to a cut connection.
 */
async function readFrame(
  blobs: BlobStore, pool: BufferPool, blobId: string, room: number,
): Promise<{ buffer: Buffer; frame: Buffer } | 'too large' | undefined> {
  const buffer = pool.take(LEAD + room);
  const frame = buffer.subarray(LEAD - HEADER);
  let size: number;
  try {
    size = await blobs.getInto(blobId, frame.subarray(HEADER));
  } catch (error) {
    // Not sent: nothing else refers to the buffer.
    pool.give(buffer);
    if (isBlobNotFound(error)) return undefined;
    if (isBlobTooLarge(error)) return 'too large';
    throw error;
  }
  // Only a store breaking its contract reports more than it had room for; the view below
  // would silently be shorter than the header says.
  if (size > frame.length - HEADER) throw new Error(`the blob store reported ${size} bytes read into ${frame.length - HEADER}`);
  frame.writeUInt8(AssetFetch.status.ok, 0);
  frame.writeUInt32BE(size, 1);
  return { buffer, frame: frame.subarray(0, HEADER + size) };
}

export async function registerAssetFetchRoute(app: FastifyInstance, deps: AssetFetchDeps): Promise<void> {
  // One free list for every request: buffers outlive the response that allocated them.
  const pool = new BufferPool({ unit: FRAME_UNIT, keepBytes: POOL_FREE_BYTES, slab: () => sharedSlab('fetch', FETCH_SLAB_BYTES) });
  await app.register((scope, _opts, done) => {
    scope.setErrorHandler((error, request, reply) => {
      if ((error as { code?: unknown }).code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
        handleCloudError(new CloudError('LIMIT_EXCEEDED', `request body too large: at most ${AssetFetch.maxIds} chunk ids per request`), request, reply);
        return;
      }
      handleCloudError(error, request, reply);
    });

    scope.post(ROUTE, { schema: { params: paramsSchema, body: fetchSchema }, bodyLimit: BODY_LIMIT }, async (request, reply) => {
      const userId = await requireOwner(request);
      const { chunkIds } = request.body as AssetsFetchRequest;
      if (!chunkIds.every(isChunkId)) throw new CloudError('BAD_REQUEST', 'chunk ids must be 43 characters of canonical base64url');
      const stored = await lookup(deps.store.db, userId, chunkIds);
      let bytes = 0;
      for (const id of chunkIds) bytes += stored.get(id)?.size ?? 0;
      if (bytes > AssetFetch.maxBytes) {
        throw new CloudError('LIMIT_EXCEEDED', `the requested chunks hold ${bytes} bytes, more than ${AssetFetch.maxBytes} per request: ask for fewer at a time`);
      }
      // Everything that can fail as an envelope has been checked: from here the body is
      // written straight to the socket (no stream in between to hold on to frame buffers).
      reply.hijack();
      const out = reply.raw;
      out.writeHead(200, { 'content-type': 'application/octet-stream', 'cache-control': 'no-store' });
      try {
        await writeFrames(out, deps.blobs, pool, chunkIds, stored);
        out.end();
      } catch (error) {
        request.log.warn({ errName: error instanceof Error ? error.name : 'Error' }, 'assets/fetch: answer cut short');
        out.destroy();
      }
    });
    done();
  });
}
