/**
 * Records between the device and the wire. This is where `encryptedValues` are
 * encrypted and decrypted: each record has its own random record key, wrapped by the
 * zone's newest key into the record's `protectionInfo`; each field is a field envelope
 * whose associated data binds container, database, zone, owner, record name, field name,
 * field type and record key id — so ciphertext moved to another field, record, zone or
 * account fails to open with `DecryptionError`.
 */
import {
  DecryptionError,
  decryptField,
  encryptField,
  FormatError,
  generateKey,
  unwrapKey,
  wrapKey,
  type FieldContext,
  type FieldValue as CryptoFieldValue,
  type SymmetricKey,
} from '@coffer/crypto';
import { DEFAULT_ZONE_NAME, type DatabaseScope, type Environment, type FieldType, type FieldWire, type ProtectionInfo, type RecordWire, type ZoneIDWire } from '@coffer/protocol';
import { pendingAssetFields, sealPendingAssets } from './assets/asset-fields.js';
import { fromBase64, toBase64 } from './base64.js';
import { InvalidFieldError } from './errors.js';
import type { ZoneKeyring } from './keys/zone-keys.js';
import { assertEncryptable, CofferRecord, getRecordKeyState, setRecordKeyState, type RecordKeyState } from './record.js';
import { isListType, scalarTypeOf, valueFromWire, valueToWire, type FieldValue, type ScalarFieldValue } from './values.js';

/** Whose records these are: fixes the container, database and owner parts of every field's context. */
/** CloudKit's placeholder owner for "the current user" (and the public database's owner). */
export const DEFAULT_OWNER = '_defaultOwner';

export interface RecordScope {
  container: string;
  environment: Environment;
  database: DatabaseScope;
  /** The owner of zones addressed without `ownerRecordName` (the signed-in user). */
  defaultOwner: () => string;
}

/** Finds the record key of a record already on the server (for `update`, which merges fields). */
export type ExistingKeyLookup = (record: CofferRecord) => Promise<RecordKeyState | undefined>;

export class RecordCodec {
  constructor(
    private readonly scope: RecordScope,
    private readonly keyring: ZoneKeyring | undefined,
  ) {}

  /** The zone a record goes to, with the owner filled in. */
  resolveZone(zoneID: ZoneIDWire | undefined): Required<ZoneIDWire> {
    const owner = zoneID?.ownerRecordName;
    return {
      zoneName: zoneID?.zoneName ?? DEFAULT_ZONE_NAME,
      // CloudKit's `_defaultOwner` (and an empty owner) mean "the current user": resolve it,
      // or ciphertext written under the placeholder would not open when read back under the real name.
      ownerRecordName: owner === undefined || owner === '' || owner === DEFAULT_OWNER ? this.scope.defaultOwner() : owner,
    };
  }

  /**
   * The wire form of `record` for a write into `zoneID`. Encrypted fields are encrypted
   * under the record's key: the one it was fetched with, the one `existing` finds on
   * the server (merging writes), or a fresh one.
   */
  async encode(record: CofferRecord, zoneID: ZoneIDWire | undefined, existing?: ExistingKeyLookup, sendRemovals = false): Promise<{ wire: RecordWire; keyState?: RecordKeyState }> {
    const fields: Record<string, FieldWire> = {};
    for (const name of record.plainKeys()) {
      const type = record.typeOf(name)!;
      fields[name] = { value: valueToWire(name, type, record.fields[name]!), type };
    }
    if (sendRemovals) {
      // A merging write keeps fields it does not mention; `{value: null}` removes one.
      for (const name of record.removedKeys()) {
        if (record.fields[name] === undefined && record.encryptedValues[name] === undefined) fields[name] = { value: null } as unknown as FieldWire;
      }
    }
    const wire: RecordWire = { recordName: record.recordName, recordType: record.recordType, fields };
    if (record.recordChangeTag !== undefined) wire.recordChangeTag = record.recordChangeTag;

    const encryptedNames = record.encryptedKeys();
    const assetNames = pendingAssetFields(record);
    let keyState = getRecordKeyState(record);
    if (encryptedNames.length === 0 && assetNames.length === 0) {
      // No protectionInfo: a merging write then keeps the server's, which may be newer
      // than the one cached here (another device may have re-keyed the record).
      return { wire, ...(keyState === undefined ? {} : { keyState }) };
    }
    if (this.scope.database === 'public' || this.keyring === undefined) {
      if (encryptedNames.length === 0) throw new InvalidFieldError(assetNames[0]!, 'assets are not allowed in the public database');
      throw new InvalidFieldError(encryptedNames[0]!, 'encrypted fields are not allowed in the public database');
    }
    const zone = this.resolveZone(zoneID);
    keyState ??= (await existing?.(record)) ?? (await this.newRecordKey(zone));
    for (const name of encryptedNames) {
      const type = record.typeOf(name)!;
      assertEncryptable(name, type);
      let envelope: Uint8Array;
      try {
        envelope = encryptField(keyState.key, this.context(zone, record.recordName, name, type), toCryptoValue(type, record.encryptedValues[name]!));
      } catch (error) {
        // The crypto core's FormatError: a value its canonical encoding refuses (e.g. a lone surrogate).
        if (error instanceof FormatError) throw new InvalidFieldError(name, error.message);
        throw error;
      }
      fields[name] = { type, isEncrypted: true, ciphertext: toBase64(envelope) };
    }
    // Assets: a fresh asset key per value, wrapped by the record key (asset-fields.ts).
    sealPendingAssets(fields, record, assetNames, keyState.key, {
      container: this.scope.container, database: this.scope.database, zoneName: zone.zoneName, ownerRecordName: zone.ownerRecordName, recordName: record.recordName,
    });
    wire.protectionInfo = keyState.protectionInfo;
    return { wire, keyState };
  }

