/**
 * Request and response bodies of the record API, one pair per endpoint under
 * `/database/1/{container}/{environment}/{database}/…`. docs/API.md documents them.
 */
import type { ErrorEnvelope } from './errors.js';
import type { FieldType, FieldWireValue, ZoneIDWire } from './fields.js';
import type { OperationType, RecordWire, ZoneOperationType, ZoneWire } from './records.js';

export type RecordResult = RecordWire | ErrorEnvelope;
export type ZoneResult = ZoneWire | ErrorEnvelope;

export interface RecordOperation {
  operationType: OperationType;
  record: RecordWire;
  desiredKeys?: string[];
}
export interface RecordsModifyRequest {
  operations: RecordOperation[];
  zoneID?: ZoneIDWire;
  atomic?: boolean;
  numbersAsStrings?: boolean;
  desiredKeys?: string[];
}
export interface RecordsModifyResponse {
  records: RecordResult[];
}

export interface RecordsLookupRequest {
  records: { recordName: string }[];
  zoneID?: ZoneIDWire;
  desiredKeys?: string[];
  numbersAsStrings?: boolean;
}
export interface RecordsLookupResponse {
  records: RecordResult[];
}

export const Comparators = [
  'EQUALS', 'NOT_EQUALS', 'LESS_THAN', 'LESS_THAN_OR_EQUALS', 'GREATER_THAN', 'GREATER_THAN_OR_EQUALS',
  'IN', 'NOT_IN', 'BEGINS_WITH', 'LIST_CONTAINS',
] as const;
export type Comparator = (typeof Comparators)[number];

export interface QueryFilter {
  comparator: Comparator;
  fieldName: string;
  fieldValue: { value: FieldWireValue; type?: FieldType };
}
export interface QuerySort {
  fieldName: string;
  ascending?: boolean;
}
export interface RecordsQueryRequest {
  zoneID?: ZoneIDWire;
  resultsLimit?: number;
  query: { recordType: string; filterBy?: QueryFilter[]; sortBy?: QuerySort[] };
  desiredKeys?: string[];
  continuationMarker?: string;
  numbersAsStrings?: boolean;
}
export interface RecordsQueryResponse {
  records: RecordResult[];
  continuationMarker?: string;
}

export interface RecordsChangesRequest {
  zoneID: ZoneIDWire;
  syncToken?: string;
  resultsLimit?: number;
  desiredKeys?: string[];
}
export interface RecordsChangesResponse {
  zoneID: ZoneIDWire;
  records: RecordWire[];
  syncToken: string;
  moreComing: boolean;
}

export interface ZonesListResponse {
  zones: ZoneWire[];
}
export interface ZonesLookupRequest {
  zones: ZoneIDWire[];
}
export interface ZonesLookupResponse {
  zones: ZoneResult[];
}
export interface ZoneOperation {
  operationType: ZoneOperationType;
  zone: ZoneWire;
}
export interface ZonesModifyRequest {
  operations: ZoneOperation[];
}
export interface ZonesModifyResponse {
  zones: ZoneResult[];
}
export interface ZonesChangesRequest {
  syncToken?: string;
  resultsLimit?: number;
}
export interface ZonesChangesResponse {
  zones: ZoneWire[];
  syncToken: string;
  moreComing: boolean;
}

/** `changes/database` (CloudKit JS v2): which zones changed since the token. */
export type DatabaseChangesRequest = ZonesChangesRequest;
export type DatabaseChangesResponse = ZonesChangesResponse;

/** `changes/zone`: record changes for several zones at once. */
export interface ZoneChangesRequest {
  zones: { zoneID: ZoneIDWire; syncToken?: string; resultsLimit?: number; desiredKeys?: string[] }[];
}
export interface ZoneChangesResponse {
  zones: (RecordsChangesResponse | ErrorEnvelope)[];
}

export interface UsersCallerResponse {
  userRecordName: string;
  emailAddress?: string;
  protectionMode: 'standard' | 'advanced';
}
