/**
 * `POST /database/1/{container}/{environment}/private/assets/fetch` `{chunkIds: [...]}`:
 * many chunks in one response (Chunk fetch stream v1, docs/PROTOCOL.md; @coffer/protocol
 * `AssetFetch`). One request per chunk (assets/download) cost every chunk an
 * authentication, a database lookup and a round trip; a restore of a few thousand chunks
 * spent more time waiting on those than moving bytes.
 *
 * Per request: the same owner rule as the other asset routes, one query for the whole id
 * list, then the blobs streamed one after another straight from the blob store with
 * backpressure (the response is never buffered). An id this user does not store is a
 * NOT_FOUND frame, not a failed request: the frames of the others still arrive. Limits
 * (too many ids, too many stored bytes) refuse the whole request up front with the
 * CloudKit envelope, before the first byte of the body.
 */
import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { isBlobNotFound, type BlobReadStream, type BlobStore } from '@coffer/blobs';
import { AssetFetch, type AssetsFetchRequest } from '@coffer/protocol';
import { CloudError } from '../http/cloud-error.js';
import { handleCloudError } from '../http/error-handler.js';
import { paramsSchema } from '../routes/body-schemas.js';
import { assetDb, num, type AnyKysely } from './asset-tables.js';
import { requireOwner } from './asset-owner.js';
import { isChunkId } from './asset-wire.js';

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

function frameHeader(status: number, length: number): Buffer {
  const header = Buffer.allocUnsafe(AssetFetch.frameHeaderBytes);
  header.writeUInt8(status, 0);
  header.writeUInt32BE(length, 1);
  return header;
}

/** Resolves once `out` wants more (or throws once the client is gone): the backpressure of a response. */
function drained(out: ServerResponse): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (): void => {
      out.off('drain', done);
      out.off('close', done);
      if (out.destroyed || out.writableEnded) reject(new Error('the client went away'));
      else resolve();
    };
    out.on('drain', done);
    out.on('close', done);
  });
}

/**
 * Writes the response body: the version byte, then a frame per requested id, each blob
 * sent straight from the store to the socket (backpressure: a full socket pauses the
 * blob's reads, so a response holds about one blob read at a time). A blob that vanished
 * since the lookup (GC racing a reader past its grace period, an operator deleting files)
 * is a NOT_FOUND frame; a blob that ends early or runs long throws, and the caller cuts the
 * connection — the client sees a truncated answer, never a frame of the wrong length.
 */
async function writeFrames(out: ServerResponse, blobs: BlobStore, chunkIds: readonly string[], stored: ReadonlyMap<string, StoredChunk>): Promise<void> {
  const write = async (bytes: Uint8Array): Promise<void> => {
    if (!out.write(bytes)) await drained(out);
  };
  await write(Buffer.of(AssetFetch.version));
  for (const id of chunkIds) {
    const chunk = stored.get(id);
    let blob: BlobReadStream | undefined;
    if (chunk !== undefined) {
      try {
        blob = await blobs.getStream(chunk.blobId);
      } catch (error) {
        if (!isBlobNotFound(error)) throw error;
      }
    }
    if (blob === undefined) {
      await write(frameHeader(AssetFetch.status.notFound, 0));
      continue;
    }
    try {
      await write(frameHeader(AssetFetch.status.ok, blob.size));
      const sent = await sendBlob(blob.stream, blob.size, out);
      if (sent !== blob.size) throw new Error(`a blob changed size while it was being sent (${sent} of ${blob.size} bytes)`);
    } finally {
      blob.stream.destroy();
    }
  }
}

/**
 * Sends one blob into the response without ending it; resolves with the bytes sent once
 * the blob has ended. The blob flows ('data' events, paused while the socket is full) —
 * not an async iterator over it: measured with a slow client, iterating kept reads alive
 * longer and cost the server 3–4× more full garbage collections (every few MiB of Buffers
 * allocated and still referenced costs one).
 */
function sendBlob(source: Readable, size: number, out: ServerResponse): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    let sent = 0;
    const resume = (): void => {
      source.resume();
    };
    const finish = (error?: Error): void => {
      source.off('data', onData);
      source.off('end', onEnd);
      source.off('error', finish);
      out.off('close', onClose);
      out.off('drain', resume);
      if (error === undefined) resolve(sent);
      else reject(error);
    };
    const onData = (piece: Buffer): void => {
      sent += piece.length;
      // Bytes past the frame's length never reach the client.
      if (sent > size) {
        out.destroy();
        finish(new Error('a blob grew while it was being sent'));
        return;
      }
      if (!out.write(piece)) {
        source.pause();
        out.once('drain', resume);
      }
    };
    const onEnd = (): void => { finish(); };
    const onClose = (): void => { finish(new Error('the client went away')); };
    source.on('data', onData);
    source.once('end', onEnd);
    source.once('error', finish);
    out.once('close', onClose);
  });
}

export async function registerAssetFetchRoute(app: FastifyInstance, deps: AssetFetchDeps): Promise<void> {
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
      // written straight to the socket (no stream in between to buffer blob reads).
      reply.hijack();
      const out = reply.raw;
      out.writeHead(200, { 'content-type': 'application/octet-stream', 'cache-control': 'no-store' });
      try {
        await writeFrames(out, deps.blobs, chunkIds, stored);
        out.end();
      } catch (error) {
        request.log.warn({ errName: error instanceof Error ? error.name : 'Error' }, 'assets/fetch: answer cut short');
        out.destroy();
      }
    });
    done();
  });
}
