/**
 * Decoded fields → stored fields. Values a plain client sent with `isEncrypted: true`
 * are sealed by the escrow here, so no plaintext of an encrypted field reaches storage.
 */
import { isServerErrorCode, type ProtectionInfo } from '@coffer/protocol';
import type { StoredField, StoredRecord } from '@coffer/storage';
import type { RequestTarget } from '../http/request-target.js';
import type { ApiContext } from '../routes/api-context.js';
import { escrowContext } from './escrow-bridge.js';
import type { EscrowPlainField } from './escrow-port.js';
import type { DecodedField } from './field-decode.js';
import type { RecordHead } from './record-decode.js';
import { RecordError, recordBadRequest } from './record-error.js';
import type { ResolvedZone } from './zone-resolve.js';

interface SealInput {
  head: RecordHead;
  kind: string;
  recordType: string | undefined;
  fields: Record<string, DecodedField>;
}

export async function sealRecordFields(
  ctx: ApiContext,
  target: RequestTarget,
  zone: ResolvedZone,
  p: SealInput,
  existing: StoredRecord | undefined,
): Promise<{ fields: Record<string, StoredField | null>; protection: unknown }> {
  const fields: Record<string, StoredField | null> = {};
  const toSeal: Record<string, EscrowPlainField> = {};
  let hasCiphertext = false;
  for (const [name, f] of Object.entries(p.fields)) {
    if (f.kind === 'remove') fields[name] = null;
    else if (f.kind === 'plain') fields[name] = { type: f.type, value: f.value };
    else if (f.kind === 'ciphertext') {
      hasCiphertext = true;
      fields[name] = { type: f.type, encrypted: true, ciphertext: f.ciphertext };
    } else toSeal[name] = { type: f.type, value: f.value };
  }
  if (Object.keys(toSeal).length === 0) return { fields, protection: p.head.protection };
  if (hasCiphertext || (p.head.protection !== undefined && p.head.protection !== null)) {
    throw recordBadRequest('a record sends either device-encrypted fields (ciphertext + protectionInfo) or isEncrypted plaintext values for the server to encrypt, not both');
  }
  const merging = p.kind === 'update' || p.kind === 'forceUpdate';
  const live = existing && !existing.deleted ? existing : undefined;
  try {
    const sealed = await ctx.escrow.sealFields({
      ...escrowContext(ctx.store, target, zone.databaseId, zone.zoneName, { recordName: p.head.recordName, recordType: p.recordType ?? live?.recordType ?? '' }),
      fields: toSeal,
      existingProtection: merging ? ((live?.protection as ProtectionInfo | null | undefined) ?? null) : null,
    });
    for (const name of Object.keys(toSeal)) {
      const ciphertext = sealed.ciphertexts[name];
      if (ciphertext === undefined) throw new Error(`escrow returned no ciphertext for field ${name}`);
      fields[name] = { type: toSeal[name]!.type, encrypted: true, ciphertext };
    }
    return { fields, protection: sealed.protectionInfo };
  } catch (error) {
    const e = error as { serverErrorCode?: unknown; reason?: unknown };
    if (isServerErrorCode(e.serverErrorCode) && typeof e.reason === 'string') throw new RecordError(e.serverErrorCode, e.reason);
    throw error;
  }
}
