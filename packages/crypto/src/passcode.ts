/**
 * Passcode escrow, client side (docs/PROTOCOL.md "Devices and recovery formats",
 * "Passcode escrow v1"). A passcode has little entropy, so nothing derived from it alone
 * may reach the server: the device runs an OPRF (RFC 9497, mode OPRF, suite
 * ristretto255-SHA512, via @noble/curves `ristretto255_oprf`) with the server, whose OPRF
 * key lives in a key file outside the database. Offline guessing therefore needs that key
 * as well as the database, and online guessing is counted by the server (10 guesses in
 * total, then the escrow record is destroyed).
 *
 *   input   = lp("coffer/v1/passcode/oprf-input") ‖ lp(userRecordName) ‖ lp(passcode)
 *   output  = OPRF(serverKey, input)                                   (64 bytes)
 *   authKey = HKDF(output, ∅, "coffer/v1/passcode/auth-key", 32)
 *   proof   = HMAC-SHA-256(authKey, "coffer/v1/passcode-verifier")   (the verifier the server stores)
 *   secret  = HKDF(output, ∅, "coffer/v1/passcode/recovery-secret", 32)
 *   → recoverySecretEncryptionKey(secret, 'passcode') = P: the escrow record's
 *     `wrappedKeychainKey` is a "Passcode secret box": a random 32-byte passcode recovery
 *     secret R sealed to P (Sealed key v1, kind 'recovery', purpose
 *     "coffer/v1/passcode/recovery-secret"). The keychain key itself is sealed to R's
 *     encryption key in a separate copy that trusted devices re-seal at every rotation —
 *     the server gives each enrollment its own OPRF key, so the escrow record cannot be
 *     re-made without the passcode, while R never changes.
 */
import { ristretto255_oprf } from '@noble/curves/ed25519.js';
import { hkdfSha256, hmacSha256 } from '#primitives';
import { isWellFormedString, utf8Encode } from './bytes.js';
import { framed } from './encoding.js';
import { FormatError } from './errors.js';
import { openSealedKey, sealKeyTo, type X25519KeyPair } from './hpke.js';
import { keyFromBytes } from './keys.js';
import { recoverySecretEncryptionKey } from './recovery-signer.js';

export const PasscodeLabels = {
  /** OPRF input prefix. */
  oprfInput: 'coffer/v1/passcode/oprf-input',
  /** HKDF info: OPRF output → auth key. */
  authKey: 'coffer/v1/passcode/auth-key',
  /** HMAC input: auth key → verifier/proof. */
  verifier: 'coffer/v1/passcode-verifier',
  /** HKDF info: OPRF output → the secret whose X25519 key the passcode secret box is sealed to. */
  recoverySecret: 'coffer/v1/passcode/recovery-secret',
  /** Sealed-key purpose of the passcode secret box. */
  secretBox: 'coffer/v1/passcode/secret-box',
} as const;

/** Guesses allowed in total before the escrow record is destroyed. */
export const PASSCODE_MAX_ATTEMPTS = 10;
export const PASSCODE_MIN_LENGTH = 6;
const PASSCODE_MAX_BYTES = 256;

/**
 * Checks a passcode: at least 6 characters, at most 256 UTF-8 bytes, well-formed.
 * @throws {@link FormatError} otherwise.
 */
export function checkPasscode(passcode: string): void {
  if (typeof passcode !== 'string' || !isWellFormedString(passcode) || Array.from(passcode).length < PASSCODE_MIN_LENGTH || utf8Encode(passcode).length > PASSCODE_MAX_BYTES) {
    throw new FormatError(`passcode: ${PASSCODE_MIN_LENGTH} or more characters, at most ${PASSCODE_MAX_BYTES} bytes`);
  }
}

/** The client's state between blind and finalize. Secret. */
export interface PasscodeBlind {
  readonly input: Uint8Array;
  readonly blind: Uint8Array;
  /** Send this (32 bytes) to the server. */
  readonly blinded: Uint8Array;
}

