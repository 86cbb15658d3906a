/**
 * Binds the escrow port to storage for one account and zone, and wraps the escrow's
 * seal/open calls for the record paths.
 */
import type { ProtectionInfo, WrappedZoneKeyWire } from '@coffer/protocol';
import type { Store, StoredRecord } from '@coffer/storage';
import type { RequestTarget } from '../http/request-target.js';
import type { EscrowKeyAccess, EscrowRecordContext, EscrowServiceKey, RecordEscrow } from './escrow-port.js';
import type { FieldType } from '@coffer/protocol';

const asKeyList = (value: unknown): WrappedZoneKeyWire[] => (Array.isArray(value) ? (value as WrappedZoneKeyWire[]) : []);

export function keyAccessFor(store: Store, target: RequestTarget, databaseId: number, zoneName: string): EscrowKeyAccess {
  const owner = target.ref.owner;
  const toEscrowKey = (k: { keyId: string; version: number; category: string; wrappedByKeychain: string | null; escrowSealed: string | null }): EscrowServiceKey => ({
    keyId: k.keyId,
    version: k.version,
    category: k.category,
    wrappedByKeychain: k.wrappedByKeychain,
    escrowSealed: k.escrowSealed,
  });
  return {
    async zoneKeys() {
      return asKeyList((await store.zones.find(databaseId, zoneName))?.zoneKeys);
    },
    async addZoneKey(key) {
      const zone = await store.zones.updateKeys(databaseId, zoneName, (current) => {
        const keys = asKeyList(current);
        return keys.some((k) => k.version === key.version) ? keys : [...keys, key];
      });
      return asKeyList(zone?.zoneKeys);
    },
    async serviceKeys() {
      return (await store.serviceKeys.list(owner)).map(toEscrowKey);
    },
    async addServiceKey(key) {
      // On a lost race for the category's version this is the winner's key — the one to use.
      return toEscrowKey(await store.serviceKeys.putIfAbsent({ owner, ...key }));
    },
  };
}

export function escrowContext(store: Store, target: RequestTarget, databaseId: number, zoneName: string, record: { recordName: string; recordType: string }): EscrowRecordContext {
  return {
    container: target.container,
    environment: target.environment,
    database: target.scope,
    ownerRecordName: target.ownerRecordName,
    zoneName,
    recordName: record.recordName,
    recordType: record.recordType,
    keys: keyAccessFor(store, target, databaseId, zoneName),
  };
}

/**
 * Plaintext of a stored record's encrypted fields for a plain (non-SDK) client, where
 * the escrow can open them; fields it cannot open stay ciphertext in the response.
 */
export async function openForPlainClient(
  escrow: RecordEscrow,
  store: Store,
  target: RequestTarget,
  databaseId: number,
  zoneName: string,
  record: StoredRecord,
): Promise<Record<string, unknown>> {
  if (target.isSdk || record.deleted) return {};
  const fields: Record<string, { type: FieldType; ciphertext: string }> = {};
  for (const [name, field] of Object.entries(record.fields)) {
    if (field.encrypted) fields[name] = { type: field.type as FieldType, ciphertext: field.ciphertext };
  }
  if (Object.keys(fields).length === 0) return {};
  try {
    const result = await escrow.openFields({
      ...escrowContext(store, target, databaseId, zoneName, record),
      fields,
      protectionInfo: (record.protection as ProtectionInfo | null) ?? null,
    });
    return result.values;
  } catch {
    // Undecryptable (ADP, device-only key, tampering): the client gets the ciphertext form.
    return {};
  }
}
