/**
 * Ed25519, X25519 and the HPKE DHKEM on both primitive backends (node:crypto / OpenSSL and
 * @noble): published known answers, agreement on random inputs, and the edge cases where
 * the two libraries disagree out of the box — Coffer's strict rule (ed25519-strict.ts)
 * must give one verdict everywhere, or a device log would verify on one platform only.
 * The adversarial points are built here with noble's point arithmetic.
 */
import { createPublicKey, verify as opensslVerify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Aes256Gcm, CipherSuite, HkdfSha256 } from '@hpke/core';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import * as node from '../src/primitives-node.js';
import * as web from '../src/primitives-web.js';
import { concatBytes, fromHex, toHex } from '../src/bytes.js';
import { RUNS } from './helpers.js';

const backends = [['node', node], ['web', web]] as const;
type Backend = typeof node;

describe.each(backends)('%s backend curve known answers', (_name, p) => {
  it('Ed25519 RFC 8032 §7.1 test 2: public key, signature, verification', () => {
    const seed = fromHex('4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb');
    const pk = '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c';
    const sig = '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00';
    expect(toHex(p.ed25519PublicKey(seed))).toBe(pk);
    expect(toHex(p.ed25519Sign(seed, Uint8Array.of(0x72)))).toBe(sig);
    expect(p.ed25519Verify(fromHex(pk), Uint8Array.of(0x72), fromHex(sig))).toBe(true);
    expect(p.ed25519Verify(fromHex(pk), Uint8Array.of(0x73), fromHex(sig))).toBe(false);
  });
  it('X25519 RFC 7748 §6.1: both public keys (unclamped private keys are clamped)', () => {
    expect(toHex(p.x25519PublicKey(fromHex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a'))))
      .toBe('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
    expect(toHex(p.x25519PublicKey(fromHex('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb'))))
      .toBe('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
  });
  it('rejects private keys that are not 32 bytes with a RangeError', () => {
    expect(() => p.ed25519PublicKey(new Uint8Array(31))).toThrow(RangeError);
    expect(() => p.ed25519Sign(new Uint8Array(33), new Uint8Array(1))).toThrow(RangeError);
    expect(() => p.x25519PublicKey(new Uint8Array(0))).toThrow(RangeError);
  });
  it('verify returns false, never throws, on keys and signatures of the wrong length or not on the curve', () => {
    const seed = new Uint8Array(32).fill(9);
    const pk = p.ed25519PublicKey(seed);
    const sig = p.ed25519Sign(seed, new Uint8Array(0));
    expect(p.ed25519Verify(pk.subarray(1), new Uint8Array(0), sig)).toBe(false);
    expect(p.ed25519Verify(pk, new Uint8Array(0), sig.subarray(1))).toBe(false);
    expect(p.ed25519Verify(new Uint8Array(32).fill(0xff), new Uint8Array(0), sig)).toBe(false);
    expect(p.ed25519Verify(pk, new Uint8Array(0), concatBytes(new Uint8Array(32).fill(0xff), sig.subarray(32)))).toBe(false);
  });
});

describe('backends agree on random inputs', () => {
  it('Ed25519 public keys and signatures are identical; each verifies the other; a flipped bit fails on both', () => {
    fc.assert(fc.property(
      fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 300 }), fc.nat(64 * 8 - 1),
      (seed, msg, bit) => {
        const pk = node.ed25519PublicKey(seed);
        expect(toHex(web.ed25519PublicKey(seed))).toBe(toHex(pk));
        const sig = node.ed25519Sign(seed, msg);
        expect(toHex(web.ed25519Sign(seed, msg))).toBe(toHex(sig));
        expect(web.ed25519Verify(pk, msg, sig)).toBe(true);
        expect(node.ed25519Verify(pk, msg, sig)).toBe(true);
        const bad = sig.slice();
        bad[bit >> 3]! ^= 1 << (bit & 7);
        expect(node.ed25519Verify(pk, msg, bad)).toBe(false);
        expect(web.ed25519Verify(pk, msg, bad)).toBe(false);
      },
    ), { numRuns: RUNS });
  });
  it('X25519 public keys are identical', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (sk) => {
      expect(toHex(web.x25519PublicKey(sk))).toBe(toHex(node.x25519PublicKey(sk)));
    }), { numRuns: RUNS });
  });
});

// ── Ed25519 edge cases ───────────────────────────────────────────────────────────

const Point = ed25519.Point;
const L = Point.Fn.ORDER;
const P = Point.Fp.ORDER;
const M = new TextEncoder().encode('coffer edge case');
type Pt = InstanceType<typeof Point>;