/** The OPRF input of a passcode for an account. */
export function passcodeOprfInput(userRecordName: string, passcode: string): Uint8Array {
  checkPasscode(passcode);
  return framed(PasscodeLabels.oprfInput, userRecordName, passcode);
}

/**
 * Blinds a passcode (RFC 9497 Blind). `rng` is for vectors only.
 * @throws {@link FormatError} on a passcode {@link checkPasscode} refuses.
 */
export function blindPasscode(userRecordName: string, passcode: string, rng?: (n?: number) => Uint8Array): PasscodeBlind {
  const input = passcodeOprfInput(userRecordName, passcode);
  const { blind, blinded } = rng === undefined ? ristretto255_oprf.oprf.blind(input) : ristretto255_oprf.oprf.blind(input, rng);
  return Object.freeze({ input, blind, blinded });
}

/**
 * Finalizes with the server's evaluation (RFC 9497 Finalize): the 64-byte OPRF output.
 * @throws {@link FormatError} if `evaluated` is not a valid ristretto255 element.
 */
export function finalizePasscode(state: PasscodeBlind, evaluated: Uint8Array): Uint8Array {
  try {
    return ristretto255_oprf.oprf.finalize(state.input, state.blind, evaluated);
  } catch {
    throw new FormatError('passcode: the server evaluation is not a valid group element');
  }
}

/** The proof/verifier: HMAC(HKDF(output, ∅, auth-key label), verifier label), 32 bytes. */
export function passcodeVerifier(output: Uint8Array): Uint8Array {
  if (output.length !== 64) throw new FormatError('passcode: OPRF output must be 64 bytes');
  const authKey = hkdfSha256(output, new Uint8Array(0), utf8Encode(PasscodeLabels.authKey), 32);
  return hmacSha256(authKey, utf8Encode(PasscodeLabels.verifier));
}

/**
 * The passcode's encryption key pair (the keychain key is sealed to its public half).
 * @throws {@link FormatError} on a wrong output length.
 */
export function passcodeEncryptionKey(output: Uint8Array): X25519KeyPair {
  if (output.length !== 64) throw new FormatError('passcode: OPRF output must be 64 bytes');
  return recoverySecretEncryptionKey(hkdfSha256(output, new Uint8Array(0), utf8Encode(PasscodeLabels.recoverySecret), 32), 'passcode');
}

/** Seals the 32-byte passcode recovery secret R to the passcode's encryption public key. */
export async function sealPasscodeSecret(passcodePublicKey: Uint8Array, secret: Uint8Array): Promise<Uint8Array> {
  if (secret.length !== 32) throw new FormatError('passcode: recovery secret must be 32 bytes');
  return await sealKeyTo(passcodePublicKey, keyFromBytes('recovery', secret, { id: '00'.repeat(16), version: 1 }), PasscodeLabels.secretBox);
}

/**
 * Opens a passcode secret box.
 * @throws {@link DecryptionError} on a wrong passcode (another OPRF output) or tampering.
 */
export async function openPasscodeSecret(passcodePrivateKey: Uint8Array, box: Uint8Array): Promise<Uint8Array> {
  return (await openSealedKey(passcodePrivateKey, box, PasscodeLabels.secretBox, 'recovery')).bytes;
}

// Server side of the OPRF, for the server's escrow module and for tests (RFC 9497 mode OPRF).

/** A fresh OPRF secret key (ristretto255 scalar, 32 bytes). Server only; keep it out of the database. */
export function generatePasscodeOprfKey(): Uint8Array {
  return ristretto255_oprf.oprf.generateKeyPair().secretKey;
}

/**
 * BlindEvaluate with the server's key.
 * @throws {@link FormatError} if `blinded` is not a valid ristretto255 element.
 */
export function evaluatePasscode(secretKey: Uint8Array, blinded: Uint8Array): Uint8Array {
  try {
    return ristretto255_oprf.oprf.blindEvaluate(secretKey, blinded);
  } catch {
    throw new FormatError('passcode: blinded element is not a valid group element');
  }
}
