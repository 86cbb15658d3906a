/**
 * The CloudKit Web Services routes, `/database/1/{container}/{environment}/{database}/…`,
 * in their own Fastify scope: JSON bodies only (json-body.ts), every error as the
 * CloudKit envelope, responses through the INT64-exact serializer.
 */
import type { FastifyInstance, FastifyRequest, HTTPMethods } from 'fastify';
import type {
  RecordsChangesRequest,
  RecordsLookupRequest,
  RecordsModifyRequest,
  RecordsQueryRequest,
  ServiceKeyRecoverRequest,
  ServiceKeyUpload,
  UsersCallerResponse,
  ZoneChangesRequest,
  ZonesChangesRequest,
  ZonesLookupRequest,
  ZonesModifyRequest,
} from '@coffer/protocol';
import { recordChanges, zoneChanges } from '../changes/record-changes.js';
import { handleCloudError } from '../http/error-handler.js';
import { CloudError } from '../http/cloud-error.js';
import { installJsonBodyParser } from '../http/json-body.js';
import { toJson } from '../http/json-output.js';
import { resolveTarget, type Access, type RequestTarget, type RouteParams } from '../http/request-target.js';
import { lookupServiceKeys, modifyServiceKey, recoverServiceKey } from '../keys/service-key-handlers.js';
import { lookupRecords } from '../records/lookup-records.js';
import { modifyRecords } from '../records/modify-records.js';
import { queryRecords } from '../records/query-records.js';
import { listZones, lookupZones, modifyZones, zonesChanges } from '../zones/zone-handlers.js';
import type { ApiContext } from './api-context.js';
import * as schemas from './body-schemas.js';

const BASE = '/database/1/:container/:environment/:database';

type Handler<B> = (target: RequestTarget, body: B, request: FastifyRequest) => Promise<unknown>;

export async function registerRecordApi(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  await app.register((scope, _opts, done) => {
    installJsonBodyParser(scope);
    scope.setErrorHandler(handleCloudError);
    scope.setReplySerializer((payload) => toJson(payload));

    function route<B>(method: HTTPMethods | HTTPMethods[], operation: string, body: object | null, access: Access, handler: Handler<B>): void {
      scope.route({
        method,
        url: `${BASE}/${operation}`,
        schema: body === null ? { params: schemas.paramsSchema } : { params: schemas.paramsSchema, body },
        handler: async (request) => {
          const target = await resolveTarget(request, request.params as RouteParams, access);
          return handler(target, (request.body ?? {}) as B, request);
        },
      });
    }

    route<RecordsModifyRequest>('POST', 'records/modify', schemas.recordsModifySchema, 'write', (t, b) => modifyRecords(ctx, t, b));
    route<RecordsLookupRequest>('POST', 'records/lookup', schemas.recordsLookupSchema, 'read', (t, b) => lookupRecords(ctx, t, b));
    route<RecordsQueryRequest>('POST', 'records/query', schemas.recordsQuerySchema, 'read', (t, b) => queryRecords(ctx, t, b));
    route<RecordsChangesRequest & { numbersAsStrings?: boolean }>('POST', 'records/changes', schemas.recordsChangesSchema, 'read', (t, b) =>
      recordChanges(ctx, t, b, b.numbersAsStrings === true),
    );
    route<ZoneChangesRequest & { numbersAsStrings?: boolean }>('POST', 'changes/zone', schemas.zoneChangesSchema, 'read', (t, b) => zoneChanges(ctx, t, b));

    route(['GET', 'POST'], 'zones/list', null, 'read', (t) => listZones(ctx, t));
    route<ZonesLookupRequest>('POST', 'zones/lookup', schemas.zonesLookupSchema, 'read', (t, b) => lookupZones(ctx, t, b));
    route<ZonesModifyRequest>('POST', 'zones/modify', schemas.zonesModifySchema, 'write', (t, b) => modifyZones(ctx, t, b));
    route<ZonesChangesRequest>('POST', 'zones/changes', schemas.zonesChangesSchema, 'read', (t, b) => zonesChanges(ctx, t, b));
    route<ZonesChangesRequest>('POST', 'changes/database', schemas.zonesChangesSchema, 'read', (t, b) => zonesChanges(ctx, t, b));

    route(['GET', 'POST'], 'users/caller', null, 'read', async (t, _b, request): Promise<UsersCallerResponse> => {
      if (t.userRecordName === null) throw new CloudError('AUTHENTICATION_REQUIRED', 'users/caller needs a signed-in user, not only an API token');
      const account = await request.server.cofferAuth.account(t.userRecordName);
      if (!account) throw new CloudError('AUTHENTICATION_FAILED', 'the account of this session no longer exists');
      return { userRecordName: account.userRecordName, emailAddress: account.emailAddress, protectionMode: account.protectionMode };
    });

    route('POST', 'keys/service/lookup', schemas.serviceKeysLookupSchema, 'write', (t) => lookupServiceKeys(ctx, t));
    route<ServiceKeyUpload>('POST', 'keys/service/modify', schemas.serviceKeysModifySchema, 'write', (t, b) => modifyServiceKey(ctx, t, b));
    route<ServiceKeyRecoverRequest>('POST', 'keys/service/recover', schemas.serviceKeyRecoverSchema, 'write', async (t, b, request) => {
      const account = t.userRecordName === null ? null : await request.server.cofferAuth.account(t.userRecordName);
      return recoverServiceKey(ctx, t, b, account?.protectionMode ?? 'standard');
    });
    done();
  });
}