function le32(n: bigint): Uint8Array {
  const b = new Uint8Array(32);
  for (let i = 0; i < 32; i++, n >>= 8n) b[i] = Number(n & 255n);
  return b;
}
function fromLe(b: Uint8Array): bigint {
  let n = 0n;
  for (let i = b.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(b[i]!);
  return n;
}
const scalar = (label: string): bigint => Point.Fn.create(fromLe(sha512(new TextEncoder().encode(label))));
const challenge = (r: Uint8Array, a: Uint8Array): bigint => Point.Fn.create(fromLe(sha512(concatBytes(r, a, M))));

/** The 8 points of small order: multiples of an order-8 point, found as [ℓ]X for a decoded X. */
const torsion: Pt[] = (() => {
  for (let i = 0; ; i++) {
    const y = sha512(Uint8Array.of(i)).slice(0, 32);
    y[31]! &= 0x7f;
    let x: Pt;
    try {
      x = Point.fromBytes(y);
    } catch {
      continue;
    }
    const t = x.multiplyUnsafe(L - 1n).add(x);
    if (!t.double().double().is0()) return Array.from({ length: 8 }, (_, k) => (k === 0 ? Point.ZERO : t.multiplyUnsafe(BigInt(k))));
  }
})();

/** A key holder's signature with nonce point R (any point) and secret scalar a for public key bytes A. */
function signWith(r: bigint, R: Pt, a: bigint, A: Uint8Array, rBytes: Uint8Array = R.toBytes()): Uint8Array {
  return concatBytes(rBytes, le32(Point.Fn.create(r + challenge(rBytes, A) * a)));
}

/** Anyone's forgery for a small-order key: R = [s]B, tried until [k]A = 0 (1 in ord(A) chance). */
function forgeForSmallOrder(A: Pt): Uint8Array {
  for (let i = 0; ; i++) {
    const s = scalar(`forge ${i}`);
    const R = Point.BASE.multiply(s).toBytes();
    if (A.multiplyUnsafe(challenge(R, A.toBytes())).is0()) return concatBytes(R, le32(s));
  }
}

function openssl(A: Uint8Array, sig: Uint8Array): boolean {
  return opensslVerify(null, M, createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(A).toString('base64url') }, format: 'jwk' }), sig);
}
const nobleStrict = (A: Uint8Array, sig: Uint8Array): boolean => ed25519.verify(sig, M, A, { zip215: false });

const a = scalar('key holder');
const A = Point.BASE.multiply(a);
const Ab = A.toBytes();
const r = scalar('nonce');
const honest = signWith(r, Point.BASE.multiply(r), a, Ab);

interface EdgeCase { name: string; key: Uint8Array; sig: Uint8Array; openssl: boolean; noble: boolean }
const cases: EdgeCase[] = [
  { name: 'an honest signature', key: Ab, sig: honest, openssl: true, noble: true },
  { name: 'non-canonical S (S + ℓ)', key: Ab, sig: concatBytes(honest.subarray(0, 32), le32(fromLe(honest.subarray(32)) + L)), openssl: false, noble: false },
  ...torsion.map((t, i) => ({ name: `small-order key #${i}, forged by anyone`, key: t.toBytes(), sig: forgeForSmallOrder(t), openssl: true, noble: false })),
  { name: 'identity key, non-canonical encoding y = p + 1', key: le32(P + 1n), sig: forgeForSmallOrder(Point.ZERO), openssl: true, noble: false },
  { name: 'identity key encoded as "negative zero"', key: le32(1n | (1n << 255n)), sig: forgeForSmallOrder(Point.ZERO), openssl: true, noble: false },
  { name: 'R with a torsion component (key holder)', key: Ab, sig: signWith(r, Point.BASE.multiply(r).add(torsion[1]!), a, Ab), openssl: false, noble: true },
  { name: 'small-order R (key holder, r = 0)', key: Ab, sig: signWith(0n, torsion[2]!, a, Ab), openssl: false, noble: true },
  { name: 'small-order R, non-canonical encoding y = p (key holder)', key: Ab, sig: signWith(0n, torsion[2]!, a, Ab, le32(P)), openssl: false, noble: false },
  ...mixedKeyCases(),
];

/** Key A + T8 (a torsion component; only its holder can sign): OpenSSL accepts iff [k]T8 = 0, noble always. */
function mixedKeyCases(): EdgeCase[] {
  const key = A.add(torsion[1]!).toBytes();
  const out: EdgeCase[] = [];
  for (let i = 0; out.length < 2; i++) {
    const ri = scalar(`mixed ${i}`);
    const sig = signWith(ri, Point.BASE.multiply(ri), a, key);
    const killed = challenge(sig.subarray(0, 32), key) % 8n === 0n;
    if (out.some((c) => c.openssl === killed)) continue;
    out.push({ name: `key with a torsion component (key holder), 8 ${killed ? 'divides' : 'does not divide'} k`, key, sig, openssl: killed, noble: true });
  }
  return out;
}

