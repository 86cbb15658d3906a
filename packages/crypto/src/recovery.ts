/**
 * Recovery key v1 (docs/PROTOCOL.md "Recovery key v1"): 28 symbols of Crockford's base32
 * alphabet shown as 7 groups of 4 ("XXXX-XXXX-…"), 26 random data symbols (130 bits) and
 * 2 Reed–Solomon check symbols that catch every single substitution and every adjacent
 * transposition (gf32.ts). With 130 bits of entropy no password stretching is needed:
 * HKDF is enough to derive keys from it.
 *
 * From one recovery key come: the recovery signer (an Ed25519 key pair that may add a
 * device to the device log during recovery) whose hash is the public recovery key id,
 * and, per salt, the recovery wrapping key (kind 'recovery', same id) that wraps the
 * keychain key.
 */
import { ed25519PublicKey, hkdfSha256, sha256 } from '#primitives';
import { randomBytes, toHex, utf8Encode } from './bytes.js';
import { framed } from './encoding.js';
import { RecoveryKeyError, FormatError } from './errors.js';
import { rsCheckSymbols, rsIsCodeword } from './gf32.js';
import type { SymmetricKey } from './keys.js';
import { Labels } from './labels.js';

/** Crockford base32: digits and letters without I, L, O, U. */
export const RECOVERY_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const DATA_SYMBOLS = 26;
const SYMBOLS = 28;

/** A parsed, checked recovery key. Secret: never log it. */
export interface RecoveryKey {
  /** Canonical display form, 7 groups of 4 upper-case symbols joined by '-'. */
  readonly text: string;
}

/** The Ed25519 key pair derived from a recovery key; its public half goes in the device log. */
export interface RecoverySigner {
  /** Public recovery key id: hex(SHA-256(lp("coffer/v1/recovery/key-id") ‖ lp(public key))[0..16]). */
  readonly id: string;
  readonly signingPublicKey: Uint8Array;
  /** Secret. */
  readonly signingPrivateKey: Uint8Array;
}

function format(symbols: ArrayLike<number>): string {
  let out = '';
  for (let i = 0; i < SYMBOLS; i++) {
    if (i > 0 && i % 4 === 0) out += '-';
    out += RECOVERY_ALPHABET[symbols[i]!]!;
  }
  return out;
}

/** A fresh recovery key in display form. */
export function generateRecoveryKey(): string {
  return recoveryKeyFromData(Array.from(randomBytes(DATA_SYMBOLS), (b) => b & 31)); // 256 = 8·32: uniform
}

/** Internal (vectors, tests): the recovery key with the given 26 data symbols (0..31 each). */
export function recoveryKeyFromData(data: readonly number[]): string {
  if (data.length !== DATA_SYMBOLS || data.some((s) => !Number.isInteger(s) || s < 0 || s > 31)) {
    throw new FormatError('recovery key: 26 data symbols in 0..31 expected');
  }
  return format([...data, ...rsCheckSymbols(data)]);
}

/** Look-alikes accepted on input (Crockford's decoding rules). */
const LOOKALIKE: Readonly<Record<string, string>> = { O: '0', I: '1', L: '1' };

/**
 * Parses a recovery key typed by a person: case, spaces and dashes are ignored and
 * O→0, I/L→1 are mapped.
 * @throws {@link RecoveryKeyError} unless exactly 28 alphabet symbols remain and the check symbols match.
 */
export function parseRecoveryKey(input: string): RecoveryKey {
  const cleaned = input.toUpperCase().replace(/[\s-]+/g, '');
  const symbols: number[] = [];
  for (const ch of cleaned) {
    const v = RECOVERY_ALPHABET.indexOf(LOOKALIKE[ch] ?? ch);
    if (v < 0) throw new RecoveryKeyError('recovery key: contains a character outside the alphabet');
    symbols.push(v);
  }
  if (symbols.length !== SYMBOLS) throw new RecoveryKeyError(`recovery key: expected ${SYMBOLS} characters, got ${symbols.length}`);
  if (!rsIsCodeword(symbols)) throw new RecoveryKeyError('recovery key: check characters do not match (typo?)');
  return Object.freeze({ text: format(symbols) });
}

/** HKDF input: the 28 canonical symbols as ASCII. */
function secretOf(rk: RecoveryKey): Uint8Array {
  return utf8Encode(parseRecoveryKey(rk.text).text.replaceAll('-', ''));
}

/** The recovery signer (deterministic from the key): HKDF(ikm = symbols, salt = ∅, info = "coffer/v1/recovery/signing-key") → Ed25519 seed. */
export function recoverySigner(rk: RecoveryKey): RecoverySigner {
  const signingPrivateKey = hkdfSha256(secretOf(rk), new Uint8Array(0), utf8Encode(Labels.recoverySigningKey), 32);
  const signingPublicKey = ed25519PublicKey(signingPrivateKey);
  return Object.freeze({ id: recoveryKeyIdOf(signingPublicKey), signingPublicKey, signingPrivateKey });
}

/** The public recovery key id of a recovery signer public key. */
export function recoveryKeyIdOf(signingPublicKey: Uint8Array): string {
  return toHex(sha256(framed(Labels.recoveryKeyId, signingPublicKey)).subarray(0, 16));
}

/**
 * The key that wraps the keychain key for recovery: kind 'recovery', id = the recovery
 * key id, version 1, bytes = HKDF(ikm = symbols, salt, info = "coffer/v1/recovery/wrapping-key").
 * The salt (≥ 16 random bytes) is stored beside the wrapped keychain key.
 * @throws {@link FormatError} if the salt is shorter than 16 bytes; {@link RecoveryKeyError} on a bad key.
 */
export function recoveryWrappingKey(rk: RecoveryKey, salt: Uint8Array): SymmetricKey {
  if (salt.length < 16) throw new FormatError('recovery wrapping key: salt must be at least 16 bytes');
  const bytes = hkdfSha256(secretOf(rk), salt, utf8Encode(Labels.recoveryWrappingKey), 32);
  return Object.freeze({ kind: 'recovery', id: recoverySigner(rk).id, version: 1, bytes });
}
