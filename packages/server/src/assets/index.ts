/**
 * Assets on the server: chunk upload/download endpoints (and assets/fetch, many chunks per
 * request: asset-fetch.ts), chunk reference tracking for records, quota charging and the
 * garbage collector (docs/ASSETS.md). The server only
 * ever sees keyed chunk ids, padded ciphertext sizes and ciphertext; it holds no key
 * and imports no crypto.
 *
 * Wiring (composition root, after registerAuth):
 *   const assets = await registerAssets(app, { store, dataDir, quotaBytes });      // file blobs in <dataDir>/blobs
 *   // or S3: { …, blobs: openBlobStore({ dataDir, url: 's3://bucket/prefix?endpoint=…' }) }
 *   // records/modify, inside its transaction, per record with ASSET/ASSETID fields:
 *   await assets.commitChunkReferences(user, recordRef, chunkIdsOfFields(record.fields), trx);
 *   // and on delete: await assets.unreferenceChunks(user, recordRef, undefined, trx);
 */
import type { FastifyInstance } from 'fastify';
import { openBlobStore, type BlobStore } from '@coffer/blobs';
import { DEFAULT_QUOTA_BYTES } from '../app/server-options.js';
import { registerAssetFetchRoute } from './asset-fetch.js';
import { registerAssetRoutes } from './asset-routes.js';
import { createAssetService, type AssetService } from './asset-service.js';
import type { AnyKysely } from './asset-tables.js';

export {
  AssetChunksMissingError, blobIdOf, createAssetService,
  type AssetService, type AssetServiceOptions, type GarbageCollectionOptions, type GarbageCollectionResult,
} from './asset-service.js';
export {
  AssetValueError, chunkIdsOfField, chunkIdsOfFields, CHUNK_ID_PATTERN, isChunkId, MAX_CHUNK_UPLOAD_BYTES, MAX_IDS_PER_REQUEST,
  type AssetsMissingRequest, type AssetsMissingResponse, type AssetsUploadResponse, type CofferAssetValue,
} from './asset-wire.js';

export interface AssetsDeps {
  store: { readonly db: AnyKysely };
  /** Where chunk bytes go; default the file store in `<dataDir>/blobs` (then closed with the app). */
  blobs?: BlobStore;
  /** The server's data directory. */
  dataDir: string;
  /** Per-user quota shared with records; default the server's DEFAULT_QUOTA_BYTES. */
  quotaBytes?: number;
  /** Grace period and upload lease (default 1 hour). */
  graceMs?: number;
  /** Run the garbage collector this often (default 15 min; 0 = never, call collectGarbage yourself). */
  gcIntervalMs?: number;
}

/**
 * Registers the asset routes and returns the service the records path and operators use.
 * Stops the collector when the app closes (and closes the blob store if it opened it).
 */
export async function registerAssets(app: FastifyInstance, deps: AssetsDeps): Promise<AssetService> {
  const blobs = deps.blobs ?? openBlobStore({ dataDir: deps.dataDir });
  const service = createAssetService({
    store: deps.store,
    blobs,
    quotaBytes: deps.quotaBytes ?? DEFAULT_QUOTA_BYTES,
    ...(deps.graceMs === undefined ? {} : { graceMs: deps.graceMs }),
  });
  await registerAssetRoutes(app, service);
  // assets/fetch: many chunks per request (restores); reads the same tables and blobs.
  await registerAssetFetchRoute(app, { store: deps.store, blobs });
  const interval = deps.gcIntervalMs ?? 15 * 60 * 1000;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  if (interval > 0) {
    timer = setInterval(() => {
      if (running !== undefined) return;
      running = service.collectGarbage()
        .catch((error: unknown) => { app.log.error({ errName: error instanceof Error ? error.name : 'Error' }, 'asset garbage collection failed'); })
        .finally(() => { running = undefined; });
    }, interval);
    timer.unref();
  }
  app.addHook('onClose', async () => {
    if (timer !== undefined) clearInterval(timer);
    await running;
    if (deps.blobs === undefined) await blobs.close();
  });
  return service;
}