describe('Ed25519 edge cases: one verdict on both backends', () => {
  it.each(cases)('$name', (c) => {
    // The libraries as they come: the disagreement the strict rule removes.
    expect(openssl(c.key, c.sig)).toBe(c.openssl);
    expect(nobleStrict(c.key, c.sig)).toBe(c.noble);
    const expected = c.openssl && c.noble && c.key === Ab; // only the honest key has prime order
    expect(node.ed25519Verify(c.key, M, c.sig)).toBe(expected);
    expect(web.ed25519Verify(c.key, M, c.sig)).toBe(expected);
  });
  it('the honest signature is the only one accepted', () => {
    expect(cases.filter((c) => node.ed25519Verify(c.key, M, c.sig)).map((c) => c.name)).toEqual(['an honest signature']);
  });
});

// ── HPKE DHKEM(X25519) ───────────────────────────────────────────────────────────

const suiteOf = (b: Backend): CipherSuite => new CipherSuite({ kem: b.dhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead: new Aes256Gcm() });
const suites = { node: suiteOf(node), web: suiteOf(web) };
const AAD = Uint8Array.of(1, 2, 3);

/** Seal with a fixed ephemeral (RFC 9180 DeriveKeyPair(ikm)); hex of enc ‖ ct, or 'rejected'. */
async function sealFixed(suite: CipherSuite, recipient: Uint8Array, ikm: Uint8Array): Promise<string> {
  try {
    const pk = await suite.kem.deserializePublicKey(recipient);
    const { enc, ct } = await suite.seal({ recipientPublicKey: pk, ekm: ikm }, new Uint8Array(32).fill(7), AAD);
    return toHex(new Uint8Array(enc)) + toHex(new Uint8Array(ct));
  } catch {
    return 'rejected';
  }
}

async function openWith(suite: CipherSuite, sk: Uint8Array, enc: Uint8Array, ct: Uint8Array): Promise<string> {
  try {
    const key = await suite.kem.deserializePrivateKey(sk);
    return toHex(new Uint8Array(await suite.open({ recipientKey: key, enc }, ct, AAD)));
  } catch {
    return 'rejected';
  }
}

/** Montgomery u-coordinates of low order (RFC 7748 §5's warning list), plus non-canonical twins and high-bit variants. */
const LOW_ORDER_U = [
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0100000000000000000000000000000000000000000000000000000000000000',
  'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
  '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
  '0000000000000000000000000000000000000000000000000000000000000080',
];

describe('HPKE DHKEM(X25519, HKDF-SHA256): the node and web KEMs', () => {
  it('seal to random public keys (top bit set or not) identically, and open each other\'s boxes', async () => {
    await fc.assert(fc.asyncProperty(
      fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.boolean(),
      async (sk, ikm, topBit) => {
        const pk = node.x25519PublicKey(sk);
        if (topBit) pk[31]! |= 0x80; // RFC 7748 §5: ignored on decoding
        const sealed = await sealFixed(suites.node, pk, ikm);
        expect(await sealFixed(suites.web, pk, ikm)).toBe(sealed);
        const enc = fromHex(sealed.slice(0, 64));
        const ct = fromHex(sealed.slice(64));
        // The KEM context binds pkR's bytes, so a top-bit twin of the key seals a box its
        // owner cannot open — on both backends alike.
        const opened = topBit ? 'rejected' : '07'.repeat(32);
        expect(await openWith(suites.node, sk, enc, ct)).toBe(opened);
        expect(await openWith(suites.web, sk, enc, ct)).toBe(opened);
      },
    ), { numRuns: Math.min(RUNS, 40) });
  });
  it.each(LOW_ORDER_U)('both refuse the low-order point %s as a recipient key and as enc', async (u) => {
    const point = fromHex(u);
    expect(() => x25519.getSharedSecret(new Uint8Array(32).fill(5), point)).toThrow(); // it is low order
    const ikm = new Uint8Array(32).fill(1);
    expect(await sealFixed(suites.node, point, ikm)).toBe('rejected');
    expect(await sealFixed(suites.web, point, ikm)).toBe('rejected');
    const sk = new Uint8Array(32).fill(3);
    const good = await sealFixed(suites.node, node.x25519PublicKey(sk), ikm);
    const ct = fromHex(good.slice(64));
    expect(await openWith(suites.node, sk, point, ct)).toBe('rejected');
    expect(await openWith(suites.web, sk, point, ct)).toBe('rejected');
  });
});
