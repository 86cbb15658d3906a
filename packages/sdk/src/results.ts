/**
 * Results of multi-record and multi-zone operations. CloudKit reports failures per
 * record inside a successful response; so do we: every operation gets an outcome, in
 * request order, and nothing is thrown for per-record failures unless you ask with
 * `throwIfErrors()` (which throws `PartialFailureError`). Whole-request failures
 * (authentication, malformed request, throttling after retries) are thrown.
 */
import { PartialFailureError, type CofferError } from './errors.js';
import type { CofferRecord, ZoneID } from './record.js';

/** The outcome of one operation of a batch. */
export type Outcome<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: CofferError };

class Results<T> {
  constructor(
    /** One outcome per operation, in request order. */
    readonly outcomes: readonly Outcome<T>[],
  ) {}
  /** The successes, in request order. */
  protected successes(): T[] {
    return this.outcomes.flatMap((o) => (o.ok ? [o.value] : []));
  }
  /** The per-operation errors (typed: `ConflictError`, `AtomicError`, `NotFoundError`, …). */
  get errors(): CofferError[] {
    return this.outcomes.flatMap((o) => (o.ok ? [] : [o.error]));
  }
  get hasErrors(): boolean {
    return this.outcomes.some((o) => !o.ok);
  }
  /** Returns `this` when every operation succeeded; throws `PartialFailureError` otherwise. */
  throwIfErrors(): this {
    if (this.hasErrors) throw new PartialFailureError(this.errors, this.successes());
    return this;
  }
}

/** Result of saveRecords, fetchRecords, deleteRecords and batch commits. */
export class RecordsResult extends Results<CofferRecord> {
  /** The records that succeeded (saved records are the objects you passed, updated in place). */
  get records(): CofferRecord[] {
    return this.successes();
  }
}

/** A record zone. */
export interface RecordZone {
  zoneID: Required<ZoneID>;
  syncToken?: string;
  atomic?: boolean;
  deleted?: boolean;
}

/** Result of saveRecordZones, fetchRecordZones and deleteRecordZones. */
export class ZonesResult extends Results<RecordZone> {
  get zones(): RecordZone[] {
    return this.successes();
  }
}

/** One page of `performQuery`. */
export interface QueryPage {
  records: CofferRecord[];
  /** Per-record errors the server put in the page (rare). */
  errors: CofferError[];
  /** Present while more pages follow; the iterator follows it for you. */
  continuationMarker?: string;
}

/** One page of `fetchZoneChanges`: apply it, then persist `syncToken`. */
export interface ZoneChangesPage {
  zoneID: Required<ZoneID>;
  /** Records created or changed since the previous token (decrypted). */
  changed: CofferRecord[];
  /** Names of records deleted since the previous token. */
  deleted: string[];
  /** Every record of the page in server order, deletions included (`record.deleted`). */
  records: CofferRecord[];
  syncToken: string;
  moreComing: boolean;
}

/** One page of `fetchDatabaseChanges`: zones changed or deleted since the token. */
export interface DatabaseChangesPage {
  zones: RecordZone[];
  syncToken: string;
  moreComing: boolean;
}

/**
 * An async iterator over pages that can also collect everything (`all()`). Each
 * iteration starts from the beginning; pages are fetched lazily, one request per page.
 */
export class PageIterator<P> implements AsyncIterable<P> {
  constructor(private readonly pages: () => AsyncGenerator<P, void, undefined>) {}
  [Symbol.asyncIterator](): AsyncIterator<P> {
    return this.pages();
  }
  /** Fetches every page. */
  async all(): Promise<P[]> {
    const out: P[] = [];
    for await (const page of this) out.push(page);
    return out;
  }
}
