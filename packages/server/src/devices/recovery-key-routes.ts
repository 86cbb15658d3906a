/**
 * recovery/1/recovery-key/*: the recovery-key record (the keychain key wrapped by a key
 * derived from the 28-character recovery key, its salt and the recovery signer's public
 * key). Put replaces: a regenerated recovery key is the only one that opens anything.
 * Get needs only a session — the record is useless without the recovery key itself.
 */
import type { FastifyInstance } from 'fastify';
import { DeviceLimits, DevicePaths, type DevicesOkResponse, type RecoveryKeyRecord } from '@coffer/protocol';
import { CloudError } from '../http/cloud-error.js';
import { HEX_ID, b64, only, str } from './body.js';
import { BodyLimits, route, type DevicesContext } from './context.js';
import { refuseRemovingLastRecoveryMethod } from './recovery-guard.js';

export function registerRecoveryKeyRoutes(scope: FastifyInstance, ctx: DevicesContext): void {
  const keys = ctx.devices.recoveryKeys;

  route(scope, 'POST', DevicePaths.recoveryKeyPut, BodyLimits.small, async (user, body): Promise<DevicesOkResponse> => {
    only(body, ['recoveryKeyId', 'salt', 'wrappedKeychainKey', 'signerPublicKey']);
    await keys.put(user, {
      recoveryKeyId: str(body, 'recoveryKeyId', HEX_ID, '32 lower-case hex characters (crypto recoveryKeyIdOf)'),
      salt: b64(body, 'salt', 16, 64),
      wrappedKeychainKey: b64(body, 'wrappedKeychainKey', 1, DeviceLimits.blobBytes),
      signerPublicKey: b64(body, 'signerPublicKey', 32, 32),
    });
    return {};
  });

  route(scope, 'POST', DevicePaths.recoveryKeyGet, BodyLimits.small, async (user, body): Promise<RecoveryKeyRecord> => {
    only(body, []);
    const record = await keys.get(user);
    if (!record) throw new CloudError('NOT_FOUND', 'this account has no recovery key');
    return { recoveryKeyId: record.recoveryKeyId, salt: record.salt, wrappedKeychainKey: record.wrappedKeychainKey, signerPublicKey: record.signerPublicKey };
  });

  route(scope, 'POST', DevicePaths.recoveryKeyDelete, BodyLimits.small, async (user, body): Promise<DevicesOkResponse> => {
    only(body, []);
    await refuseRemovingLastRecoveryMethod(ctx, user, 'recovery-key');
    if (!(await keys.delete(user))) throw new CloudError('NOT_FOUND', 'this account has no recovery key');
    return {};
  });
}
