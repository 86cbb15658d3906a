/** Shared test settings and fixtures. SLOW=1 runs the property tests and samples deeper. */
import { readFileSync } from 'node:fs';
import type { FieldContext } from '../src/index.js';

export const SLOW = process.env.SLOW === '1';
/** fast-check runs: cheap by default, deep under SLOW=1 (typage's convention). */
export const RUNS = SLOW ? 2000 : 100;

export const ctx: FieldContext = {
  container: 'iCloud.org.coffer.Notes', environment: 'production', database: 'private', zoneName: 'Notes', ownerRecordName: '_owner',
  recordName: 'note-1', fieldName: 'title', fieldType: 'STRING',
};

/** A copy of `bytes` with bit `bit` of byte `index` flipped. */
export function flip(bytes: Uint8Array, index: number, bit = 0): Uint8Array {
  const out = bytes.slice();
  out[index]! ^= 1 << bit;
  return out;
}

export function loadVectors(name: string): unknown {
  return JSON.parse(readFileSync(new URL(`./vectors/${name}`, import.meta.url), 'utf8'));
}

/** Runs `f`, which must throw; returns what it threw. */
export function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

/** Byte equality without vitest's slow element-wise diff on large arrays. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}
