/**
 * `CofferRecord`: a CloudKit record on the device. `fields` hold plaintext values the
 * server can read, index and query; `encryptedValues` hold values encrypted on the
 * device before upload and decrypted when the record is fetched, so both read as
 * ordinary properties:
 *
 * ```ts
 * const note = new CofferRecord({ recordType: 'Note' });
 * note.fields.title = 'Groceries';
 * note.encryptedValues.body = 'milk, eggs';
 * ```
 *
 * A field name lives in exactly one of the two maps: assigning it in one removes it from
 * the other (CloudKit's `encryptedValues` shares the record's key space).
 */
import type { FieldType, ProtectionInfo, Stamp, ZoneIDWire } from '@coffer/protocol';
import type { SymmetricKey } from '@coffer/crypto';
import { InvalidFieldError, UnencryptableFieldError } from './errors.js';
import { inferFieldType, normalizeValue, type FieldValue } from './values.js';

/** A zone id: `{ zoneName, ownerRecordName? }`; the owner defaults to the signed-in user. */
export type ZoneID = ZoneIDWire;

/** The field map type of `record.fields` and `record.encryptedValues`. */
export type FieldMap = Record<string, FieldValue | undefined>;

export interface RecordInit {
  recordType: string;
  /** Defaults to a random UUID, as CloudKit does. */
  recordName?: string;
  zoneID?: ZoneID;
  recordChangeTag?: string;
  fields?: Record<string, FieldValue>;
  encryptedValues?: Record<string, FieldValue>;
  /** Declared wire types, overriding inference (e.g. `{ count: 'INT64' }`). */
  types?: Record<string, FieldType>;
}

/**
 * The record key a fetched record was encrypted with. Kept so that an `update` (which
 * merges fields on the server) encrypts new values under the same key as the fields
 * it leaves in place. Module-private: never part of the public API.
 */
export interface RecordKeyState {
  key: SymmetricKey;
  protectionInfo: ProtectionInfo;
}
const recordKeys = new WeakMap<CofferRecord, RecordKeyState>();
/** @internal */
export function getRecordKeyState(record: CofferRecord): RecordKeyState | undefined {
  return recordKeys.get(record);
}
/** @internal */
export function setRecordKeyState(record: CofferRecord, state: RecordKeyState | undefined): void {
  if (state === undefined) recordKeys.delete(record);
  else recordKeys.set(record, state);
}

export class CofferRecord {
  recordName: string;
  recordType: string;
  /** The server's version tag; `update`/`replace`/`delete` fail with CONFLICT if it is stale. */
  recordChangeTag: string | undefined;
  /** The zone the record lives in; undefined means the database's default zone. */
  zoneID: ZoneID | undefined;
  /** Server stamps, set on records that came from the server. */
  created: Stamp | undefined;
  modified: Stamp | undefined;
  /** True for a deletion reported by changes or a delete operation. */
  deleted: boolean;
  /** Plaintext fields (the server can read, index and query these). */
  readonly fields: FieldMap;
  /** Device-encrypted fields (the server stores only ciphertext). */
  readonly encryptedValues: FieldMap;

  private readonly plain = new Map<string, FieldValue>();
  private readonly secret = new Map<string, FieldValue>();
  private readonly types = new Map<string, FieldType>();
  /** Fields removed since the record was loaded or saved: an `update` sends them as removals. */
  private readonly removed = new Set<string>();

  constructor(init: RecordInit) {
    this.recordType = init.recordType;
    this.recordName = init.recordName ?? globalThis.crypto.randomUUID();
    this.zoneID = init.zoneID;
    this.recordChangeTag = init.recordChangeTag;
    this.created = undefined;
    this.modified = undefined;
    this.deleted = false;
    this.fields = this.mapView(this.plain, this.secret, false);
    this.encryptedValues = this.mapView(this.secret, this.plain, true);
    for (const [name, type] of Object.entries(init.types ?? {})) this.types.set(name, type);
    for (const [name, value] of Object.entries(init.fields ?? {})) this.fields[name] = value;
    for (const [name, value] of Object.entries(init.encryptedValues ?? {})) this.encryptedValues[name] = value;
  }

