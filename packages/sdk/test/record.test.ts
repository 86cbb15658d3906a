import { describe, expect, it } from 'vitest';
import { CofferRecord, InvalidFieldError, UnencryptableFieldError, inferFieldType } from '../src/index.js';

describe('CofferRecord values', () => {
  it('infers wire types from values', () => {
    expect(inferFieldType('a', 'x')).toBe('STRING');
    expect(inferFieldType('a', 5n)).toBe('INT64');
    expect(inferFieldType('a', 5)).toBe('DOUBLE');
    expect(inferFieldType('a', new Date(0))).toBe('TIMESTAMP');
    expect(inferFieldType('a', new Uint8Array(2))).toBe('BYTES');
    expect(inferFieldType('a', { latitude: 1, longitude: 2 })).toBe('LOCATION');
    expect(inferFieldType('a', { recordName: 'r' })).toBe('REFERENCE');
    expect(inferFieldType('a', [1n, 2n])).toBe('INT64_LIST');
    expect(() => inferFieldType('a', [])).toThrow(InvalidFieldError);
    expect(() => inferFieldType('a', [1, 'x'])).toThrow(InvalidFieldError);
    expect(() => inferFieldType('a', true)).toThrow(InvalidFieldError);
  });

  it('reads and writes fields and encryptedValues as properties', () => {
    const r = new CofferRecord({ recordType: 'Note', fields: { title: 'hi' } });
    r.encryptedValues.secret = 'x';
    expect(r.fields.title).toBe('hi');
    expect(r.encryptedValues.secret).toBe('x');
    expect(Object.keys(r.encryptedValues)).toEqual(['secret']);
    expect(r.encryptedKeys()).toEqual(['secret']);
    expect('secret' in r.encryptedValues).toBe(true);
    expect(r.isEncrypted('secret')).toBe(true);
    expect(r.recordName).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('keeps one name in one map: assigning moves the field', () => {
    const r = new CofferRecord({ recordType: 'Note' });
    r.fields.x = 'plain';
    r.encryptedValues.x = 'secret';
    expect(r.fields.x).toBeUndefined();
    expect(r.encryptedValues.x).toBe('secret');
    r.encryptedValues.x = undefined;
    expect(r.encryptedKeys()).toEqual([]);
  });

  it('explicit types override inference and normalize values', () => {
    const r = new CofferRecord({ recordType: 'T', types: { count: 'INT64', when: 'TIMESTAMP' } });
    r.fields.count = 5;
    r.encryptedValues.when = 1000;
    expect(r.fields.count).toBe(5n);
    expect(r.encryptedValues.when).toEqual(new Date(1000));
    r.setType('price', 'INT64_LIST');
    r.encryptedValues.price = [1, 2];
    expect(r.encryptedValues.price).toEqual([1n, 2n]);
    expect(() => (r.fields.count = 1.5)).toThrow(InvalidFieldError);
    expect(() => (r.fields.count = 2n ** 64n)).toThrow(InvalidFieldError);
  });

  it('refuses REFERENCE and ASSET in encryptedValues with a typed error', () => {
    const r = new CofferRecord({ recordType: 'T' });
    expect(() => (r.encryptedValues.parent = { recordName: 'p' })).toThrow(UnencryptableFieldError);
    r.setType('file', 'ASSETID');
    expect(() => (r.encryptedValues.file = 'abc')).toThrow(UnencryptableFieldError);
    r.encryptedValues.s = 'x';
    expect(() => r.setType('s', 'REFERENCE')).toThrow(UnencryptableFieldError);
    // References are fine as plaintext fields.
    r.fields.parent = { recordName: 'p', action: 'DELETE_SELF' };
    expect(r.typeOf('parent')).toBe('REFERENCE');
  });
});
