/**
 * Field envelope v1 (docs/PROTOCOL.md "Field envelope v1"): one encrypted field value.
 *
 *   version 0x01 (1) ‖ record key id (16) ‖ nonce (12) ‖ AES-256-GCM(pad(value)) ‖ tag (16)
 *
 * AD = lp("coffer/v1/field") ‖ lp(container) ‖ lp(environment) ‖ lp(database) ‖ lp(zoneName)
 *      ‖ lp(ownerRecordName) ‖ lp(recordName) ‖ lp(fieldName) ‖ lp(fieldType) ‖ version ‖ key id
 * so an envelope opens only in the exact field, record, zone, owner, database, environment and container
 * it was written for, under the type and key it names — moving or replaying it fails.
 */
import type { FieldType } from '@coffer/protocol';
import { aes256gcmSeal } from '#primitives';
import { fromHex, isWellFormedString, randomBytes, toHex } from './bytes.js';
import { ByteWriter } from './encoding.js';
import { DecryptionError, FieldTypeError, FormatError, KeyHierarchyError } from './errors.js';
import { decodeFieldValue, encodeFieldValue, isEncryptableType, type FieldValue } from './field-value.js';
import { aes256gcmOpenAs, type SymmetricKey } from './keys.js';
import { Labels } from './labels.js';
import { pad, unpad } from './padding.js';

export {
  encodeFieldValue, decodeFieldValue, fieldValueToWire, fieldValueFromWire, isEncryptableType,
  type FieldValue, type FieldValueOf, type EncryptableFieldType, type EncryptableScalarType, type ScalarFieldValues,
  type ToWireOptions,
} from './field-value.js';

/** Where a field lives; every member is bound into the AEAD associated data. */
export interface FieldContext {
  container: string;
  /** development and production are separate stores; a value copied across must not open. */
  environment: 'development' | 'production';
  database: 'private' | 'shared' | 'public';
  zoneName: string;
  ownerRecordName: string;
  recordName: string;
  fieldName: string;
  fieldType: FieldType;
}

export interface FieldEnvelopeHeader {
  readonly version: 1;
  /** Id of the record key that encrypted the field. */
  readonly keyId: string;
}

export const FIELD_ENVELOPE_V1 = 0x01;
const HEADER_LEN = 17;
const NONCE_LEN = 12;
/** Smallest padded plaintext: short values (booleans-as-INT64, short strings) all look alike. */
export const FIELD_PAD_MINIMUM = 32;

const AD_LABEL = new ByteWriter(32).lpString(Labels.fieldEnvelope).finish();

function contextAd(ctx: FieldContext, header: Uint8Array): Uint8Array {
  const w = new ByteWriter(160).bytes(AD_LABEL);
  for (const s of [ctx.container, ctx.environment, ctx.database, ctx.zoneName, ctx.ownerRecordName, ctx.recordName, ctx.fieldName, ctx.fieldType]) {
    // A lone surrogate would UTF-8-encode to U+FFFD and let two contexts collide.
    if (typeof s !== 'string' || !isWellFormedString(s)) throw new FormatError('field context: every member must be a well-formed string');
    w.lpString(s);
  }
  return w.bytes(header).finish();
}

function checkUse(key: SymmetricKey, ctx: FieldContext): void {
  if (key.kind !== 'record') throw new KeyHierarchyError(`fields are encrypted with a record key, not a ${key.kind} key`);
  if (!isEncryptableType(ctx.fieldType)) throw new FieldTypeError(ctx.fieldType);
}

/**
 * Encrypts one field value under a record key.
 * @throws {@link FieldTypeError} for REFERENCE/ASSET/ASSETID (and lists); {@link KeyHierarchyError}
 *   if `recordKey` is not a record key; {@link FormatError} if `value` does not fit `ctx.fieldType`.
 */
export function encryptField(recordKey: SymmetricKey, ctx: FieldContext, value: FieldValue): Uint8Array {
  return encryptFieldWithNonce(recordKey, ctx, value, randomBytes(NONCE_LEN));
}

/**
 * Internal (vectors): encryptField with a caller-chosen nonce. Random nonces are safe
 * because a record key encrypts at most a few thousand field versions (PROTOCOL.md "Nonce policy").
 */
export function encryptFieldWithNonce(recordKey: SymmetricKey, ctx: FieldContext, value: FieldValue, nonce: Uint8Array): Uint8Array {
  checkUse(recordKey, ctx);
  const header = new ByteWriter(HEADER_LEN).u8(FIELD_ENVELOPE_V1).bytes(fromHex(recordKey.id)).finish();
  const plaintext = pad(encodeFieldValue(ctx.fieldType, value), FIELD_PAD_MINIMUM);
  const out = new Uint8Array(HEADER_LEN + NONCE_LEN + plaintext.length + 16);
  out.set(header, 0);
  out.set(nonce, HEADER_LEN);
  out.set(aes256gcmSeal(recordKey.bytes, nonce, plaintext, contextAd(ctx, header)), HEADER_LEN + NONCE_LEN);
  return out;
}

/**
 * Reads the envelope header (to find the record key) without decrypting.
 * @throws {@link FormatError} on an unknown version or a truncated envelope.
 */
export function inspectFieldEnvelope(envelope: Uint8Array): FieldEnvelopeHeader {
  if (envelope.length < 1 || envelope[0] !== FIELD_ENVELOPE_V1) throw new FormatError('field envelope: unknown version');
  if (envelope.length < HEADER_LEN + NONCE_LEN + 16) throw new FormatError('field envelope: truncated');
  return { version: 1, keyId: toHex(envelope.subarray(1, HEADER_LEN)) };
}

/**
 * Decrypts a field envelope written for exactly `ctx` under `recordKey`.
 * @throws {@link DecryptionError} on an unknown version, truncation, another key id, another
 *   context (field, record, zone, owner, database, container or type) or any flipped bit;
 *   {@link FieldTypeError} / {@link KeyHierarchyError} on caller misuse as for encryptField.
 */
export function decryptField(recordKey: SymmetricKey, ctx: FieldContext, envelope: Uint8Array): FieldValue {
  checkUse(recordKey, ctx);
  let header: FieldEnvelopeHeader;
  try {
    header = inspectFieldEnvelope(envelope);
  } catch {
    throw new DecryptionError('field envelope');
  }
  if (header.keyId !== recordKey.id) throw new DecryptionError('field envelope');
  const plaintext = aes256gcmOpenAs(
    recordKey.bytes,
    envelope.subarray(HEADER_LEN, HEADER_LEN + NONCE_LEN),
    envelope.subarray(HEADER_LEN + NONCE_LEN),
    contextAd(ctx, envelope.subarray(0, HEADER_LEN)),
    'field envelope',
  );
  try {
    return decodeFieldValue(ctx.fieldType, unpad(plaintext, FIELD_PAD_MINIMUM));
  } catch {
    // Authentic but malformed plaintext: only a buggy or malicious key holder writes this.
    throw new DecryptionError('field envelope');
  } finally {
    plaintext.fill(0);
  }
}
