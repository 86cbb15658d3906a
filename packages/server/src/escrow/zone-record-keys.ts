/**
 * Zone and record keys on the escrow path, mirroring what the SDK does on a device:
 * a zone's keys are versioned and wrapped by a service key (`zoneKeys`, newest last);
 * a record key is wrapped by a zone key into the record's `protectionInfo`.
 */
import { fromBase64, generateKey, inspectWrappedKey, toBase64, unwrapKey, wrapKey, type SymmetricKey } from '@coffer/crypto';
import type { ProtectionInfo, WrappedZoneKeyWire } from '@coffer/protocol';
import type { EscrowRecordContext } from '../records/escrow-port.js';
import { unusableKeys } from './errors.js';
import type { KeyCache } from './key-cache.js';
import type { EscrowServiceKeys } from './service-keys.js';

export interface RecordKey {
  key: SymmetricKey;
  protectionInfo: ProtectionInfo;
}

function newestZoneKey(keys: readonly WrappedZoneKeyWire[]): WrappedZoneKeyWire | undefined {
  let best: WrappedZoneKeyWire | undefined;
  for (const k of keys) if (best === undefined || k.version > best.version) best = k;
  return best;
}

function decode(base64: string, what: string): Uint8Array {
  try {
    return fromBase64(base64);
  } catch {
    throw unusableKeys(what);
  }
}

export class EscrowZoneKeys {
  constructor(
    private readonly serviceKeys: EscrowServiceKeys,
    private readonly cache: KeyCache,
  ) {}

  private async open(ctx: EscrowRecordContext, wrapped: WrappedZoneKeyWire, category: string): Promise<SymmetricKey> {
    const bytes = decode(wrapped.wrappedKey, `zone key version ${wrapped.version}`);
    let header;
    try {
      header = inspectWrappedKey(bytes);
    } catch {
      throw unusableKeys(`zone key version ${wrapped.version}`);
    }
    const owner = ctx.ownerRecordName;
    const cached = this.cache.get(owner, 'zone', header.childId, header.childVersion);
    if (cached && cached.version === wrapped.version) return cached;
    const serviceKey = await this.serviceKeys.byId(owner, ctx.keys, wrapped.serviceKeyId, category);
    let key: SymmetricKey;
    try {
      key = unwrapKey(serviceKey, bytes, 'zone');
    } catch {
      throw unusableKeys(`zone key version ${wrapped.version}`);
    }
    if (key.version !== wrapped.version) throw unusableKeys(`zone key version ${wrapped.version}`);
    this.cache.set(owner, key);
    return key;
  }

  /** The zone's newest key; on a zone without keys, version 1 is made under the current service key. */
  async forWrite(ctx: EscrowRecordContext, category: string): Promise<SymmetricKey> {
    let keys = await ctx.keys.zoneKeys();
    if (keys.length === 0) {
      const serviceKey = await this.serviceKeys.current(ctx.ownerRecordName, ctx.keys, category);
      const zoneKey = generateKey('zone', { version: 1 });
      keys = await ctx.keys.addZoneKey({ version: 1, serviceKeyId: serviceKey.id, wrappedKey: toBase64(wrapKey(serviceKey, zoneKey)) });
    }
    const newest = newestZoneKey(keys);
    if (newest === undefined) throw new Error('zone has no keys after adding one');
    return this.open(ctx, newest, category);
  }

  async byVersion(ctx: EscrowRecordContext, version: number, category: string): Promise<SymmetricKey> {
    const wrapped = (await ctx.keys.zoneKeys()).find((k) => k.version === version);
    if (wrapped === undefined) throw unusableKeys(`zone key version ${version}`);
    return this.open(ctx, wrapped, category);
  }

  /** The record key in `info` (reused so a merging write keeps the other encrypted fields readable). */
  async recordKeyFrom(ctx: EscrowRecordContext, info: ProtectionInfo, category: string): Promise<RecordKey> {
    if (typeof info.wrappedRecordKey !== 'string' || !Number.isInteger(info.zoneKeyVersion)) throw unusableKeys('the record key');
    const zoneKey = await this.byVersion(ctx, info.zoneKeyVersion, category);
    try {
      return { key: unwrapKey(zoneKey, decode(info.wrappedRecordKey, 'the record key'), 'record'), protectionInfo: info };
    } catch {
      throw unusableKeys('the record key');
    }
  }

  async newRecordKey(ctx: EscrowRecordContext, category: string): Promise<RecordKey> {
    const zoneKey = await this.forWrite(ctx, category);
    const key = generateKey('record');
    return { key, protectionInfo: { wrappedRecordKey: toBase64(wrapKey(zoneKey, key)), zoneKeyVersion: zoneKey.version } };
  }
}