  /** A record from the wire, with its encrypted fields decrypted. @throws DecryptionError on tampering. */
  async decode(wire: RecordWire, requestZone: ZoneIDWire | undefined): Promise<CofferRecord> {
    const zone = this.resolveZone(wire.zoneID ?? requestZone);
    const record = new CofferRecord({ recordType: wire.recordType, recordName: wire.recordName, zoneID: zone });
    record.recordChangeTag = wire.recordChangeTag;
    record.created = wire.created;
    record.modified = wire.modified;
    record.deleted = wire.deleted === true;

    const entries = Object.entries(wire.fields ?? {});
    const needsKey = entries.some(([, field]) => field.isEncrypted === true && field.ciphertext !== undefined);
    let recordKey: SymmetricKey | undefined;
    if (wire.protectionInfo !== undefined && (needsKey || this.keyring !== undefined)) {
      recordKey = await this.openRecordKey(zone, wire.protectionInfo, needsKey);
      if (recordKey !== undefined) setRecordKeyState(record, { key: recordKey, protectionInfo: wire.protectionInfo });
    }
    for (const [name, field] of entries) {
      if (field.isEncrypted === true && field.ciphertext !== undefined) {
        if (recordKey === undefined) throw new DecryptionError(`record ${wire.recordName}: encrypted field without protectionInfo`);
        let envelope: Uint8Array;
        try {
          envelope = fromBase64(field.ciphertext);
        } catch {
          throw new DecryptionError('field envelope');
        }
        const value = decryptField(recordKey, this.context(zone, wire.recordName, name, field.type), envelope);
        record.loadField(name, field.type, fromCryptoValue(field.type, value), true);
      } else if (field.isEncrypted === true) {
        // The SDK asks for ciphertext (X-Coffer-Client: sdk). An "encrypted" field that comes
        // back as plaintext is a server substituting a value it chose: refuse it.
        throw new DecryptionError(`record ${wire.recordName}: encrypted field ${name} arrived without ciphertext`);
      } else if (field.value !== undefined && field.value !== null) {
        record.loadField(name, field.type, valueFromWire(name, field.type, field.value), false);
      }
    }
    return record;
  }

  /**
   * The record key of a stored record (from its `protectionInfo`), or undefined if it has none.
   * @throws DecryptionError when the wrapped key does not open.
   */
  async recordKeyOf(wire: RecordWire, requestZone: ZoneIDWire | undefined): Promise<RecordKeyState | undefined> {
    if (wire.protectionInfo === undefined) return undefined;
    const key = await this.openRecordKey(this.resolveZone(wire.zoneID ?? requestZone), wire.protectionInfo, true);
    return key === undefined ? undefined : { key, protectionInfo: wire.protectionInfo };
  }

  private context(zone: Required<ZoneIDWire>, recordName: string, fieldName: string, fieldType: FieldType): FieldContext {
    return {
      container: this.scope.container,
      environment: this.scope.environment,
      database: this.scope.database,
      zoneName: zone.zoneName,
      ownerRecordName: zone.ownerRecordName,
      recordName,
      fieldName,
      fieldType,
    };
  }

  private async newRecordKey(zone: Required<ZoneIDWire>): Promise<RecordKeyState> {
    const zoneKey = (await this.keyring!.forZone(zone, true)).newest;
    const key = generateKey('record');
    return { key, protectionInfo: { wrappedRecordKey: toBase64(wrapKey(zoneKey, key)), zoneKeyVersion: zoneKey.version } };
  }

  /**
   * Unwraps a record key. A zone key version we do not know triggers one reload of the
   * zone's keys (another device may have rotated them); after that it is tampering.
   * When the record has no encrypted fields in this response, failures are ignored.
   */
  private async openRecordKey(zone: Required<ZoneIDWire>, info: ProtectionInfo, required: boolean): Promise<SymmetricKey | undefined> {
    try {
      const keyring = this.keyring;
      if (keyring === undefined) throw new DecryptionError('record key (no zone keys in this database)');
      let zoneKey = (await keyring.forZone(zone, false)).version(info.zoneKeyVersion);
      if (zoneKey === undefined) {
        keyring.forget(zone);
        zoneKey = (await keyring.forZone(zone, false)).version(info.zoneKeyVersion);
      }
      if (zoneKey === undefined) throw new DecryptionError('record key (unknown zone key version)');
      let wrapped: Uint8Array;
      try {
        wrapped = fromBase64(info.wrappedRecordKey);
      } catch {
        throw new DecryptionError('wrapped key');
      }
      return unwrapKey(zoneKey, wrapped, 'record');
    } catch (error) {
      if (required) throw error;
      return undefined;
    }
  }
}

/** SDK value → crypto core value: the only difference is TIMESTAMP (Date vs integer ms). */
function toCryptoValue(type: FieldType, value: FieldValue): CryptoFieldValue {
  if (scalarTypeOf(type) !== 'TIMESTAMP') return value as CryptoFieldValue;
  return (isListType(type) ? (value as Date[]).map((d) => d.getTime()) : (value as Date).getTime());
}

function fromCryptoValue(type: FieldType, value: CryptoFieldValue): FieldValue {
  if (scalarTypeOf(type) !== 'TIMESTAMP') return value;
  return isListType(type) ? (value as number[]).map((ms): ScalarFieldValue => new Date(ms)) : new Date(value as number);
}
