/**
 * What the record path needs from the Standard-protection escrow (packages/server/src/escrow,
 * the only server code that may use @coffer/crypto). A plain web-services client sends
 * `{value, type, isEncrypted: true}`; the server seals such values under the zone's keys
 * (service key escrowed to the server → zone key → record key) before storing them, and
 * opens them again for clients that do not send `X-Coffer-Client: sdk`.
 *
 * The record path owns storage of keys: it hands the escrow an EscrowKeyAccess bound to
 * the caller's account and zone, and stores what the escrow returns.
 */
import type { DatabaseScope, Environment, FieldType, ProtectionInfo, ServiceKeyRecoverResponse, WrappedZoneKeyWire } from '@coffer/protocol';

/** A service key as stored (wrapped blobs, base64). */
export interface EscrowServiceKey {
  keyId: string;
  version: number;
  category: string;
  wrappedByKeychain: string | null;
  escrowSealed: string | null;
}

/** Reads and race-safe inserts of the keys of one account and zone. */
export interface EscrowKeyAccess {
  /** The zone's keys, oldest first. */
  zoneKeys(): Promise<WrappedZoneKeyWire[]>;
  /** Adds `key` unless the zone already has that version; returns the zone's keys afterwards (the race winner's). */
  addZoneKey(key: WrappedZoneKeyWire): Promise<WrappedZoneKeyWire[]>;
  /** All service keys of the account. */
  serviceKeys(): Promise<EscrowServiceKey[]>;
  /** Adds a service key unless one with its keyId exists; returns the key now stored. */
  addServiceKey(key: EscrowServiceKey): Promise<EscrowServiceKey>;
}

/** Where a record lives: the escrow binds ciphertext to this (as the SDK's field context does). */
export interface EscrowRecordContext {
  container: string;
  environment: Environment;
  database: DatabaseScope;
  ownerRecordName: string;
  zoneName: string;
  recordName: string;
  recordType: string;
  keys: EscrowKeyAccess;
}

/** A plaintext value as the record path normalised it (INT64 as decimal strings, BYTES base64, …). */
export interface EscrowPlainField {
  type: FieldType;
  value: unknown;
}

export interface EscrowSealRequest extends EscrowRecordContext {
  fields: Record<string, EscrowPlainField>;
  /** The stored record's protectionInfo when a merging write keeps its other encrypted fields; reuse its record key. */
  existingProtection: ProtectionInfo | null;
}

export interface EscrowSealResult {
  /** base64 field envelope per field name. */
  ciphertexts: Record<string, string>;
  protectionInfo: ProtectionInfo;
}

export interface EscrowOpenRequest extends EscrowRecordContext {
  fields: Record<string, { type: FieldType; ciphertext: string }>;
  protectionInfo: ProtectionInfo | null;
}

export interface EscrowOpenResult {
  /** Plaintext values (normalised form) of the fields the escrow could open. */
  values: Record<string, unknown>;
}

export interface RecordEscrow {
  /**
   * Seals plaintext values. Throws an error with `serverErrorCode` (e.g. BAD_REQUEST when
   * the account is in Advanced Data Protection and the server holds no keys).
   */
  sealFields(request: EscrowSealRequest): Promise<EscrowSealResult>;
  /** Opens what it can; fields it cannot open (ADP, device-only keys) are left out. */
  openFields(request: EscrowOpenRequest): Promise<EscrowOpenResult>;
  /** keys/service/recover: the raw service key out of its escrow copy. */
  recoverServiceKey(request: { ownerRecordName: string; key: EscrowServiceKey }): Promise<ServiceKeyRecoverResponse>;
}
