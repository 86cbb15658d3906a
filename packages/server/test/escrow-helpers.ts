/** Test helpers for the escrow suites: a zone in a user's private database and the record path's key access to it. */
import type { TestStore } from '@coffer/storage';
import type { RequestTarget } from '../src/http/request-target.js';
import { escrowContext } from '../src/records/escrow-bridge.js';
import type { EscrowRecordContext } from '../src/records/escrow-port.js';

export const CONTAINER = 'iCloud.com.example.escrow';

export function privateTarget(owner: string, container = CONTAINER): RequestTarget {
  return {
    container,
    environment: 'development',
    scope: 'private',
    userRecordName: owner,
    ref: { container, environment: 'development', scope: 'private', owner },
    ownerRecordName: owner,
    isSdk: false,
    deviceId: 'web',
    quotaSubject: `user:${owner}`,
  };
}

/** The record path's escrow context for a record in `zoneName` of `owner`'s private database (zone created). */
export async function recordContext(store: TestStore, owner: string, zoneName: string, recordName: string, container = CONTAINER): Promise<EscrowRecordContext> {
  const target = privateTarget(owner, container);
  const database = await store.databases.ensure(target.ref);
  await store.zones.create(database.id, zoneName, { atomic: true, zoneKeys: null });
  return escrowContext(store, target, database.id, zoneName, { recordName, recordType: 'Note' });
}
