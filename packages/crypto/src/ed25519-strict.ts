/**
 * The point checks behind Coffer's one Ed25519 verification rule (docs/PROTOCOL.md
 * "Primitives"), shared by both primitive backends so that a signature valid on one
 * platform is valid on the other.
 *
 * The two libraries disagree on edge cases (measured, test/curves.test.ts):
 * - OpenSSL (Node) verifies cofactorless (R = [S]B − [k]A, compared as bytes) but takes any
 *   A it can decode: a small-order A (e.g. the identity) verifies a forged signature on any
 *   message, and non-canonical encodings of A are accepted.
 * - @noble/curves with `zip215: false` (browsers) rejects non-canonical and small-order A
 *   but verifies cofactored ([8]R = [8]([S]B − [k]A)), so a key holder can craft
 *   signatures with a torsion component in R or A that only noble accepts.
 * Requiring A to be the canonical encoding of a point of prime order ℓ (torsion-free, not
 * the identity) on both backends, and R to be torsion-free on the cofactored one, makes
 * the two equations accept exactly the same inputs. Honest keys and signatures (A = aB,
 * R = rB) always pass.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { toHex } from './bytes.js';

// The torsion check is a variable-base scalar multiplication in BigInt (~1 ms); a device
// log is verified against a handful of keys, so the verdict is remembered per key. Public
// keys only, bounded, and a pure function of the bytes: no behaviour depends on it.
const MEMO_LIMIT = 256;
const memo = new Map<string, boolean>();

/**
 * Whether `publicKey` is the canonical encoding of an Ed25519 point of prime order ℓ:
 * y < p, no "negative zero" x, torsion-free and not the identity.
 */
export function isStrictEd25519PublicKey(publicKey: Uint8Array): boolean {
  if (publicKey.length !== 32) return false;
  const hex = toHex(publicKey);
  let ok = memo.get(hex);
  if (ok === undefined) {
    ok = checkPoint(publicKey, true);
    if (memo.size >= MEMO_LIMIT) memo.clear();
    memo.set(hex, ok);
  }
  return ok;
}

/** Whether `encoded` canonically encodes a point with no small-order component (the identity allowed). */
export function isTorsionFreeEd25519Point(encoded: Uint8Array): boolean {
  return checkPoint(encoded, false);
}

function checkPoint(encoded: Uint8Array, rejectIdentity: boolean): boolean {
  try {
    const p = ed25519.Point.fromBytes(encoded, false); // false: RFC 8032 canonical decoding only
    return (!rejectIdentity || !p.is0()) && p.isTorsionFree();
  } catch {
    return false;
  }
}
