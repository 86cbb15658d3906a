/** CloudKit field types as they appear on the wire. */
export const ScalarFieldTypes = ['STRING', 'INT64', 'DOUBLE', 'TIMESTAMP', 'BYTES', 'REFERENCE', 'LOCATION', 'ASSET', 'ASSETID'] as const;
export type ScalarFieldType = (typeof ScalarFieldTypes)[number];
export type ListFieldType = `${ScalarFieldType}_LIST`;
export type FieldType = ScalarFieldType | ListFieldType;

export const FieldTypes: readonly FieldType[] = [
  ...ScalarFieldTypes,
  ...ScalarFieldTypes.map((t): ListFieldType => `${t}_LIST`),
];

export function isFieldType(value: unknown): value is FieldType {
  return typeof value === 'string' && (FieldTypes as readonly string[]).includes(value);
}

/** Types that may be field-encrypted. REFERENCE stays plaintext for the server; ASSET is always encrypted by the asset path. */
export const EncryptableFieldTypes: readonly FieldType[] = FieldTypes.filter(
  (t) => !t.startsWith('REFERENCE') && !t.startsWith('ASSET'),
);

export function isEncryptableFieldType(t: FieldType): boolean {
  return EncryptableFieldTypes.includes(t);
}

export interface Location {
  latitude: number;
  longitude: number;
  horizontalAccuracy?: number;
  verticalAccuracy?: number;
  altitude?: number;
  speed?: number;
  course?: number;
  /** Milliseconds since the epoch. */
  timestamp?: number;
}

export interface ReferenceValue {
  recordName: string;
  zoneID?: ZoneIDWire;
  action?: 'NONE' | 'DELETE_SELF' | 'VALIDATE';
}

export interface ZoneIDWire {
  zoneName: string;
  ownerRecordName?: string;
}

/**
 * Wire values: STRING → string, INT64 → number (or a decimal string when
 * `numbersAsStrings`), DOUBLE → number, TIMESTAMP → ms since epoch, BYTES → base64,
 * LOCATION → Location, REFERENCE → ReferenceValue, ASSETID → string, lists → arrays.
 */
export type ScalarWireValue = string | number | Location | ReferenceValue;
export type FieldWireValue = ScalarWireValue | ScalarWireValue[];

/**
 * A field on the wire.
 * - Plaintext: `{ value, type }`.
 * - Encrypted by the device (SDK): `{ type, isEncrypted: true, ciphertext }` — `ciphertext`
 *   is the base64 of a field envelope (docs/PROTOCOL.md); the server stores it opaquely.
 * - Encrypted by the server for a plain web-services client (Standard protection only):
 *   the client sends `{ value, type, isEncrypted: true }` and gets the same shape back.
 */
export interface FieldWire {
  value?: FieldWireValue;
  type: FieldType;
  isEncrypted?: boolean;
  ciphertext?: string;
}
