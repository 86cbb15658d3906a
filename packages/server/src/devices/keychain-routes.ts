/**
 * devices/1/keychain/*: the keychain key's per-device copies (each sealed to one device's
 * HPKE key) and the keychain items blob. `get` returns only the copy of the device named
 * in the X-Coffer-Device header, of the caller's own account; a copy sealed to another
 * device would be useless to the caller anyway, but handing it out is needless exposure.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  DEVICE_ID_HEADER,
  DeviceLimits,
  DevicePaths,
  type DevicesOkResponse,
  type KeychainCopyResponse,
  type KeychainItemsPutResponse,
  type KeychainItemsResponse,
} from '@coffer/protocol';
import { CloudError, badRequest } from '../http/cloud-error.js';
import { HEX_ID, PRINTABLE_ID, arr, b64, int, obj, only, str, unique } from './body.js';
import { BodyLimits, route, type DevicesContext } from './context.js';

const DEVICE_ID = '32 lower-case hex characters (a device id)';
const KEY_ID = '1..128 printable ASCII characters';

function callerDevice(request: FastifyRequest): string {
  const raw = request.headers[DEVICE_ID_HEADER];
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (value === undefined || !HEX_ID.test(value)) throw badRequest(`send the calling device's id (32 lower-case hex) in the ${DEVICE_ID_HEADER} header`);
  return value;
}

export function registerKeychainRoutes(scope: FastifyInstance, ctx: DevicesContext): void {
  const keychain = ctx.devices.keychain;

  route(scope, 'POST', DevicePaths.keychainPut, BodyLimits.small, async (user, body): Promise<DevicesOkResponse> => {
    only(body, ['deviceId', 'keychainKeyId', 'sealedKeychainKey']);
    await keychain.putCopy(user, {
      deviceId: str(body, 'deviceId', HEX_ID, DEVICE_ID),
      keychainKeyId: str(body, 'keychainKeyId', PRINTABLE_ID, KEY_ID),
      sealedKey: b64(body, 'sealedKeychainKey', 1, DeviceLimits.blobBytes),
    });
    return {};
  });

  route(scope, 'POST', DevicePaths.keychainRotate, BodyLimits.rotation, async (user, body): Promise<DevicesOkResponse> => {
    only(body, ['keychainKeyId', 'copies']);
    const keychainKeyId = str(body, 'keychainKeyId', PRINTABLE_ID, KEY_ID);
    const copies = arr(body, 'copies', 1, DeviceLimits.devicesPerRotation).map((item, i) => {
      const c = only(obj(item, `copies[${i}]`), ['deviceId', 'sealedKeychainKey']);
      return { deviceId: str(c, 'deviceId', HEX_ID, DEVICE_ID), sealedKey: b64(c, 'sealedKeychainKey', 1, DeviceLimits.blobBytes) };
    });
    unique(copies.map((c) => c.deviceId), 'copies[].deviceId');
    await keychain.replaceCopies(user, keychainKeyId, copies);
    return {};
  });

  route(scope, 'POST', DevicePaths.keychainGet, BodyLimits.small, async (user, body, request): Promise<KeychainCopyResponse> => {
    only(body, []);
    const deviceId = callerDevice(request);
    const copy = await keychain.getCopy(user, deviceId);
    if (!copy) throw new CloudError('NOT_FOUND', 'no keychain key is stored for this device; ask a trusted device to approve it, or recover');
    return { deviceId: copy.deviceId, keychainKeyId: copy.keychainKeyId, sealedKeychainKey: copy.sealedKey };
  });

  route(scope, 'POST', DevicePaths.keychainItemsGet, BodyLimits.small, async (user, body): Promise<KeychainItemsResponse> => {
    only(body, []);
    const items = await keychain.getItems(user);
    return items ? { version: items.version, keychainKeyId: items.keychainKeyId, blob: items.blob } : { version: 0 };
  });

  route(scope, 'POST', DevicePaths.keychainItemsPut, BodyLimits.items, async (user, body): Promise<KeychainItemsPutResponse> => {
    only(body, ['expectedVersion', 'keychainKeyId', 'blob']);
    const expectedVersion = int(body, 'expectedVersion', 0, Number.MAX_SAFE_INTEGER - 1);
    const keychainKeyId = str(body, 'keychainKeyId', PRINTABLE_ID, KEY_ID);
    const blob = b64(body, 'blob', 1, DeviceLimits.keychainItemsBytes);
    const version = await keychain.putItems(user, expectedVersion, { keychainKeyId, blob });
    if (version === null) throw new CloudError('CONFLICT', `the keychain items are not at version ${expectedVersion}; fetch, merge and retry`);
    return { version };
  });
}
