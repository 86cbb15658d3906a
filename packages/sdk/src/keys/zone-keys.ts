/**
 * Zone keys: versioned, generated on the device, stored on the zone (`zoneKeys`, newest
 * last) wrapped by the category's service key. New records use the newest version;
 * older versions stay readable. Unwrapped keys are cached per zone for the life of the
 * database object.
 */
import { generateKey, unwrapKey, wrapKey, type SymmetricKey } from '@coffer/crypto';
import type { WrappedZoneKeyWire, ZoneIDWire } from '@coffer/protocol';
import { fromBase64, toBase64 } from '../base64.js';
import { KeyUnavailableError } from '../errors.js';
import { KEY_REFRESH_MS, type ServiceKeys } from './service-keys.js';

/** The unwrapped keys of one zone. */
export class ZoneKeySet {
  private readonly byVersion = new Map<number, SymmetricKey>();
  constructor(keys: readonly SymmetricKey[]) {
    for (const key of keys) this.byVersion.set(key.version, key);
  }
  /** The key new records are wrapped under. */
  get newest(): SymmetricKey {
    let best: SymmetricKey | undefined;
    for (const key of this.byVersion.values()) if (best === undefined || key.version > best.version) best = key;
    if (best === undefined) throw new KeyUnavailableError('the zone has no keys');
    return best;
  }
  version(version: number): SymmetricKey | undefined {
    return this.byVersion.get(version);
  }
  get size(): number {
    return this.byVersion.size;
  }
}

/** Reads a zone's wrapped keys from the server (zones/lookup); undefined keys = none yet. */
export type ZoneKeysLoader = (zoneID: ZoneIDWire) => Promise<WrappedZoneKeyWire[] | undefined>;
/** Stores wrapped keys on a zone that has none yet and returns what the server then holds. */
export type ZoneKeysAttacher = (zoneID: ZoneIDWire, zoneKeys: WrappedZoneKeyWire[]) => Promise<WrappedZoneKeyWire[]>;

export class ZoneKeyring {
  private readonly cache = new Map<string, Promise<ZoneKeySet>>();
  private readonly loadedAt = new Map<string, number>();

  constructor(
    private readonly serviceKeys: ServiceKeys,
    private readonly load: ZoneKeysLoader,
    private readonly attach: ZoneKeysAttacher,
  ) {}

  /** Wrapped keys for a new zone: version 1 under the current service key. */
  async newZoneKeys(): Promise<WrappedZoneKeyWire[]> {
    const serviceKey = await this.serviceKeys.current();
    const zoneKey = generateKey('zone', { version: 1 });
    return [{ version: zoneKey.version, serviceKeyId: serviceKey.id, wrappedKey: toBase64(wrapKey(serviceKey, zoneKey)) }];
  }

  /**
   * The keys of a zone, loaded once. A zone without keys (the default zone, or one a
   * plain web-services client created) gets a first key attached when `create` is set,
   * which writes do and reads do not.
   */
  async forZone(zoneID: ZoneIDWire, create: boolean): Promise<ZoneKeySet> {
    const id = cacheKey(zoneID);
    // Writes reload keys older than KEY_REFRESH_MS: another device may have added a zone-key
    // version (rotation after a device removal or ADP on) that new record keys must use.
    if (create && Date.now() - (this.loadedAt.get(id) ?? 0) > KEY_REFRESH_MS) this.cache.delete(id);
    let pending = this.cache.get(id);
    if (pending === undefined) {
      pending = this.resolve(zoneID, create);
      this.cache.set(id, pending);
      this.loadedAt.set(id, Date.now());
      pending.catch(() => this.cache.delete(id));
    }
    const set = await pending;
    if (set.size === 0 && create) {
      this.cache.delete(id);
      return this.forZone(zoneID, true);
    }
    return set;
  }

  /** Primes the cache from a zone the caller already holds (zone lookups, zone creation). */
  remember(zoneID: ZoneIDWire, zoneKeys: WrappedZoneKeyWire[]): void {
    const pending = this.unwrapAll(zoneKeys);
    pending.catch(() => undefined);
    this.cache.set(cacheKey(zoneID), pending);
    this.loadedAt.set(cacheKey(zoneID), Date.now());
  }

  /** Forgets a zone's keys (zone deleted or keys rotated elsewhere). */
  forget(zoneID: ZoneIDWire): void {
    this.cache.delete(cacheKey(zoneID));
  }

  private async resolve(zoneID: ZoneIDWire, create: boolean): Promise<ZoneKeySet> {
    let wrapped = await this.load(zoneID);
    if ((wrapped === undefined || wrapped.length === 0) && create) {
      wrapped = await this.attach(zoneID, await this.newZoneKeys());
    }
    return this.unwrapAll(wrapped ?? []);
  }

  private async unwrapAll(zoneKeys: readonly WrappedZoneKeyWire[]): Promise<ZoneKeySet> {
    const keys: SymmetricKey[] = [];
    for (const entry of zoneKeys) {
      const serviceKey = await this.serviceKeys.byId(entry.serviceKeyId);
      // A zone key that does not open under the service key it names is tampering: DecryptionError.
      keys.push(unwrapKey(serviceKey, fromBase64(entry.wrappedKey), 'zone'));
    }
    return new ZoneKeySet(keys);
  }
}

function cacheKey(zoneID: ZoneIDWire): string {
  return `${zoneID.zoneName}\u0000${zoneID.ownerRecordName ?? ''}`;
}
