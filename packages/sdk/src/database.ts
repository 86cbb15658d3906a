/**
 * A database of a container: `privateDatabase`, `sharedDatabase` or `publicDatabase`
 * (CloudKit JS `privateCloudDatabase` …). Method names follow CloudKit JS; paging
 * methods return async iterators instead of promise chains.
 */
import type { DatabaseScope, OperationType, RecordsLookupRequest, RecordsLookupResponse } from '@coffer/protocol';
import { RecordsBatchBuilder, type RecordOrName } from './batch.js';
import { fetchDatabaseChanges, fetchRecordZoneChanges, fetchZoneChanges, type DatabaseChangesOptions, type RecordZoneChangesRequest, type ZoneChangesOptions } from './changes.js';
import { assetDownload, type AssetDownload } from './assets/asset-download.js';
import { openAssetField } from './assets/asset-fields.js';
import { AssetSession, type AssetSource, type DownloadOptions, type UploadAssetOptions } from './assets/asset-session.js';
import type { CofferAsset } from './assets/asset-value.js';
import type { DatabaseContext } from './database-context.js';
import { isError, modifyRecords, recordError, type ModifyOptions } from './modify.js';
import { performQuery, type Query, type QueryOptions } from './query.js';
import { CofferRecord, type ZoneID } from './record.js';
import { RecordsResult, type DatabaseChangesPage, type Outcome, type PageIterator, type QueryPage, type RecordZone, type ZoneChangesPage, type ZonesResult } from './results.js';
import { deleteRecordZones, fetchAllRecordZones, fetchRecordZones, saveRecordZones, toZoneID, type ZoneRef } from './zones.js';

export interface SaveOptions extends ModifyOptions {
  /**
   * How to save. Default: `create` for records without a `recordChangeTag`, `update`
   * (merge, CONFLICT if stale) for records with one.
   */
  operationType?: Exclude<OperationType, 'delete' | 'forceDelete'>;
}

export interface FetchOptions {
  zoneID?: ZoneID;
  /** Fields to return; all when omitted. */
  desiredKeys?: string[];
}

export interface DeleteOptions extends ModifyOptions {
  /** Delete whatever the version (`forceDelete`). Default: `delete` when the record has a change tag, else `forceDelete`. */
  force?: boolean;
}

export class Database {
  #assets: AssetSession | undefined;

  /** @internal */
  constructor(private readonly ctx: DatabaseContext) {}

  /** `private`, `shared` or `public`. */
  get scope(): DatabaseScope {
    return this.ctx.scope;
  }

  // ── Zones ────────────────────────────────────────────────────────────────

  /** Creates zones. In the private database each new zone gets a device-generated key. */
  saveRecordZones(zones: ZoneRef | readonly ZoneRef[]): Promise<ZonesResult> {
    return saveRecordZones(this.ctx, asArray(zones));
  }

  fetchRecordZones(zones: ZoneRef | readonly ZoneRef[]): Promise<ZonesResult> {
    return fetchRecordZones(this.ctx, asArray(zones));
  }

  /** Deletes zones and every record in them. */
  deleteRecordZones(zones: ZoneRef | readonly ZoneRef[]): Promise<ZonesResult> {
    return deleteRecordZones(this.ctx, asArray(zones));
  }

  fetchAllRecordZones(): Promise<RecordZone[]> {
    return fetchAllRecordZones(this.ctx);
  }

  // ── Records ──────────────────────────────────────────────────────────────

  /**
   * Saves records; `encryptedValues` are encrypted on this device first. Saved records
   * are updated in place (new `recordChangeTag`). Per-record failures, such as a
   * `ConflictError` carrying `serverRecord`, are outcomes of the result, not thrown.
   */
  saveRecords(records: CofferRecord | readonly CofferRecord[], options: SaveOptions = {}): Promise<RecordsResult> {
    const { operationType, ...rest } = options;
    return modifyRecords(
      this.ctx,
      asArray(records).map((record) => ({ operationType: operationType ?? (record.recordChangeTag === undefined ? 'create' : 'update'), record })),
      rest,
    );
  }

  /** Fetches records by name and decrypts them. Missing records are `NotFoundError` outcomes. */
  async fetchRecords(records: RecordOrName | readonly RecordOrName[], options: FetchOptions = {}): Promise<RecordsResult> {
    const list = asArray(records);
    const zoneID = options.zoneID ?? list.find((r): r is CofferRecord => typeof r !== 'string')?.zoneID;
    const request: RecordsLookupRequest = { records: list.map((r) => ({ recordName: typeof r === 'string' ? r : r.recordName })) };
    if (zoneID !== undefined) request.zoneID = zoneID;
    if (options.desiredKeys !== undefined) request.desiredKeys = options.desiredKeys;
    const response = await this.ctx.post<RecordsLookupResponse>('records/lookup', request);
    const outcomes: Outcome<CofferRecord>[] = [];
    for (const result of response.records) {
      outcomes.push(isError(result) ? { ok: false, error: await recordError(this.ctx, result, zoneID) } : { ok: true, value: await this.ctx.codec.decode(result, zoneID) });
    }
    return new RecordsResult(outcomes);
  }

