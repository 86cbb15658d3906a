import type { FieldWire, ZoneIDWire } from './fields.js';

export const Environments = ['development', 'production'] as const;
export type Environment = (typeof Environments)[number];
export const DatabaseScopes = ['public', 'private', 'shared'] as const;
export type DatabaseScope = (typeof DatabaseScopes)[number];

export const DEFAULT_ZONE_NAME = '_defaultZone';

/** `{timestamp, userRecordName, deviceID}` as CloudKit sends it. */
export interface Stamp {
  timestamp: number;
  userRecordName: string;
  deviceID?: string;
}

/**
 * Coffer extension (CloudKit's `protectionInfo`, in our own versioned format):
 * the record key wrapped by a zone key. Present when any field is encrypted.
 */
export interface ProtectionInfo {
  /** base64 of a wrapped-key blob (docs/PROTOCOL.md, "Wrapped key v1"). */
  wrappedRecordKey: string;
  /** Which zone key version wrapped it. */
  zoneKeyVersion: number;
}

export interface RecordWire {
  recordName: string;
  recordType: string;
  recordChangeTag?: string;
  fields?: Record<string, FieldWire>;
  created?: Stamp;
  modified?: Stamp;
  deleted?: boolean;
  zoneID?: ZoneIDWire;
  protectionInfo?: ProtectionInfo;
}

/** A zone key version wrapped by the category's service key (Coffer extension). */
export interface WrappedZoneKeyWire {
  version: number;
  serviceKeyId: string;
  /** base64 wrapped-key blob. */
  wrappedKey: string;
}

export interface ZoneWire {
  zoneID: ZoneIDWire;
  syncToken?: string;
  atomic?: boolean;
  deleted?: boolean;
  /** Coffer extension: the zone's keys, newest last. */
  zoneKeys?: WrappedZoneKeyWire[];
}

export const OperationTypes = ['create', 'update', 'forceUpdate', 'replace', 'forceReplace', 'delete', 'forceDelete'] as const;
export type OperationType = (typeof OperationTypes)[number];

export const ZoneOperationTypes = ['create', 'update', 'delete'] as const;
export type ZoneOperationType = (typeof ZoneOperationTypes)[number];
