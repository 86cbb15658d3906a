/**
 * Passcode hardening with an OPRF (RFC 9497, base mode, ristretto255-SHA512, via
 * @noble/curves `ristretto255_oprf`). The client blinds its passcode, the server
 * multiplies by a secret scalar, the client unblinds: the output depends on the passcode
 * AND the server's secret, so a stolen database (wrapped key + verifier) cannot be
 * brute-forced offline — every guess needs the server, which counts it.
 *
 * One secret per enrollment: the scalar is derived from the key file's seed with
 * keyInfo = "coffer/v1/passcode-oprf" ‖ 0x00 ‖ userRecordName ‖ 0x00 ‖ enrollmentId. So the
 * evaluation handed out while ENROLLING (which must not cost an attempt) is useless
 * against any other enrollment — enroll/start cannot serve as a free guessing oracle
 * against the active record.
 */
import { ristretto255, ristretto255_oprf } from '@noble/curves/ed25519.js';
import { CloudError } from '../../http/cloud-error.js';

export const PASSCODE_OPRF_SUITE = 'ristretto255-SHA512';
const KEY_INFO_LABEL = 'coffer/v1/passcode-oprf';

/** Evaluates blinded elements; a KMS/HSM-backed implementation can replace the key-file one. */
export interface PasscodeOprf {
  /** Public fingerprint of the server secret (never the secret). */
  readonly keyId: string;
  /**
   * @param blinded - 32-byte ristretto255 element from the client.
   * @throws CloudError BAD_REQUEST if `blinded` is not a valid, non-identity element.
   */
  evaluate(userRecordName: string, enrollmentId: string, blinded: Uint8Array): Uint8Array;
  /** Throws BAD_REQUEST unless `blinded` is a valid element (checked before an attempt is spent). */
  check(blinded: Uint8Array): void;
}

function keyInfo(userRecordName: string, enrollmentId: string): Uint8Array {
  return new TextEncoder().encode(`${KEY_INFO_LABEL}\u0000${userRecordName}\u0000${enrollmentId}`);
}

function checkElement(blinded: Uint8Array): void {
  let ok = blinded.length === 32;
  if (ok) {
    try {
      ok = !ristretto255.Point.fromBytes(blinded).equals(ristretto255.Point.ZERO);
    } catch {
      ok = false;
    }
  }
  if (!ok) throw new CloudError('BAD_REQUEST', 'member "blinded" is not a valid ristretto255 element');
}

/** The OPRF over a 32-byte seed held outside the database (see key-file.ts). */
export function seedOprf(seed: Uint8Array, keyId: string): PasscodeOprf {
  if (seed.length !== 32) throw new Error('passcode OPRF seed must be 32 bytes');
  return {
    keyId,
    check: checkElement,
    evaluate(userRecordName, enrollmentId, blinded) {
      checkElement(blinded);
      const { secretKey } = ristretto255_oprf.oprf.deriveKeyPair(seed, keyInfo(userRecordName, enrollmentId));
      return ristretto255_oprf.oprf.blindEvaluate(secretKey, blinded);
    },
  };
}
