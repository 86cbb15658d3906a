/**
 * Errors of the escrow module: the record API's CloudError (same envelope), with the
 * reasons a plain client or device needs to understand why the server will not help.
 */
import { CloudError } from '../http/cloud-error.js';

export const ADP_PLAINTEXT_REFUSED = 'account uses Advanced Data Protection; encrypt on the device';

export function adpRefusesPlaintext(): CloudError {
  return new CloudError('BAD_REQUEST', ADP_PLAINTEXT_REFUSED);
}

export function keysNotEscrowed(what: string): CloudError {
  return new CloudError('BAD_REQUEST', `${what} is held only on the user's devices (not escrowed to this server); encrypt on the device`);
}

export function recoverRefused(reason: string): CloudError {
  return new CloudError('ACCESS_DENIED', reason);
}

export function badValue(fieldName: string, type: string): CloudError {
  // The value itself is never quoted: it is plaintext the client wanted encrypted.
  return new CloudError('BAD_REQUEST', `field ${fieldName}: value is not a valid ${type}`);
}

/** Stored key material the server itself cannot use (tampered or from another escrow key). */
export function unusableKeys(what: string): CloudError {
  return new CloudError('BAD_REQUEST', `${what} cannot be opened by this server's escrow key (tampered, or sealed to another server)`);
}
