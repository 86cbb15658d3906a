/**
 * The seven CloudKit operationTypes as a pure decision: given the operation and the
 * record as it stands (or null), what should the record become, or which error applies.
 * No I/O here, so the semantics are testable and read in one place.
 *
 * - create       fails EXISTS if a live record has the name.
 * - update       needs the current recordChangeTag; merges the given fields into the record.
 * - forceUpdate  merges without a tag check; creates the record if it does not exist.
 * - replace      needs the current tag; the record's fields become exactly the given ones.
 * - forceReplace replaces without a tag check; creates the record if it does not exist.
 * - delete       needs the current tag.
 * - forceDelete  deletes without a tag check.
 */
import type { StoredField, StoredFields, StoredRecord } from './record-types.js';

export const BatchOperationKinds = ['create', 'update', 'forceUpdate', 'replace', 'forceReplace', 'delete', 'forceDelete'] as const;
export type BatchOperationKind = (typeof BatchOperationKinds)[number];

export interface BatchOperation {
  kind: BatchOperationKind;
  recordName: string;
  /** Required to create; if given on an existing record it must match its type. */
  recordType?: string;
  changeTag?: string;
  /** Fields to set; `null` removes a field (update/forceUpdate). */
  fields?: Record<string, StoredField | null>;
  /** protectionInfo: undefined keeps the current one (updates), null removes it. */
  protection?: unknown;
}

export type BatchErrorCode = 'EXISTS' | 'CONFLICT' | 'NOT_FOUND' | 'QUOTA_EXCEEDED' | 'LIMIT_EXCEEDED' | 'BAD_REQUEST' | 'ACCESS_DENIED' | 'ATOMIC_ERROR';

export interface BatchFailure {
  ok: false;
  code: BatchErrorCode;
  reason: string;
  recordName: string;
  /** The server's record on CONFLICT, so the client can merge. */
  serverRecord?: StoredRecord;
}

export type Decision =
  | { action: 'write'; recordType: string; fields: StoredFields; protection: unknown; isNew: boolean }
  | { action: 'delete' }
  | BatchFailure;

function withoutNulls(fields: Record<string, StoredField | null> | undefined): StoredFields {
  const out: StoredFields = {};
  for (const [name, field] of Object.entries(fields ?? {})) if (field !== null) out[name] = field;
  return out;
}

function merge(current: StoredFields, changes: Record<string, StoredField | null> | undefined): StoredFields {
  const removed = new Set(Object.entries(changes ?? {}).filter(([, f]) => f === null).map(([name]) => name));
  const out: StoredFields = {};
  for (const [name, field] of Object.entries(current)) if (!removed.has(name)) out[name] = field;
  return { ...out, ...withoutNulls(changes) };
}

const fail = (code: BatchErrorCode, recordName: string, reason: string, serverRecord?: StoredRecord): BatchFailure => ({
  ok: false,
  code,
  reason,
  recordName,
  ...(serverRecord ? { serverRecord } : {}),
});

/** `current` is the live record (tombstones are passed as null). */
export function decide(op: BatchOperation, current: StoredRecord | null): Decision {
  const name = op.recordName;
  const needsTag = op.kind === 'update' || op.kind === 'replace' || op.kind === 'delete';
  if (needsTag && (op.changeTag === undefined || op.changeTag === '')) {
    return fail('BAD_REQUEST', name, `operationType ${op.kind} requires the record's recordChangeTag (use force${op.kind[0]!.toUpperCase()}${op.kind.slice(1)} to skip the check)`);
  }
  if (op.kind === 'create') {
    if (current) return fail('EXISTS', name, `record ${name} already exists`);
  } else if (!current) {
    if (op.kind !== 'forceUpdate' && op.kind !== 'forceReplace') return fail('NOT_FOUND', name, `record ${name} does not exist`);
  } else if (needsTag && op.changeTag !== current.changeTag) {
    return fail('CONFLICT', name, `record ${name} was changed by another client (recordChangeTag ${op.changeTag ?? ''} is stale, the server has ${current.changeTag})`, current);
  }

  if (op.kind === 'delete' || op.kind === 'forceDelete') return { action: 'delete' };

  if (current && op.recordType !== undefined && op.recordType !== current.recordType) {
    return fail('BAD_REQUEST', name, `record ${name} has recordType ${current.recordType}; a record's type cannot change (sent ${op.recordType})`);
  }
  const recordType = current?.recordType ?? op.recordType;
  if (recordType === undefined || recordType === '') return fail('BAD_REQUEST', name, `recordType is required to create record ${name}`);

  const mergeFields = current && (op.kind === 'update' || op.kind === 'forceUpdate');
  const fields = mergeFields ? merge(current.fields, op.fields) : withoutNulls(op.fields);
  const protection = op.protection === undefined && mergeFields ? current.protection : (op.protection ?? null);
  return { action: 'write', recordType, fields, protection, isNew: !current };
}
