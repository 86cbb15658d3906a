/**
 * Error classes of the crypto core. Callers branch on `code` (and on `reason` for the
 * device log), never on message text. Messages name the format and the check that
 * failed — never key material, plaintext or anything derived from them.
 */

/** Stable codes; docs/PROTOCOL.md "Errors" lists them. */
export type CryptoErrorCode =
  | 'DECRYPTION_FAILED'
  | 'FORMAT_INVALID'
  | 'RECOVERY_KEY_INVALID'
  | 'DEVICE_LOG_INVALID'
  | 'FIELD_TYPE_NOT_ENCRYPTABLE'
  | 'KEY_HIERARCHY_VIOLATION';

/** Base class of every error this package throws on purpose. */
export class CryptoError extends Error {
  readonly code: CryptoErrorCode;
  constructor(code: CryptoErrorCode, message: string) {
    super(message);
    this.code = code;
    this.name = new.target.name;
  }
}

/**
 * Any failure to open a ciphertext, wrapped key, sealed key, field envelope or chunk:
 * unknown version byte, truncation, wrong associated data, wrong key, flipped bit.
 * Deliberately one class with one code so that callers cannot (and need not) tell
 * these apart — distinguishing them would only help an attacker probing the format.
 */
export class DecryptionError extends CryptoError {
  constructor(what: string) {
    super('DECRYPTION_FAILED', `${what}: cannot decrypt (wrong key, wrong context, unknown version, or corrupted)`);
  }
}

/** A malformed non-secret input: an encoding, a length, a value out of range. */
export class FormatError extends CryptoError {
  constructor(message: string) {
    super('FORMAT_INVALID', message);
  }
}

/** A recovery key that is not 28 symbols of the alphabet or whose check symbols fail. */
export class RecoveryKeyError extends CryptoError {
  constructor(message: string) {
    super('RECOVERY_KEY_INVALID', message);
  }
}

/** Why a device log was rejected (docs/PROTOCOL.md "Device log v1", verification rules). */
export type DeviceLogErrorReason =
  | 'bad-format'
  | 'bad-signature'
  | 'unknown-signer'
  | 'removed-signer'
  | 'broken-chain'
  | 'bad-sequence'
  | 'not-self-signed'
  | 'bad-transition'
  | 'history-rewritten';

/** A device log that fails verification; `index` is the offending entry when known. */
export class DeviceLogError extends CryptoError {
  readonly reason: DeviceLogErrorReason;
  readonly index: number | undefined;
  constructor(reason: DeviceLogErrorReason, message: string, index?: number) {
    super('DEVICE_LOG_INVALID', index === undefined ? `device log: ${message}` : `device log entry ${index}: ${message}`);
    this.reason = reason;
    this.index = index;
  }
}

/** REFERENCE, ASSET and ASSETID (and their lists) are never field-encrypted. */
export class FieldTypeError extends CryptoError {
  constructor(fieldType: string) {
    super('FIELD_TYPE_NOT_ENCRYPTABLE', `field type ${fieldType} cannot be field-encrypted`);
  }
}

/** A wrap/derive call that breaks the key hierarchy (e.g. a zone key wrapping a service key). */
export class KeyHierarchyError extends CryptoError {
  constructor(message: string) {
    super('KEY_HIERARCHY_VIOLATION', message);
  }
}
