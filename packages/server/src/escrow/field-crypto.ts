/**
 * Field values between the record path's normalised plaintext (INT64 as decimal strings,
 * BYTES as base64, TIMESTAMP as ms, …) and field envelopes (crypto core "Field envelope
 * v1", base64 — exactly what the SDK stores), under the same field context the SDK binds.
 */
import { decryptField, encryptField, fieldValueFromWire, fieldValueToWire, fromBase64, toBase64, type FieldContext, type SymmetricKey } from '@coffer/crypto';
import type { FieldType } from '@coffer/protocol';
import type { EscrowRecordContext } from '../records/escrow-port.js';
import { badValue } from './errors.js';

export function fieldContext(ctx: EscrowRecordContext, fieldName: string, fieldType: FieldType): FieldContext {
  if (ctx.database === 'public') throw new Error('encrypted fields do not exist in the public database');
  return {
    container: ctx.container,
    environment: ctx.environment,
    database: ctx.database,
    zoneName: ctx.zoneName,
    ownerRecordName: ctx.ownerRecordName,
    recordName: ctx.recordName,
    fieldName,
    fieldType,
  };
}

/** @throws CloudError BAD_REQUEST when the value does not fit the type (never quoting it). */
export function sealValue(recordKey: SymmetricKey, ctx: EscrowRecordContext, fieldName: string, type: FieldType, value: unknown): string {
  let plain;
  try {
    plain = fieldValueFromWire(type, value);
  } catch {
    throw badValue(fieldName, type);
  }
  try {
    return toBase64(encryptField(recordKey, fieldContext(ctx, fieldName, type), plain));
  } catch {
    // FieldTypeError (REFERENCE/ASSET) or a value the encoder rejects.
    throw badValue(fieldName, `encryptable ${type}`);
  }
}

/** The normalised plaintext, or undefined when the envelope does not open (tampered, other key). */
export function openValue(recordKey: SymmetricKey, ctx: EscrowRecordContext, fieldName: string, type: FieldType, ciphertext: string): unknown {
  try {
    const value = decryptField(recordKey, fieldContext(ctx, fieldName, type), fromBase64(ciphertext));
    return fieldValueToWire(type, value, { int64AsString: true });
  } catch {
    return undefined;
  }
}
