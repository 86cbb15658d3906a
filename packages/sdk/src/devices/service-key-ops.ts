/**
 * Account-wide service-key operations the device features need: list every service key
 * of the account, open them, re-wrap them under a new keychain key, add a new version of
 * a category (with a new zone-key version on every zone that category protects), and
 * (un)escrow them. The record SDK's `ServiceKeys` handles one container's everyday use;
 * this module handles the account at once (rotation, ADP on/off).
 *
 * Service keys are per account, so the key endpoints are reached through one fixed
 * container path; zones live per container, and an `app:<container>` category protects
 * the private-database zones of that container in both environments (Coffer's own drive
 * and backup categories protect `coffer.drive` / `coffer.backup`).
 */
import {
  DecryptionError,
  generateKey,
  inspectWrappedKey,
  keyFromBytes,
  Labels,
  sealKeyTo,
  unwrapKey,
  wrapKey,
  type SymmetricKey,
} from '@coffer/crypto';
import {
  APP_CATEGORY_PREFIX,
  CategoryContainers,
  Environments,
  isAppCategory,
  isEscrowAllowed,
  Limits,
  type EscrowPublicKeyResponse,
  type ProtectionMode,
  type ServiceKeyRecoverResponse,
  type ServiceKeysLookupResponse,
  type ServiceKeyUpload,
  type ServiceKeyWire,
  type WrappedZoneKeyWire,
  type ZoneOperation,
  type ZonesListResponse,
  type ZonesModifyResponse,
} from '@coffer/protocol';
import { fromBase64, toBase64 } from '../base64.js';
import type { Keychain } from '../keys/keychain.js';
import { databasePath, ESCROW_PUBLIC_KEY_PATH } from '../paths.js';
import { errorFromEnvelope } from '../server-errors.js';
import type { DeviceApi } from './api.js';
import { DeviceError } from './errors.js';

/** The container whose private-database path carries account-wide key calls. */
export const KEYS_CONTAINER = 'coffer';

function keysPath(operation: string): string {
  return databasePath(KEYS_CONTAINER, 'development', 'private', operation);
}

export interface ServiceKeyOpsOptions {
  api: DeviceApi;
  keychain: Keychain;
  /** Progress callback for long work (rotation of many zones). */
  onProgress?: (done: number, total: number, what: string) => void;
}

/** Counts of what a rotation or re-escrow did, for reports and benchmarks. */
export interface KeyWorkReport {
  rewrapped: number;
  newServiceKeys: number;
  zonesRekeyed: number;
  escrowed: number;
  /** Keys that neither this device nor escrow could open (left as they were). */
  unopenable: string[];
}

export function emptyReport(): KeyWorkReport {
  return { rewrapped: 0, newServiceKeys: 0, zonesRekeyed: 0, escrowed: 0, unopenable: [] };
}

export class ServiceKeyOps {
  private escrowKey: Promise<Uint8Array> | undefined;

  constructor(private readonly options: ServiceKeyOpsOptions) {}

  async list(): Promise<ServiceKeyWire[]> {
    return (await this.options.api.post<ServiceKeysLookupResponse>(keysPath('keys/service/lookup'), {})).serviceKeys;
  }

  /**
   * Opens a service key: this device's keychain, then the keychain-wrapped blob under any
   * of `keychainKeys`, then (Standard only, when `mode` allows) escrow. Undefined if none works.
   */
  async open(entry: ServiceKeyWire, keychainKeys: readonly SymmetricKey[], mode: ProtectionMode): Promise<SymmetricKey | undefined> {
    const { keychain, api } = this.options;
    const local = await keychain.getServiceKey(entry.keyId);
    if (local !== undefined) return local.key;
    if (entry.wrappedByKeychain !== undefined) {
      const blob = fromBase64(entry.wrappedByKeychain);
      const parentId = safeParentId(blob);
      for (const k of keychainKeys) {
        if (k.id !== parentId) continue;
        try {
          const key = unwrapKey(k, blob, 'service');
          if (key.id !== entry.keyId || key.version !== entry.version) throw new DeviceError('SERVER_MISBEHAVED', `service key ${entry.keyId}: the wrapped blob holds another key`);
          await keychain.putServiceKey({ category: entry.category, key });
          return key;
        } catch (error) {
          if (!(error instanceof DecryptionError)) throw error;
          throw new DeviceError('SERVER_MISBEHAVED', `service key ${entry.keyId}: the wrapped blob does not open under the keychain key it names (swapped or corrupted)`, error);
        }
      }
    }
    if (entry.escrowed && mode === 'standard') {
      try {
        const r = await api.post<ServiceKeyRecoverResponse>(keysPath('keys/service/recover'), { keyId: entry.keyId });
        const key = keyFromBytes('service', fromBase64(r.key), { id: r.keyId, version: r.version });
        if (key.id !== entry.keyId) return undefined;
        await keychain.putServiceKey({ category: entry.category, key });
        return key;
      } catch {
        return undefined;
      }
    }
    return undefined;
  }

