/** Recovery key v1: format, check code (proved by exhaustion), normalisation, derived keys. */
import { describe, expect, it } from 'vitest';
import {
  generateKey, generateRecoveryKey, parseRecoveryKey, randomBytes, recoverySigner, recoveryWrappingKey, unwrapKey, wrapKey,
  RECOVERY_ALPHABET, FormatError, RecoveryKeyError,
} from '../src/index.js';
import { rsIsCodeword } from '../src/gf32.js';
import { SLOW } from './helpers.js';

const A = RECOVERY_ALPHABET;
const strip = (t: string): string => t.replaceAll('-', '');
const group = (s: string): string => s.match(/.{4}/g)!.join('-');

describe('recovery key format', () => {
  it('is 7 groups of 4 alphabet symbols and parses to itself', () => {
    for (let i = 0; i < 50; i++) {
      const k = generateRecoveryKey();
      expect(k).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){6}$/);
      expect(parseRecoveryKey(k).text).toBe(k);
    }
  });
  it('the alphabet has 32 symbols and no I, L, O, U', () => {
    expect(new Set(A).size).toBe(32);
    for (const c of 'ILOU') expect(A.includes(c)).toBe(false);
  });
  it('carries 130 bits: every data symbol position takes every value', () => {
    const seen = Array.from({ length: 26 }, () => new Set<string>());
    for (let i = 0; i < 400; i++) strip(generateRecoveryKey()).slice(0, 26).split('').forEach((c, j) => seen[j]!.add(c));
    for (const s of seen) expect(s.size).toBeGreaterThan(28);
  });
});

describe('the check code detects every single substitution and adjacent transposition', () => {
  // The code is linear, so c + e is a codeword iff e is. Proving that no error pattern of
  // weight 1 or 2 is a codeword proves detection for EVERY key, not just sampled ones.
  it('no weight-1 or weight-2 error pattern is a codeword (minimum distance 3, exhaustive)', () => {
    const e = new Array<number>(28).fill(0);
    for (let i = 0; i < 28; i++) {
      for (let a = 1; a < 32; a++) {
        e[i] = a;
        expect(rsIsCodeword(e)).toBe(false);
        for (let j = i + 1; j < 28; j++) {
          for (let b = 1; b < 32; b++) {
            e[j] = b;
            if (rsIsCodeword(e)) expect.fail(`weight-2 codeword at ${i},${j}`);
          }
          e[j] = 0;
        }
      }
      e[i] = 0;
    }
  });

  const keys = Array.from({ length: SLOW ? 200 : 12 }, () => generateRecoveryKey());
  it.each(keys)('every substitution of %s is rejected', (k) => {
    const s = strip(k);
    for (let i = 0; i < 28; i++) {
      for (const c of A) {
        if (c === s[i]) continue;
        const typo = group(s.slice(0, i) + c + s.slice(i + 1));
        expect(() => parseRecoveryKey(typo), typo).toThrow(RecoveryKeyError);
      }
    }
  });
  it.each(keys)('every adjacent transposition of %s is rejected', (k) => {
    const s = strip(k);
    for (let i = 0; i < 27; i++) {
      if (s[i] === s[i + 1]) continue; // swapping equal symbols changes nothing
      const typo = group(s.slice(0, i) + s[i + 1]! + s[i]! + s.slice(i + 2));
      expect(() => parseRecoveryKey(typo), typo).toThrow(RecoveryKeyError);
    }
  });
});

describe('normalisation', () => {
  const k = generateRecoveryKey();
  it('ignores case, spaces, dashes and line breaks', () => {
    for (const input of [k.toLowerCase(), strip(k), k.replaceAll('-', ' '), ` ${k.replaceAll('-', '  -  ')}\n`, strip(k).replace(/(.{7})/g, '$1\n')]) {
      expect(parseRecoveryKey(input).text, input).toBe(k);
    }
  });
  it('maps look-alikes O→0 and I, L→1', () => {
    const zeros = parseRecoveryKey(generateWith('0')).text;
    expect(parseRecoveryKey(zeros.replaceAll('0', 'O')).text).toBe(zeros);
    const ones = parseRecoveryKey(generateWith('1')).text;
    expect(parseRecoveryKey(ones.replaceAll('1', 'i')).text).toBe(ones);
    expect(parseRecoveryKey(ones.replaceAll('1', 'L')).text).toBe(ones);
  });
  it('rejects wrong lengths and foreign characters', () => {
    expect(() => parseRecoveryKey(k.slice(0, -1))).toThrow(RecoveryKeyError);
    expect(() => parseRecoveryKey(`${k}0`)).toThrow(RecoveryKeyError);
    expect(() => parseRecoveryKey(k.replace(/.$/, 'U'))).toThrow(RecoveryKeyError);
    expect(() => parseRecoveryKey(k.replace(/.$/, '*'))).toThrow(RecoveryKeyError);
    expect(() => parseRecoveryKey('')).toThrow(RecoveryKeyError);
  });
});

/** A valid key whose data symbols are all `c` (the checks are whatever the code says). */
function generateWith(c: string): string {
  for (let i = 0; i < 32 ** 2; i++) {
    const tail = A[i % 32]! + A[Math.floor(i / 32)]!;
    const candidate = group(c.repeat(26) + tail);
    try {
      return parseRecoveryKey(candidate).text;
    } catch {
      // try the next check pair
    }
  }
  throw new Error('unreachable: some check pair is valid');
}

describe('keys derived from a recovery key', () => {
  const rk = parseRecoveryKey(generateRecoveryKey());
  const salt = randomBytes(16);
  it('the wrapping key is deterministic per salt, kind recovery, id = the recovery key id', () => {
    const a = recoveryWrappingKey(rk, salt);
    expect(a).toEqual(recoveryWrappingKey(parseRecoveryKey(rk.text.toLowerCase()), salt));
    expect(a.kind).toBe('recovery');
    expect(a.id).toBe(recoverySigner(rk).id);
    const b = recoveryWrappingKey(rk, randomBytes(16));
    expect(b.id).toBe(a.id);
    expect(b.bytes).not.toEqual(a.bytes);
    expect(recoveryWrappingKey(parseRecoveryKey(generateRecoveryKey()), salt).id).not.toBe(a.id);
  });
  it('wraps and recovers the keychain key', () => {
    const keychain = generateKey('keychain');
    const wrapped = wrapKey(recoveryWrappingKey(rk, salt), keychain);
    expect(unwrapKey(recoveryWrappingKey(rk, salt), wrapped, 'keychain')).toEqual(keychain);
  });
  it('salts shorter than 16 bytes are a FormatError', () => {
    expect(() => recoveryWrappingKey(rk, new Uint8Array(15))).toThrow(FormatError);
  });
  it('the recovery signer is deterministic', () => {
    expect(recoverySigner(rk)).toEqual(recoverySigner(parseRecoveryKey(rk.text)));
  });
});
