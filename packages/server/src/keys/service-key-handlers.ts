/**
 * keys/service/lookup|modify|recover (Coffer extension, private database only). The
 * server stores service keys only wrapped (by the account keychain key, and in Standard
 * protection sealed to the escrow key); recover asks the escrow to open the sealed copy.
 *
 * modify: re-uploading a key (same keyId) replaces its blobs; a new keyId must have a
 * higher version than every key of its category, otherwise EXISTS — two devices racing to
 * create a category's first key get one winner, and the loser adopts the winner's key.
 *
 * An escrow copy is refused where the category registry forbids one: always-end-to-end
 * categories, and every category while the account is under Advanced Data Protection — a
 * stale or careless client must not hand the server a key ADP took away from it.
 */
import { dataCategoryOfContainer, isEscrowAllowed, type ServiceKeyRecoverRequest, type ServiceKeyRecoverResponse, type ServiceKeyUpload, type ServiceKeysLookupResponse, type ServiceKeyWire } from '@coffer/protocol';
import type { StoredServiceKey } from '@coffer/storage';
import { CloudError, badRequest } from '../http/cloud-error.js';
import type { RequestTarget } from '../http/request-target.js';
import type { ApiContext } from '../routes/api-context.js';

function toWire(key: StoredServiceKey): ServiceKeyWire {
  const wire: ServiceKeyWire = { keyId: key.keyId, version: key.version, category: key.category, escrowed: key.escrowSealed !== null };
  if (key.wrappedByKeychain !== null) wire.wrappedByKeychain = key.wrappedByKeychain;
  return wire;
}

function ownerOf(target: RequestTarget): string {
  if (target.scope !== 'private' || target.userRecordName === null) throw badRequest('service keys live in the private database: use /database/1/{container}/{environment}/private/keys/service/…');
  return target.userRecordName;
}

export async function lookupServiceKeys(ctx: ApiContext, target: RequestTarget): Promise<ServiceKeysLookupResponse> {
  const owner = ownerOf(target);
  return { serviceKeys: (await ctx.store.serviceKeys.list(owner)).map(toWire) };
}

export async function modifyServiceKey(ctx: ApiContext, target: RequestTarget, upload: ServiceKeyUpload): Promise<ServiceKeysLookupResponse> {
  const owner = ownerOf(target);
  const category = upload.category ?? dataCategoryOfContainer(target.container);
  if (upload.escrowSealed !== undefined) {
    const mode = await ctx.store.auth.accounts.protectionMode(owner);
    if (!isEscrowAllowed(category, mode)) {
      throw new CloudError('ACCESS_DENIED', mode === 'advanced'
        ? 'account uses Advanced Data Protection: the server accepts no escrow copy of a service key'
        : `category ${category} is always end-to-end: the server accepts no escrow copy of its keys`);
    }
  }
  const key = { owner, keyId: upload.keyId, version: upload.version, category, wrappedByKeychain: upload.wrappedByKeychain, escrowSealed: upload.escrowSealed ?? null };
  const existing = await ctx.store.serviceKeys.get(owner, upload.keyId);
  if (existing) {
    if (existing.category !== category || existing.version !== upload.version) {
      throw badRequest(`service key ${upload.keyId} exists with category ${existing.category} version ${existing.version}; its category and version cannot change`);
    }
    await ctx.store.serviceKeys.put(key);
  } else {
    const newest = Math.max(0, ...(await ctx.store.serviceKeys.list(owner)).filter((k) => k.category === category).map((k) => k.version));
    const exists = () => new CloudError('EXISTS', `category ${category} already has a service key of version ${Math.max(newest, upload.version)}; fetch it with keys/service/lookup`);
    if (newest >= upload.version) throw exists();
    if ((await ctx.store.serviceKeys.putIfAbsent(key)).keyId !== key.keyId) throw exists();
  }
  return lookupServiceKeys(ctx, target);
}

export async function recoverServiceKey(ctx: ApiContext, target: RequestTarget, body: ServiceKeyRecoverRequest, protectionMode: string): Promise<ServiceKeyRecoverResponse> {
  const owner = ownerOf(target);
  const key = await ctx.store.serviceKeys.get(owner, body.keyId);
  if (!key) throw new CloudError('NOT_FOUND', `service key ${body.keyId} does not exist`);
  if (protectionMode !== 'standard') throw new CloudError('ACCESS_DENIED', 'Advanced Data Protection is on: the server holds no usable copy of your keys');
  if (key.escrowSealed === null) throw new CloudError('ACCESS_DENIED', `service key ${body.keyId} has no escrow copy (end-to-end category or uploaded under Advanced Data Protection)`);
  return ctx.escrow.recoverServiceKey({
    ownerRecordName: owner,
    key: { keyId: key.keyId, version: key.version, category: key.category, wrappedByKeychain: key.wrappedByKeychain, escrowSealed: key.escrowSealed },
  });
}
