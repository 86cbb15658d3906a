/**
 * The records batch builder (CloudKit JS `newRecordsBatch()`): queue any of the seven
 * operation types, then `commit()` them in one `records/modify` request.
 *
 * | operation      | needs recordChangeTag | fields                      |
 * |----------------|-----------------------|-----------------------------|
 * | create         | no (EXISTS if present)| as given                    |
 * | update         | yes (else CONFLICT)   | merged into the server's    |
 * | forceUpdate    | no                    | merged into the server's    |
 * | replace        | yes (else CONFLICT)   | replace all (others → gone) |
 * | forceReplace   | no                    | replace all                 |
 * | delete         | yes (else CONFLICT)   | —                           |
 * | forceDelete    | no                    | —                           |
 */
import type { OperationType } from '@coffer/protocol';
import type { DatabaseContext } from './database-context.js';
import { InvalidArgumentError } from './errors.js';
import { modifyRecords, type ModifyOperation } from './modify.js';
import { CofferRecord, type ZoneID } from './record.js';
import type { RecordsResult } from './results.js';

/** A record, or just its name (for deletes). */
export type RecordOrName = CofferRecord | string;

export class RecordsBatchBuilder {
  private readonly operations: ModifyOperation[] = [];
  private committed = false;

  constructor(
    private readonly ctx: DatabaseContext,
    private readonly zoneID: ZoneID | undefined,
  ) {}

  create(...records: CofferRecord[]): this {
    return this.add('create', records);
  }
  update(...records: CofferRecord[]): this {
    return this.add('update', records);
  }
  forceUpdate(...records: CofferRecord[]): this {
    return this.add('forceUpdate', records);
  }
  replace(...records: CofferRecord[]): this {
    return this.add('replace', records);
  }
  forceReplace(...records: CofferRecord[]): this {
    return this.add('forceReplace', records);
  }
  /** Deletes records whose `recordChangeTag` is still current. */
  delete(...records: RecordOrName[]): this {
    return this.add('delete', records);
  }
  /** Deletes records whatever their version. */
  forceDelete(...records: RecordOrName[]): this {
    return this.add('forceDelete', records);
  }

  /** Number of queued operations. */
  get size(): number {
    return this.operations.length;
  }

  /**
   * Sends the queued operations. Per-record failures come back as outcomes (see
   * `RecordsResult`); `atomic: true` makes the batch all-or-nothing.
   */
  async commit(options: { atomic?: boolean; desiredKeys?: string[] } = {}): Promise<RecordsResult> {
    if (this.committed) throw new InvalidArgumentError('this batch was already committed');
    this.committed = true;
    return modifyRecords(this.ctx, this.operations, {
      ...(this.zoneID === undefined ? {} : { zoneID: this.zoneID }),
      ...options,
    });
  }

  private add(operationType: OperationType, records: readonly RecordOrName[]): this {
    if (this.committed) throw new InvalidArgumentError('this batch was already committed');
    for (const r of records) {
      // A bare name is only meaningful for deletes; the type is not needed to delete.
      const record = typeof r === 'string' ? new CofferRecord({ recordType: '', recordName: r, ...(this.zoneID === undefined ? {} : { zoneID: this.zoneID }) }) : r;
      this.operations.push({ operationType, record });
    }
    return this;
  }
}
