/**
 * `records/modify`: encodes (and encrypts) operations, sends them in requests of at most
 * 200, and turns the answer into one outcome per operation. Saved records are updated in
 * place (new `recordChangeTag`, stamps, and the record key for later merging updates).
 */
import {
  Limits,
  type ErrorEnvelope,
  type OperationType,
  type RecordOperation,
  type RecordResult,
  type RecordsLookupResponse,
  type RecordsModifyRequest,
  type RecordsModifyResponse,
  type RecordWire,
  type ZoneIDWire,
} from '@coffer/protocol';
import { pendingAssetFields } from './assets/asset-fields.js';
import type { DatabaseContext } from './database-context.js';
import { InvalidArgumentError, type CofferError } from './errors.js';
import { CofferRecord, getRecordKeyState, setRecordKeyState, type RecordKeyState, type ZoneID } from './record.js';
import { RecordsResult, type Outcome } from './results.js';
import { ConflictError, errorFromEnvelope } from './server-errors.js';

/** One operation of a batch. */
export interface ModifyOperation {
  operationType: OperationType;
  record: CofferRecord;
}

export interface ModifyOptions {
  /** The zone of every record in the request; defaults to the records' `zoneID`, then the default zone. */
  zoneID?: ZoneID;
  /**
   * All or nothing: if one operation fails, none is applied and the others report
   * `AtomicError`. Atomic requests are not split, so they are limited to 200 operations.
   */
  atomic?: boolean;
  /** Fields the server should return in the saved records. */
  desiredKeys?: string[];
}

const DELETES: ReadonlySet<OperationType> = new Set(['delete', 'forceDelete']);
/** Operations that merge into the server's record, so new fields must use its record key. */
const MERGES: ReadonlySet<OperationType> = new Set(['update', 'forceUpdate']);

export async function modifyRecords(ctx: DatabaseContext, operations: readonly ModifyOperation[], options: ModifyOptions = {}): Promise<RecordsResult> {
  const zoneID = commonZone(operations.map((op) => op.record), options.zoneID);
  const chunks = options.atomic === true ? [operations] : chunk(operations, Limits.operationsPerRequest);
  const outcomes: Outcome<CofferRecord>[] = [];
  for (const part of chunks) outcomes.push(...(await modifyChunk(ctx, part, zoneID, options)));
  return new RecordsResult(outcomes);
}

async function modifyChunk(ctx: DatabaseContext, operations: readonly ModifyOperation[], zoneID: ZoneIDWire | undefined, options: ModifyOptions): Promise<Outcome<CofferRecord>[]> {
  const existing = await existingRecordKeys(ctx, operations, zoneID);
  const keyStates: (RecordKeyState | undefined)[] = [];
  const wireOps: RecordOperation[] = [];
  for (const op of operations) {
    if (DELETES.has(op.operationType)) {
      // CloudKit deletes by name; the type is sent only when known (a bare name has none).
      const record = { recordName: op.record.recordName } as RecordWire;
      if (op.record.recordType !== '') record.recordType = op.record.recordType;
      if (op.record.recordChangeTag !== undefined) record.recordChangeTag = op.record.recordChangeTag;
      wireOps.push({ operationType: op.operationType, record });
      keyStates.push(undefined);
      continue;
    }
    const lookup = (r: CofferRecord): Promise<RecordKeyState | undefined> => Promise.resolve(MERGES.has(op.operationType) ? existing.get(r.recordName) : undefined);
    // A forceUpdate must use the server's current key, even over one cached on the record.
    if (op.operationType === 'forceUpdate' && existing.has(op.record.recordName)) setRecordKeyState(op.record, existing.get(op.record.recordName));
    const { wire, keyState } = await ctx.codec.encode(op.record, zoneID, lookup, MERGES.has(op.operationType));
    wireOps.push({ operationType: op.operationType, record: wire });
    keyStates.push(keyState);
  }
  const request: RecordsModifyRequest = { operations: wireOps };
  if (zoneID !== undefined) request.zoneID = zoneID;
  if (options.atomic !== undefined) request.atomic = options.atomic;
  if (options.desiredKeys !== undefined) request.desiredKeys = options.desiredKeys;
  const response = await ctx.post<RecordsModifyResponse>('records/modify', request);

  const outcomes: Outcome<CofferRecord>[] = [];
  for (const [i, op] of operations.entries()) {
    const result = matchResult(response.records, i, op.record.recordName);
    if (result === undefined) {
      outcomes.push({ ok: false, error: errorFromEnvelope({ uuid: '', serverErrorCode: 'INTERNAL_ERROR', reason: 'the server returned no result for this operation', recordName: op.record.recordName }) });
    } else if (isError(result)) {
      outcomes.push({ ok: false, error: await recordError(ctx, result, zoneID) });
    } else {
      applySaved(op, result, keyStates[i], ctx.codec.resolveZone(result.zoneID ?? zoneID));
      outcomes.push({ ok: true, value: op.record });
    }
  }
  return outcomes;
}

