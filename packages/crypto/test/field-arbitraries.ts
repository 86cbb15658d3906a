/** fast-check arbitraries for field values of every encryptable type. */
import fc from 'fast-check';
import type { Location } from '@coffer/protocol';
import type { EncryptableFieldType, EncryptableScalarType, FieldValue } from '../src/index.js';

const location: fc.Arbitrary<Location> = fc.record(
  {
    latitude: fc.double(), longitude: fc.double(), horizontalAccuracy: fc.double(), verticalAccuracy: fc.double(),
    altitude: fc.double(), speed: fc.double(), course: fc.double(), timestamp: fc.double(),
  },
  { requiredKeys: ['latitude', 'longitude'] },
);

export const scalarArbitrary: Record<EncryptableScalarType, fc.Arbitrary<unknown>> = {
  STRING: fc.string({ unit: 'grapheme', maxLength: 60 }),
  INT64: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  DOUBLE: fc.double(),
  TIMESTAMP: fc.maxSafeInteger(),
  BYTES: fc.uint8Array({ maxLength: 200 }),
  LOCATION: location,
};

export const encryptableTypes: EncryptableFieldType[] = (Object.keys(scalarArbitrary) as EncryptableScalarType[])
  .flatMap((s) => [s, `${s}_LIST` as const]);

export function valueArbitrary(type: EncryptableFieldType): fc.Arbitrary<FieldValue> {
  const scalar = type.replace(/_LIST$/, '') as EncryptableScalarType;
  const a = scalarArbitrary[scalar];
  return (type.endsWith('_LIST') ? fc.array(a, { maxLength: 8 }) : a) as fc.Arbitrary<FieldValue>;
}

/** A type together with a value of that type. */
export const typedValue: fc.Arbitrary<[EncryptableFieldType, FieldValue]> = fc
  .constantFrom(...encryptableTypes)
  .chain((t) => valueArbitrary(t).map((v): [EncryptableFieldType, FieldValue] => [t, v]));
