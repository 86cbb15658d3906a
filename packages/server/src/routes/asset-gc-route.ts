/**
 * `POST /database/1/{container}/{environment}/private/assets/gc` → `{deletedChunks, freedBytes}`:
 * lets a client ask for a garbage-collection run now (e.g. `coffer backup forget`) instead
 * of waiting for the periodic one. The collector only deletes chunks that are
 * unreferenced and past their lease and grace period, and is safe against concurrent
 * uploads and commits (docs/ASSETS.md), so an early run frees nothing it should keep.
 * One run at a time: a request while one is under way waits for that run's result.
 */
import type { FastifyInstance } from 'fastify';
import { authenticate } from '../auth/index.js';
import type { AssetService, GarbageCollectionResult } from '../assets/index.js';
import { CloudError } from '../http/cloud-error.js';
import { handleCloudError } from '../http/error-handler.js';
import { paramsSchema } from './body-schemas.js';

export async function registerAssetGcRoute(app: FastifyInstance, assets: AssetService): Promise<void> {
  let running: Promise<GarbageCollectionResult> | undefined;
  await app.register((scope, _opts, done) => {
    scope.setErrorHandler(handleCloudError);
    scope.post('/database/1/:container/:environment/:database/assets/gc', { schema: { params: paramsSchema } }, async (request): Promise<GarbageCollectionResult> => {
      if (await authenticate(request) === null) throw new CloudError('AUTHENTICATION_REQUIRED', 'sign in first: send Authorization: Bearer <sessionToken>');
      if ((request.params as { database: string }).database !== 'private') throw new CloudError('BAD_REQUEST', 'assets live in the private database');
      running ??= assets.collectGarbage().finally(() => {
        running = undefined;
      });
      return running;
    });
    done();
  });
}
