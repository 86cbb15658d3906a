/**
 * The asset endpoints, beside the record API under
 * `/database/1/{container}/{environment}/private/`:
 *
 * - `POST assets/missing`  `{chunkIds: [...]}` → `{missing: [...]}` (≤ 1000 ids)
 * - `POST assets/upload?chunkId=<id>`  raw body (`application/octet-stream`, one chunk,
 *   ≤ MAX_CHUNK_UPLOAD_BYTES), header `X-Coffer-Content-SHA256: <hex>` → `{chunkId, size}`
 * - `POST assets/upload-batch`  body Chunk batch v1 (`application/vnd.coffer.chunk-batch`:
 *   many chunks, each with its CRC-32; chunk-batch.ts) → `{chunks: [{chunkId, size}, …]}`
 * - `GET  assets/download?chunkId=<id>` → the chunk's bytes, streamed
 *
 * Chunks belong to the signed-in user (private database only: there is no way to name
 * another user's chunk). Every failure is the CloudKit error envelope.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { CloudError } from '../http/cloud-error.js';
import { handleCloudError } from '../http/error-handler.js';
import { paramsSchema } from '../routes/body-schemas.js';
import { requireOwner } from './asset-owner.js';
import type { AssetService } from './asset-service.js';
import { BufferPool, sharedSlab } from './buffer-pool.js';
import { MAX_BATCH_BODY_BYTES, readChunkBatch } from './chunk-batch.js';
import {
  CHUNK_BATCH_CONTENT_TYPE, MAX_CHUNK_UPLOAD_BYTES, MAX_IDS_PER_REQUEST,
  type AssetsMissingRequest, type AssetsMissingResponse, type AssetsUploadBatchResponse, type AssetsUploadResponse,
} from './asset-wire.js';

const BASE = '/database/1/:container/:environment/:database/assets';
/** JSON bodies of assets/missing: 1000 ids of 43 characters fit well inside. */
const MISSING_BODY_LIMIT = 128 * 1024;
/**
 * Chunks of upload-batch bodies in flight live in these (buffer-pool.ts says why). A client
 * keeps about four 8 MiB batches in flight; 256 KiB units fit ~1 MiB chunks snugly.
 */
const BATCH_UNIT = 256 * 1024;
const BATCH_KEEP_BYTES = 48 * 1024 * 1024;
/** Direct-I/O memory for batch chunks, shared by the process (past it: ordinary Buffers). */
const BATCH_SLAB_BYTES = 96 * 1024 * 1024;

const missingSchema = {
  type: 'object',
  required: ['chunkIds'],
  additionalProperties: false,
  properties: { chunkIds: { type: 'array', maxItems: MAX_IDS_PER_REQUEST, items: { type: 'string', maxLength: 64 } } },
} as const;

const chunkQuerySchema = {
  type: 'object',
  required: ['chunkId'],
  properties: { chunkId: { type: 'string', maxLength: 64 } },
} as const;

function headerValue(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export async function registerAssetRoutes(app: FastifyInstance, service: AssetService): Promise<void> {
  const batchBuffers = new BufferPool({ unit: BATCH_UNIT, keepBytes: BATCH_KEEP_BYTES, slab: () => sharedSlab('upload-batch', BATCH_SLAB_BYTES) });
  await app.register((scope, _opts, done) => {
    scope.setErrorHandler((error, request, reply) => {
      if ((error as { code?: unknown }).code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
        handleCloudError(new CloudError('LIMIT_EXCEEDED', `request body too large: a chunk is at most ${MAX_CHUNK_UPLOAD_BYTES} bytes, an id list at most ${MAX_IDS_PER_REQUEST} ids`), request, reply);
        return;
      }
      if ((error as { code?: unknown }).code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
        // The shared handler's reason names only JSON; these routes take three media types.
        handleCloudError(new CloudError('BAD_REQUEST', `unsupported Content-Type: assets/missing takes application/json, assets/upload application/octet-stream, assets/upload-batch ${CHUNK_BATCH_CONTENT_TYPE}`), request, reply);
        return;
      }
      handleCloudError(error, request, reply);
    });
    // Chunks arrive raw; the JSON parser stays Fastify's for assets/missing.
    scope.addContentTypeParser('application/octet-stream', { parseAs: 'buffer', bodyLimit: MAX_CHUNK_UPLOAD_BYTES }, (_request, body, next) => {
      next(null, body);
    });
    // A chunk batch is parsed as it streams in (chunk-batch.ts enforces its own limits):
    // buffering it whole first would copy every byte once more.
    scope.addContentTypeParser(CHUNK_BATCH_CONTENT_TYPE, (_request, payload, next) => {
      next(null, payload);
    });

    scope.post(`${BASE}/missing`, { schema: { params: paramsSchema, body: missingSchema }, bodyLimit: MISSING_BODY_LIMIT }, async (request): Promise<AssetsMissingResponse> => {
      const userId = await requireOwner(request);
      return { missing: await service.missing(userId, (request.body as AssetsMissingRequest).chunkIds) };
    });

    scope.post(`${BASE}/upload`, { schema: { params: paramsSchema, querystring: chunkQuerySchema }, bodyLimit: MAX_CHUNK_UPLOAD_BYTES }, async (request): Promise<AssetsUploadResponse> => {
      const userId = await requireOwner(request);
      const { chunkId } = request.query as { chunkId: string };
      if (!Buffer.isBuffer(request.body)) throw new CloudError('BAD_REQUEST', 'send the chunk as the raw body with Content-Type: application/octet-stream');
      const declared = headerValue(request, 'x-coffer-content-sha256');
      if (declared === undefined || !/^[0-9a-fA-F]{64}$/.test(declared)) {
        throw new CloudError('BAD_REQUEST', 'X-Coffer-Content-SHA256 must be the hex SHA-256 of the body');
      }
      return service.upload(userId, chunkId, request.body, declared);
    });

    scope.post(`${BASE}/upload-batch`, { schema: { params: paramsSchema } }, async (request): Promise<AssetsUploadBatchResponse> => {
      const declared = Number(headerValue(request, 'content-length') ?? 0);
      if (declared > MAX_BATCH_BODY_BYTES) throw new CloudError('LIMIT_EXCEEDED', `a chunk batch is at most ${MAX_BATCH_BODY_BYTES} bytes`);
      const userId = await requireOwner(request);
      const body = request.body as AsyncIterable<Uint8Array> | undefined;
      if (body === undefined || typeof (body as Partial<AsyncIterable<Uint8Array>>)[Symbol.asyncIterator] !== 'function') {
        throw new CloudError('BAD_REQUEST', `send the chunks as a Chunk batch v1 body with Content-Type: ${CHUNK_BATCH_CONTENT_TYPE}`);
      }
      const chunks = await readChunkBatch(body, batchBuffers);
      try {
        return { chunks: await service.uploadBatch(userId, chunks) };
      } finally {
        // uploadBatch has settled: every blob write of these chunks has finished or failed.
        for (const chunk of chunks) if (chunk.buffer !== undefined) batchBuffers.give(chunk.buffer);
      }
    });

    scope.get(`${BASE}/download`, { schema: { params: paramsSchema, querystring: chunkQuerySchema } }, async (request, reply) => {
      const userId = await requireOwner(request);
      const { chunkId } = request.query as { chunkId: string };
      const { size, stream } = await service.open(userId, chunkId);
      // Immutable content under this id for this user; a client still verifies every byte (AEAD).
      return reply.header('content-type', 'application/octet-stream').header('content-length', String(size)).header('cache-control', 'private, no-transform').send(stream);
    });
    done();
  });
}