/**
 * The record keys of records an `update`/`forceUpdate` is about to merge into, for
 * records that carry encrypted values but were not fetched on this device: the new
 * fields must be encrypted under the key the server's remaining fields use.
 */
async function existingRecordKeys(ctx: DatabaseContext, operations: readonly ModifyOperation[], zoneID: ZoneIDWire | undefined): Promise<Map<string, RecordKeyState>> {
  const names = operations.filter((op) => needsServerKey(op)).map((op) => op.record.recordName);
  const found = new Map<string, RecordKeyState>();
  if (names.length === 0) return found;
  const response = await ctx.post<RecordsLookupResponse>('records/lookup', {
    records: names.map((recordName) => ({ recordName })),
    ...(zoneID === undefined ? {} : { zoneID }),
    desiredKeys: [],
  });
  for (const result of response.records) {
    if (isError(result)) continue;
    // Throws DecryptionError rather than silently starting a second record key, which
    // would leave the record's older encrypted fields unreadable.
    const state = await ctx.codec.recordKeyOf(result, zoneID);
    if (state !== undefined) found.set(result.recordName, state);
  }
  return found;
}

/**
 * `update` carries a change tag, so a key this device already holds for the record is
 * still the server's. `forceUpdate` does not: another device may have replaced the record
 * (and its key) since, so its key is always read from the server.
 */
function needsServerKey(op: ModifyOperation): boolean {
  if (!MERGES.has(op.operationType) || (op.record.encryptedKeys().length === 0 && pendingAssetFields(op.record).length === 0)) return false;
  return op.operationType === 'forceUpdate' || getRecordKeyState(op.record) === undefined;
}

function applySaved(op: ModifyOperation, saved: RecordWire, keyState: RecordKeyState | undefined, zoneID: Required<ZoneIDWire>): void {
  const record = op.record;
  record.zoneID = zoneID;
  if (DELETES.has(op.operationType)) {
    record.deleted = true;
    record.recordChangeTag = undefined;
    setRecordKeyState(record, undefined);
    return;
  }
  record.recordChangeTag = saved.recordChangeTag;
  record.created = saved.created ?? record.created;
  record.modified = saved.modified ?? record.modified;
  record.deleted = false;
  record.markSaved();
  if (keyState !== undefined) setRecordKeyState(record, keyState);
}

/** A per-record error; a CONFLICT gets the server's record decoded (and decrypted) for merging. */
export async function recordError(ctx: DatabaseContext, envelope: ErrorEnvelope, zoneID: ZoneIDWire | undefined): Promise<CofferError> {
  const error = errorFromEnvelope(envelope);
  if (error instanceof ConflictError && envelope.serverRecord !== undefined) {
    error.serverRecord = await ctx.codec.decode(envelope.serverRecord as RecordWire, zoneID);
  }
  return error;
}

export function isError(result: RecordResult): result is ErrorEnvelope {
  return typeof (result as Partial<ErrorEnvelope>).serverErrorCode === 'string';
}

/** CloudKit answers in request order; fall back to the record name if the counts differ. */
function matchResult(results: readonly RecordResult[], index: number, recordName: string): RecordResult | undefined {
  const atIndex = results[index];
  if (atIndex !== undefined && atIndex.recordName === recordName) return atIndex;
  return results.find((r) => r.recordName === recordName) ?? atIndex;
}

/** The one zone all records of a request share (a request has a single `zoneID`). */
function commonZone(records: readonly CofferRecord[], explicit: ZoneID | undefined): ZoneIDWire | undefined {
  let zone = explicit;
  for (const record of records) {
    if (record.zoneID === undefined) continue;
    if (zone === undefined) zone = record.zoneID;
    else if (zone.zoneName !== record.zoneID.zoneName || (zone.ownerRecordName ?? record.zoneID.ownerRecordName) !== (record.zoneID.ownerRecordName ?? zone.ownerRecordName)) {
      throw new InvalidArgumentError(`record ${record.recordName} is in zone ${record.zoneID.zoneName}, not ${zone.zoneName}: one request writes one zone`);
    }
  }
  return zone === undefined ? undefined : { ...zone };
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out.length === 0 ? [[]] : out;
}
