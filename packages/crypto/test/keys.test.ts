/** Key hierarchy, Wrapped key v1 and Key export v1. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  canWrap, exportKey, generateKey, importKey, inspectWrappedKey, keyFromBytes, unwrapKey, wrapKey,
  DecryptionError, FormatError, KeyHierarchyError, KeyKinds, type KeyKind,
} from '../src/index.js';
import { flip, RUNS } from './helpers.js';

const chain: KeyKind[] = ['recovery', 'keychain', 'service', 'zone', 'record', 'asset'];

describe('key hierarchy', () => {
  it('allows exactly recovery→keychain→service→zone→record→asset', () => {
    for (const p of KeyKinds) {
      for (const c of KeyKinds) expect(canWrap(p, c), `${p}→${c}`).toBe(chain.indexOf(c) === chain.indexOf(p) + 1);
    }
  });
  it('wrapKey refuses every other edge with KeyHierarchyError', () => {
    expect(() => wrapKey(generateKey('zone'), generateKey('service'))).toThrow(KeyHierarchyError);
    expect(() => wrapKey(generateKey('keychain'), generateKey('zone'))).toThrow(KeyHierarchyError);
    expect(() => wrapKey(generateKey('record'), generateKey('record'))).toThrow(KeyHierarchyError);
  });
  it('generated keys have 32 random bytes, a 32-hex-char id and version 1 by default', () => {
    const k = generateKey('zone', { version: 7 });
    expect(k.bytes.length).toBe(32);
    expect(k.id).toMatch(/^[0-9a-f]{32}$/);
    expect(k.version).toBe(7);
    expect(generateKey('zone').version).toBe(1);
    expect(generateKey('zone').id).not.toBe(k.id);
  });
  it('keyFromBytes validates kind, id, version and length', () => {
    const b = new Uint8Array(32);
    expect(() => keyFromBytes('zone', new Uint8Array(31), { id: 'a'.repeat(32), version: 1 })).toThrow(FormatError);
    expect(() => keyFromBytes('zone', b, { id: 'A'.repeat(32), version: 1 })).toThrow(FormatError);
    expect(() => keyFromBytes('zone', b, { id: 'a'.repeat(32), version: -1 })).toThrow(FormatError);
    expect(() => keyFromBytes('zone', b, { id: 'a'.repeat(32), version: 2 ** 32 })).toThrow(FormatError);
    expect(() => keyFromBytes('nope' as KeyKind, b, { id: 'a'.repeat(32), version: 1 })).toThrow(FormatError);
  });
});

describe('Wrapped key v1', () => {
  it('round-trips along every edge and is 103 bytes', () => {
    for (let i = 0; i + 1 < chain.length; i++) {
      const parent = generateKey(chain[i]!, { version: 3 });
      const child = generateKey(chain[i + 1]!, { version: 9 });
      const w = wrapKey(parent, child);
      expect(w.length).toBe(103);
      expect(unwrapKey(parent, w, child.kind)).toEqual(child);
      expect(inspectWrappedKey(w)).toEqual({
        parentKind: parent.kind, parentId: parent.id, parentVersion: 3, childKind: child.kind, childId: child.id, childVersion: 9,
      });
    }
  });
  it('every single-bit flip in every byte → DecryptionError', () => {
    const parent = generateKey('zone');
    const w = wrapKey(parent, generateKey('record'));
    for (let i = 0; i < w.length; i++) {
      for (let bit = 0; bit < 8; bit++) expect(() => unwrapKey(parent, flip(w, i, bit), 'record')).toThrow(DecryptionError);
    }
  });
  it('rejects truncation, extension, unknown versions, other parents and other expected kinds', () => {
    const parent = generateKey('zone');
    const w = wrapKey(parent, generateKey('record'));
    const fail = (f: () => unknown): void => {
      expect(f).toThrow(DecryptionError);
    };
    for (let n = 0; n < w.length; n++) fail(() => unwrapKey(parent, w.subarray(0, n), 'record'));
    fail(() => unwrapKey(parent, new Uint8Array([...w, 0]), 'record'));
    for (const v of [0x00, 0x02, 0xff]) fail(() => unwrapKey(parent, Uint8Array.of(v, ...w.subarray(1)), 'record'));
    fail(() => unwrapKey(generateKey('zone'), w, 'record')); // another zone key
    fail(() => unwrapKey({ ...parent, id: generateKey('zone').id }, w, 'record')); // right bytes, wrong id
    fail(() => unwrapKey({ ...parent, version: 2 }, w, 'record')); // same key, other version
    fail(() => unwrapKey({ ...parent, kind: 'service' }, w, 'record'));
    fail(() => unwrapKey(parent, w, 'asset'));
  });
  it('fast-check: random byte mutations never open', () => {
    const parent = generateKey('service');
    const w = wrapKey(parent, generateKey('zone'));
    fc.assert(fc.property(fc.integer({ min: 0, max: w.length - 1 }), fc.integer({ min: 1, max: 255 }), (i, x) => {
      const m = w.slice();
      m[i]! ^= x;
      expect(() => unwrapKey(parent, m, 'zone')).toThrow(DecryptionError);
    }), { numRuns: RUNS });
  });
  it('inspectWrappedKey throws FormatError on malformed headers', () => {
    expect(() => inspectWrappedKey(new Uint8Array(0))).toThrow(FormatError);
    const unknownKind = new Uint8Array(103).fill(1);
    unknownKind[22] = 9; // child kind code 9 is unassigned
    expect(() => inspectWrappedKey(unknownKind)).toThrow(FormatError);
    expect(() => inspectWrappedKey(new Uint8Array(104).fill(1))).toThrow(FormatError);
  });
});

describe('Key export v1', () => {
  it('round-trips every kind', () => {
    for (const kind of KeyKinds) {
      const k = generateKey(kind, { version: 42 });
      const text = exportKey(k);
      expect(text).toMatch(new RegExp(`^coffer-key-v1:${kind}:[0-9a-f]{32}:42:[A-Za-z0-9+/]{43}=$`));
      expect(importKey(text)).toEqual(k);
    }
  });
  it('rejects unknown versions and malformed fields', () => {
    const text = exportKey(generateKey('zone'));
    for (const bad of [
      text.replace('coffer-key-v1', 'coffer-key-v2'), text.replace(':zone:', ':zonez:'), text.replace(':1:', ':01:'),
      `${text}:x`, text.slice(0, -2), text.replace(/:[0-9a-f]{32}:/, ':xyz:'), '',
    ]) expect(() => importKey(bad), bad).toThrow(FormatError);
  });
});