  /**
   * Declares a field's wire type, overriding inference — e.g. `setType('count', 'INT64')`
   * so that `fields.count = 5` is stored as INT64 and read back as `5n`. A value
   * already set is re-checked against the new type.
   */
  setType(name: string, type: FieldType): this {
    const current = this.secret.has(name) ? this.secret : this.plain;
    const value = current.get(name);
    if (current === this.secret) assertEncryptable(name, type);
    if (value !== undefined) current.set(name, normalizeValue(name, type, value));
    this.types.set(name, type);
    return this;
  }

  /** The field's wire type: declared, learned from the server, or inferred from its value. */
  typeOf(name: string): FieldType | undefined {
    const declared = this.types.get(name);
    if (declared !== undefined) return declared;
    const value = this.plain.get(name) ?? this.secret.get(name);
    return value === undefined ? undefined : inferFieldType(name, value);
  }

  /** Whether the field is (to be) encrypted on the device. */
  isEncrypted(name: string): boolean {
    return this.secret.has(name);
  }

  /** Names of the encrypted fields (CloudKit's `encryptedValues.allKeys()`). */
  encryptedKeys(): string[] {
    return [...this.secret.keys()];
  }

  /** Names of the plaintext fields. */
  plainKeys(): string[] {
    return [...this.plain.keys()];
  }

  /** A reference to this record, for REFERENCE fields of other records. */
  toReference(action: 'NONE' | 'DELETE_SELF' | 'VALIDATE' = 'NONE'): { recordName: string; zoneID?: ZoneID; action: typeof action } {
    return { recordName: this.recordName, ...(this.zoneID === undefined ? {} : { zoneID: this.zoneID }), action };
  }

  /**
   * A view object whose property writes go through type checks. Writing `undefined`
   * removes the field; assigning a name here removes it from the other map.
   */
  private mapView(own: Map<string, FieldValue>, other: Map<string, FieldValue>, encrypted: boolean): FieldMap {
    const set = (name: string, value: unknown): void => {
      if (value === undefined || value === null) {
        if (own.delete(name)) this.removed.add(name);
        return;
      }
      const type = this.types.get(name) ?? inferFieldType(name, value);
      if (encrypted) assertEncryptable(name, type);
      own.set(name, normalizeValue(name, type, value));
      other.delete(name);
      this.removed.delete(name);
    };
    return new Proxy(Object.create(null) as FieldMap, {
      get: (_target, name) => (typeof name === 'string' ? own.get(name) : undefined),
      set: (_target, name, value) => {
        if (typeof name !== 'string') throw new InvalidFieldError(String(name), 'field names are strings');
        set(name, value);
        return true;
      },
      deleteProperty: (_target, name) => {
        if (typeof name === 'string' && own.delete(name)) this.removed.add(name);
        return true;
      },
      has: (_target, name) => typeof name === 'string' && own.has(name),
      ownKeys: () => [...own.keys()],
      getOwnPropertyDescriptor: (_target, name) =>
        typeof name === 'string' && own.has(name)
          ? { value: own.get(name), writable: true, enumerable: true, configurable: true }
          : undefined,
      defineProperty: (_target, name, descriptor) => {
        if (typeof name !== 'string') return false;
        set(name, descriptor.value);
        return true;
      },
    });
  }

  /** Fields deleted locally since the record was fetched or saved (sent as removals by `update`). */
  removedKeys(): string[] {
    return [...this.removed];
  }

  /** @internal After a successful save: local removals have reached the server. */
  markSaved(): void {
    this.removed.clear();
  }

  /** @internal Sets a value that came from the server, with its wire type. */
  loadField(name: string, type: FieldType, value: FieldValue, encrypted: boolean): void {
    this.types.set(name, type);
    (encrypted ? this.secret : this.plain).set(name, value);
  }
}

/** REFERENCE must stay readable by the server; ASSET/ASSETID are encrypted by the asset path. */
export function assertEncryptable(name: string, type: FieldType): void {
  if (type.startsWith('REFERENCE') || type.startsWith('ASSET')) throw new UnencryptableFieldError(name, type);
}
