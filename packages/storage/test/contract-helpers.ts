/** Shared helpers of the storage contract suite. */
import { randomUUID } from 'node:crypto';
import type { BatchInput, BatchOperation, DatabaseRef, Store, StoredFields } from '../src/index.js';

export function newRef(scope: DatabaseRef['scope'] = 'private'): DatabaseRef {
  return { container: 'iCloud.com.example.contract', environment: 'development', scope, owner: `_${randomUUID().replaceAll('-', '')}` };
}

export interface Db {
  store: Store;
  ref: DatabaseRef;
  databaseId: number;
  batch(operations: BatchOperation[], options?: Partial<BatchInput>): ReturnType<Store['records']['applyBatch']>;
  zoneId(zoneName?: string): Promise<number>;
}

export async function freshDb(store: Store, scope: DatabaseRef['scope'] = 'private'): Promise<Db> {
  const ref = newRef(scope);
  const info = await store.databases.ensure(ref);
  return {
    store,
    ref,
    databaseId: info.id,
    batch: (operations, options = {}) =>
      store.records.applyBatch({
        databaseId: info.id,
        zoneName: '_defaultZone',
        atomic: false,
        actor: { userRecordName: ref.owner, deviceId: 'test' },
        now: Date.now(),
        quota: { subject: `user:${ref.owner}`, limitBytes: 1e9 },
        maxRecordBytes: 1_000_000,
        operations,
        ...options,
      }),
    async zoneId(zoneName = '_defaultZone') {
      const zone = await store.zones.find(info.id, zoneName);
      if (!zone) throw new Error(`no zone ${zoneName}`);
      return zone.id;
    },
  };
}

export const str = (value: string) => ({ type: 'STRING', value });
export const int = (value: string | number) => ({ type: 'INT64', value: String(value) });
export const dbl = (value: number) => ({ type: 'DOUBLE', value });

export function create(recordName: string, fields: StoredFields, recordType = 'Item'): BatchOperation {
  return { kind: 'create', recordName, recordType, fields };
}
