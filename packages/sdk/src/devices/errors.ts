/**
 * Errors of the device, protection and recovery features. All extend `CofferError`;
 * callers branch on the class and on `code`, never on message text.
 */
import { CofferError } from '../errors.js';

export type DeviceErrorCode =
  /** The server's device log does not verify or does not extend what this device saw before. */
  | 'LOG_TAMPERED'
  /** This device is not (or no longer) a trusted device of the account. */
  | 'NOT_TRUSTED'
  /** The device already belongs to the account. */
  | 'ALREADY_TRUSTED'
  /** A join request expired or was denied. */
  | 'JOIN_FAILED'
  /** A join request (or recovery request) does not match what was shown or typed. */
  | 'CODE_MISMATCH'
  /** ADP cannot be switched as asked (no recovery method, a device without support, already in that mode). */
  | 'PROTECTION_REFUSED'
  /** A server answer contradicts the verified log (a swapped key, an escrow copy under ADP, …). */
  | 'SERVER_MISBEHAVED'
  /** A recovery method is missing, wrong, used up or does not open the keychain. */
  | 'RECOVERY_FAILED';

export class DeviceError extends CofferError {
  readonly code: DeviceErrorCode;
  constructor(code: DeviceErrorCode, message: string, cause?: unknown) {
    super({ message, reason: message, cause });
    this.code = code;
  }
}

/**
 * The device log the server returned was altered: a device the log does not justify, a
 * dropped, reordered or rewritten entry, a bad signature, or history that does not extend
 * the head this device verified before. `logReason` is the crypto core's reason.
 */
export class DeviceLogTamperedError extends DeviceError {
  readonly logReason: string;
  constructor(logReason: string, message: string, cause?: unknown) {
    super('LOG_TAMPERED', `the server's device log was altered (${logReason}): ${message}`, cause);
    this.logReason = logReason;
  }
}