  /** The escrow copy of `key`, or undefined when `category` must not be escrowed in `mode`. */
  async escrowCopy(key: SymmetricKey, category: string, mode: ProtectionMode): Promise<string | undefined> {
    if (!isEscrowAllowed(category, mode)) return undefined;
    this.escrowKey ??= this.options.api.get<EscrowPublicKeyResponse>(ESCROW_PUBLIC_KEY_PATH).then((r) => fromBase64(r.publicKey));
    return toBase64(await sealKeyTo(await this.escrowKey, key, Labels.escrow));
  }

  /** Uploads (or re-uploads: same id replaces the blobs) a service key. */
  async upload(key: SymmetricKey, category: string, keychainKey: SymmetricKey, mode: ProtectionMode): Promise<boolean> {
    const upload: ServiceKeyUpload = { keyId: key.id, version: key.version, category, wrappedByKeychain: toBase64(wrapKey(keychainKey, key)) };
    const escrowSealed = await this.escrowCopy(key, category, mode);
    if (escrowSealed !== undefined) upload.escrowSealed = escrowSealed;
    await this.options.api.post<ServiceKeysLookupResponse>(keysPath('keys/service/modify'), upload);
    return escrowSealed !== undefined;
  }

  /**
   * Re-wraps every service key of the account under `newKeychainKey` (opening each with
   * `oldKeychainKeys`); in Standard, escrow-eligible keys keep (get) an escrow copy.
   */
  async rewrapAll(oldKeychainKeys: readonly SymmetricKey[], newKeychainKey: SymmetricKey, mode: ProtectionMode, report: KeyWorkReport): Promise<Map<string, SymmetricKey[]>> {
    const byCategory = new Map<string, SymmetricKey[]>();
    const entries = await this.list();
    let done = 0;
    for (const entry of entries) {
      const key = await this.open(entry, [...oldKeychainKeys, newKeychainKey], mode);
      done++;
      this.options.onProgress?.(done, entries.length, 're-wrapping service keys');
      if (key === undefined) {
        report.unopenable.push(entry.keyId);
        continue;
      }
      if (await this.upload(key, entry.category, newKeychainKey, mode)) report.escrowed++;
      report.rewrapped++;
      const list = byCategory.get(entry.category) ?? [];
      list.push(key);
      byCategory.set(entry.category, list);
    }
    return byCategory;
  }

  /**
   * A new service-key version for each category, uploaded under `keychainKey` (escrowed
   * only where `mode` allows), and a new zone-key version under it on every zone the
   * category protects, so nothing written afterwards uses a key that existed before.
   */
  async newVersions(categories: Iterable<string>, keychainKey: SymmetricKey, mode: ProtectionMode, report: KeyWorkReport, rekeyZones = true): Promise<void> {
    const entries = await this.list();
    for (const category of categories) {
      const newest = Math.max(0, ...entries.filter((e) => e.category === category).map((e) => e.version));
      const key = generateKey('service', { version: newest + 1 });
      await this.options.keychain.putServiceKey({ category, key });
      if (await this.upload(key, category, keychainKey, mode)) report.escrowed++;
      report.newServiceKeys++;
      const container = containerOfCategory(category);
      if (rekeyZones && container !== undefined) report.zonesRekeyed += await this.rekeyZones(container, key);
    }
  }

  /** Adds a zone-key version wrapped by `serviceKey` to every keyed zone of `container` (both environments). */
  private async rekeyZones(container: string, serviceKey: SymmetricKey): Promise<number> {
    let count = 0;
    for (const environment of Environments) {
      const path = (op: string): string => databasePath(container, environment, 'private', op);
      const listed = await this.options.api.get<ZonesListResponse>(path('zones/list'));
      const operations: ZoneOperation[] = [];
      for (const zone of listed.zones) {
        if (zone.deleted === true || zone.zoneKeys === undefined || zone.zoneKeys.length === 0) continue;
        const version = Math.max(...zone.zoneKeys.map((k) => k.version)) + 1;
        const zoneKey = generateKey('zone', { version });
        const wrapped: WrappedZoneKeyWire = { version, serviceKeyId: serviceKey.id, wrappedKey: toBase64(wrapKey(serviceKey, zoneKey)) };
        operations.push({ operationType: 'update', zone: { zoneID: zone.zoneID, zoneKeys: [wrapped] } });
      }
      for (let i = 0; i < operations.length; i += Limits.operationsPerRequest) {
        const batch = operations.slice(i, i + Limits.operationsPerRequest);
        const response = await this.options.api.post<ZonesModifyResponse>(path('zones/modify'), { operations: batch });
        for (const z of response.zones) if ('serverErrorCode' in z) throw errorFromEnvelope(z);
        count += batch.length;
        this.options.onProgress?.(count, operations.length, `re-keying zones of ${container}`);
      }
    }
    return count;
  }
}

/** The container whose private zones a category's service key protects (`app:<id>`, or Coffer's own drive/backup). */
export function containerOfCategory(category: string): string | undefined {
  if (isAppCategory(category)) return category.slice(APP_CATEGORY_PREFIX.length);
  return (CategoryContainers as Readonly<Record<string, string>>)[category];
}

function safeParentId(blob: Uint8Array): string | undefined {
  try {
    return inspectWrappedKey(blob).parentId;
  } catch {
    return undefined;
  }
}
