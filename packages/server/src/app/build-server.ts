/**
 * Composition root: opens the Store, builds the Fastify app with the record API, the
 * auth routes and the error envelope everywhere.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { Limits } from '@coffer/protocol';
import { openStore, type Store } from '@coffer/storage';
import { registerAssets } from '../assets/index.js';
import { registerAuth } from '../auth/index.js';
import { registerDevices } from '../devices/index.js';
import { CloudError } from '../http/cloud-error.js';
import { handleCloudError } from '../http/error-handler.js';
import { registerAssetGcRoute } from '../routes/asset-gc-route.js';
import { registerRecordApi } from '../routes/record-api.js';
import { createTokenCodec } from '../tokens/token-codec.js';
import { loadEscrow } from './escrow-loader.js';
import { DEFAULT_QUOTA_BYTES, SQLITE_FILE_NAME, type ServerOptions } from './server-options.js';

export function describeDataLocation(options: Pick<ServerOptions, 'dataDir' | 'databaseUrl'>): string {
  if (options.databaseUrl !== undefined) {
    const url = new URL(options.databaseUrl);
    url.password = '';
    return `PostgreSQL ${url.toString()} (key files in ${resolve(options.dataDir)})`;
  }
  return `SQLite ${join(resolve(options.dataDir), SQLITE_FILE_NAME)}`;
}

async function openConfiguredStore(options: ServerOptions): Promise<{ store: Store; owned: boolean }> {
  if (options.store) return { store: options.store, owned: false };
  const store =
    options.databaseUrl !== undefined
      ? await openStore({ kind: 'postgres', url: options.databaseUrl })
      : await openStore({ kind: 'sqlite', file: join(resolve(options.dataDir), SQLITE_FILE_NAME) });
  return { store, owned: true };
}

export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const dataDir = resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const { store, owned } = await openConfiguredStore(options);

  const app = Fastify({
    bodyLimit: Limits.requestBytes,
    logger: options.logger
      ? {
          // Never log bodies or query strings: bodies can hold plaintext of plain clients, query strings hold ckWebAuthToken.
          serializers: {
            req: (req: { method: string; url: string }) => ({ method: req.method, url: req.url.split('?')[0] }),
          },
        }
      : false,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: false } },
    // Over-long container ids must reach validation (a BAD_REQUEST naming the limit), not die in the router with 414.
    routerOptions: { maxParamLength: 4096 },
  });

  try {
    app.setErrorHandler(handleCloudError);
    app.setNotFoundHandler((request, reply) => {
      handleCloudError(new CloudError('NOT_FOUND', `no endpoint ${request.method} ${request.url.split('?')[0] ?? ''}`), request, reply);
    });
    if (owned) app.addHook('onClose', () => store.close());

    await registerAuth(app, { store, dataDir });
    const escrow = await loadEscrow(app, { store, dataDir }, options.escrow);
    const tokens = await createTokenCodec(store);
    const quotaBytes = options.quotaBytes ?? DEFAULT_QUOTA_BYTES;
    // Assets: chunk endpoints + collector (docs/ASSETS.md); records/modify checks and references chunks.
    const assets = await registerAssets(app, { store, dataDir, quotaBytes, ...options.assets });
    await registerAssetGcRoute(app, assets);
    await registerRecordApi(app, { store, escrow, tokens, quotaBytes, assets });
    await registerDevices(app, { store, dataDir, escrow });
    await app.ready();
  } catch (error) {
    await app.close();
    if (owned) await store.close();
    throw error;
  }
  return app;
}