  /** Deletes records (by record or by name). */
  deleteRecords(records: RecordOrName | readonly RecordOrName[], options: DeleteOptions = {}): Promise<RecordsResult> {
    const { force, ...rest } = options;
    return modifyRecords(
      this.ctx,
      asArray(records).map((r) => {
        const record = typeof r === 'string' ? new CofferRecord({ recordType: '', recordName: r, ...(rest.zoneID === undefined ? {} : { zoneID: rest.zoneID }) }) : r;
        const operationType = force === true || record.recordChangeTag === undefined ? 'forceDelete' : 'delete';
        return { operationType, record };
      }),
      rest,
    );
  }

  /** A batch of any of the seven operation types, committed in one request. */
  newRecordsBatch(zoneID?: ZoneRef): RecordsBatchBuilder {
    return new RecordsBatchBuilder(this.ctx, zoneID === undefined ? undefined : toZoneID(zoneID));
  }

  /**
   * Runs a query; iterate the pages with `for await`, or `await …all()`.
   * @example
   * for await (const page of db.performQuery({ recordType: 'Note', sortBy: [{ fieldName: 'title' }] }, { zoneID })) {
   *   for (const note of page.records) console.log(note.fields.title);
   * }
   */
  performQuery(query: Query, options: QueryOptions = {}): PageIterator<QueryPage> {
    return performQuery(this.ctx, query, options);
  }

  /**
   * Record changes of one zone since `syncToken`, page by page (deletions included).
   * Persist each page's `syncToken` after applying the page.
   */
  fetchZoneChanges(zoneID: ZoneRef, options: ZoneChangesOptions = {}): PageIterator<ZoneChangesPage> {
    return fetchZoneChanges(this.ctx, toZoneID(zoneID), options);
  }

  /**
   * One page of record changes for each of several zones in one request (CloudKit JS
   * `fetchRecordZoneChanges`); continue a zone with `moreComing` via fetchZoneChanges.
   */
  fetchRecordZoneChanges(zones: readonly RecordZoneChangesRequest[]): Promise<Outcome<ZoneChangesPage>[]> {
    return fetchRecordZoneChanges(this.ctx, zones);
  }

  /** Zones changed or deleted since `syncToken`, page by page. */
  fetchDatabaseChanges(options: DatabaseChangesOptions = {}): PageIterator<DatabaseChangesPage> {
    return fetchDatabaseChanges(this.ctx, options);
  }

  // ── Assets (docs/SDK.md "Assets") ────────────────────────────────────────

  /**
   * Uploads a file (path), bytes or byte stream as an asset — chunked, encrypted on this
   * device, sending only chunks the server lacks — and returns the value for an ASSET
   * field: `record.fields.photo = await db.uploadAsset('cat.jpg')`, then save the record
   * (the save fails with `ValidatingReferenceError` if a chunk is missing). Private database only.
   */
  uploadAsset(source: AssetSource, options: UploadAssetOptions = {}): Promise<CofferAsset> {
    try {
      return this.assets().upload(source, options);
    } catch (error) {
      // assets() refuses shared and public databases: a rejection, like every other call.
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /**
   * The asset in `fieldName` (element `position` of an ASSET_LIST) of a fetched record:
   * name, type and size, and its bytes as an async iterable; each chunk is verified before
   * its bytes are yielded (`DecryptionError` on a corrupted or swapped chunk).
   */
  downloadAsset(record: CofferRecord, fieldName: string, options: DownloadOptions & { position?: number } = {}): Promise<AssetDownload> {
    try {
      const zone = this.ctx.codec.resolveZone(record.zoneID);
      const manifest = openAssetField(record, fieldName, options.position ?? 0, {
        container: this.ctx.container, database: this.ctx.scope, zoneName: zone.zoneName, ownerRecordName: zone.ownerRecordName, recordName: record.recordName,
      });
      return Promise.resolve(assetDownload(this.assets(), manifest, options));
    } catch (error) {
      // Failures (DecryptionError, …) as rejections, like every other database call.
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /** The asset session of this database: many files in one pipeline, chunk-level access (Drive, Backup). */
  assets(): AssetSession {
    this.#assets ??= new AssetSession(this.ctx, () => this.ctx.account.keychainKey());
    return this.#assets;
  }
}

function asArray<T>(value: T | readonly T[]): readonly T[] {
  return Array.isArray(value) ? (value as readonly T[]) : [value as T];
}
