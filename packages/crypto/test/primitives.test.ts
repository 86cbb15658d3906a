/**
 * Both primitive backends (node:crypto and @noble) against published known answers
 * (FIPS 180-2, RFC 4231, RFC 5869, the GCM spec's test cases) and against each other.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as node from '../src/primitives-node.js';
import * as web from '../src/primitives-web.js';
import { fromHex, toHex } from '../src/bytes.js';
import { DecryptionError } from '../src/errors.js';
import { RUNS } from './helpers.js';

const backends = [['node', node], ['web', web]] as const;

describe.each(backends)('%s backend known answers', (name, p) => {
  it('reports its name', () => {
    expect(p.primitivesBackend).toBe(name);
  });
  it('SHA-256("abc") (FIPS 180-2 B.1)', () => {
    expect(toHex(p.sha256(new TextEncoder().encode('abc')))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
  it('HMAC-SHA-256 RFC 4231 test case 1', () => {
    expect(toHex(p.hmacSha256(new Uint8Array(20).fill(0x0b), new TextEncoder().encode('Hi There'))))
      .toBe('b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7');
  });
  it('HKDF-SHA-256 RFC 5869 test case 1', () => {
    const okm = p.hkdfSha256(new Uint8Array(22).fill(0x0b), fromHex('000102030405060708090a0b0c'), fromHex('f0f1f2f3f4f5f6f7f8f9'), 42);
    expect(toHex(okm)).toBe('3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865');
  });
  it('AES-256-GCM test case 14 (zero key, zero IV, one zero block)', () => {
    const ct = p.aes256gcmSeal(new Uint8Array(32), new Uint8Array(12), new Uint8Array(16), new Uint8Array(0));
    expect(toHex(ct)).toBe('cea7403d4d606b6e074ec5d3baf39d18' + 'd0d1c8a799996bf0265b98b5d48ab919');
  });
  it('AES-256-GCM test case 16 (with associated data)', () => {
    const k = fromHex('feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308');
    const iv = fromHex('cafebabefacedbaddecaf888');
    const pt = fromHex('d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39');
    const ad = fromHex('feedfacedeadbeeffeedfacedeadbeefabaddad2');
    const expected = '522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662' + '76fc6ece0f4e1768cddf8853bb2d551b';
    expect(toHex(p.aes256gcmSeal(k, iv, pt, ad))).toBe(expected);
    expect(toHex(p.aes256gcmOpen(k, iv, fromHex(expected), ad))).toBe(toHex(pt));
  });
  it('open throws DecryptionError on a bad tag, a short input or wrong AD — and writes nothing', () => {
    const k = new Uint8Array(32).fill(7);
    const iv = new Uint8Array(12);
    const sealed = p.aes256gcmSeal(k, iv, new Uint8Array(40).fill(1), new Uint8Array([1]));
    const bad = sealed.slice();
    bad[3]! ^= 1;
    expect(() => p.aes256gcmOpen(k, iv, bad, new Uint8Array([1]))).toThrow(DecryptionError);
    expect(() => p.aes256gcmOpen(k, iv, sealed, new Uint8Array([2]))).toThrow(DecryptionError);
    expect(() => p.aes256gcmOpen(k, iv, sealed.subarray(0, 15), new Uint8Array([1]))).toThrow(DecryptionError);
    const out = new Uint8Array(50).fill(0xee);
    expect(() => { p.aes256gcmOpenInto(k, iv, bad, new Uint8Array([1]), out, 5); }).toThrow(DecryptionError);
    expect(out.every((b) => b === 0xee)).toBe(true);
  });
  it('rejects keys and nonces of the wrong length', () => {
    expect(() => p.aes256gcmSeal(new Uint8Array(16), new Uint8Array(12), new Uint8Array(0), new Uint8Array(0))).toThrow(RangeError);
    expect(() => p.aes256gcmSeal(new Uint8Array(32), new Uint8Array(16), new Uint8Array(0), new Uint8Array(0))).toThrow(RangeError);
  });
});

describe('backends agree', () => {
  it('seal/open cross-compatibly and identically, including the Into variants', () => {
    fc.assert(fc.property(
      fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 12, maxLength: 12 }),
      fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 40 }),
      (k, iv, pt, ad) => {
        const a = node.aes256gcmSeal(k, iv, pt, ad);
        expect(toHex(web.aes256gcmSeal(k, iv, pt, ad))).toBe(toHex(a));
        expect(toHex(web.aes256gcmOpen(k, iv, a, ad))).toBe(toHex(pt));
        const outN = new Uint8Array(pt.length + 20);
        const outW = new Uint8Array(pt.length + 20);
        node.aes256gcmSealInto(k, iv, pt, ad, outN, 3);
        web.aes256gcmSealInto(k, iv, pt, ad, outW, 3);
        expect(toHex(outN)).toBe(toHex(outW));
        const back = new Uint8Array(pt.length + 1);
        node.aes256gcmOpenInto(k, iv, a, ad, back, 1);
        expect(toHex(back.subarray(1))).toBe(toHex(pt));
      },
    ), { numRuns: RUNS });
  });
  it('hash, MAC and KDF agree', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), fc.uint8Array({ maxLength: 80 }), fc.integer({ min: 1, max: 255 }), (data, k, n) => {
      expect(toHex(node.sha256(data))).toBe(toHex(web.sha256(data)));
      expect(toHex(node.hmacSha256(k, data))).toBe(toHex(web.hmacSha256(k, data)));
      expect(toHex(node.hkdfSha256(data, k, k, n))).toBe(toHex(web.hkdfSha256(data, k, k, n)));
    }), { numRuns: RUNS });
  });
});
