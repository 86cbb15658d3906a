/**
 * One field of a record as a client sent it → what to store. Four shapes are accepted:
 * - `{value, type}`                         plaintext
 * - `{type, isEncrypted: true, ciphertext}` encrypted on the device (SDK); stored opaquely
 * - `{value, type, isEncrypted: true}`      plain web-services client; the escrow seals it
 * - `{value: null}` (or no value)           removes the field (update / forceUpdate)
 * A missing `type` is taken from the schema, or inferred from the value (as CloudKit does).
 */
import { Limits, NamePatterns, isEncryptableFieldType, isFieldType, type FieldType } from '@coffer/protocol';
import { recordBadRequest } from './record-error.js';
import { ValueError, inferType, normalizeValue } from './value-codec.js';

export type DecodedField =
  | { kind: 'plain'; type: FieldType; value: unknown }
  | { kind: 'ciphertext'; type: FieldType; ciphertext: string }
  | { kind: 'seal'; type: FieldType; value: unknown }
  | { kind: 'remove' };

const FIELD_KEYS = ['value', 'type', 'isEncrypted', 'ciphertext'];
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export function decodeField(name: string, raw: unknown, schemaType: FieldType | undefined): DecodedField {
  if (!NamePatterns.fieldName.test(name)) {
    throw recordBadRequest(
      name.length > Limits.fieldNameLength
        ? `field name is longer than ${Limits.fieldNameLength} characters`
        : `field name "${name}" is invalid: use a letter followed by letters, digits or _`,
    );
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw recordBadRequest(`field ${name} must be an object {value, type}`);
  const field = raw as Record<string, unknown>;
  for (const key of Object.keys(field)) if (!FIELD_KEYS.includes(key)) throw recordBadRequest(`field ${name} has unknown key "${key}"`);
  if (field.isEncrypted !== undefined && typeof field.isEncrypted !== 'boolean') throw recordBadRequest(`field ${name}: isEncrypted must be a boolean`);
  const encrypted = field.isEncrypted === true;
  const hasValue = field.value !== undefined && field.value !== null;

  let type: FieldType;
  if (field.type !== undefined) {
    if (!isFieldType(field.type)) throw recordBadRequest(`field ${name} has unknown type ${JSON.stringify(field.type).slice(0, 40)}`);
    type = field.type;
  } else {
    const guess = schemaType ?? (hasValue ? inferType(field.value) : null);
    if (guess === null) {
      if (!hasValue && field.ciphertext === undefined) return { kind: 'remove' };
      throw recordBadRequest(`field ${name} needs a type`);
    }
    type = guess;
  }

  if (field.ciphertext !== undefined) {
    if (!encrypted) throw recordBadRequest(`field ${name} has a ciphertext but not isEncrypted: true`);
    if (hasValue) throw recordBadRequest(`field ${name} has both a value and a ciphertext`);
    if (typeof field.ciphertext !== 'string' || field.ciphertext === '' || !BASE64.test(field.ciphertext)) {
      throw recordBadRequest(`field ${name}: ciphertext must be a non-empty base64 string`);
    }
  }
  if (encrypted && !isEncryptableFieldType(type)) {
    throw recordBadRequest(`field ${name} of type ${type} cannot be encrypted (references must stay readable by the server; assets are always encrypted)`);
  }
  if (typeof field.ciphertext === 'string') return { kind: 'ciphertext', type, ciphertext: field.ciphertext };
  if (!hasValue) return { kind: 'remove' };

  let value: unknown;
  try {
    value = normalizeValue(type, field.value);
  } catch (error) {
    if (error instanceof ValueError) throw recordBadRequest(`field ${name}: ${error.message}`);
    throw error;
  }
  return encrypted ? { kind: 'seal', type, value } : { kind: 'plain', type, value };
}

export function isEncryptedField(field: DecodedField): boolean {
  return field.kind === 'ciphertext' || field.kind === 'seal';
}
