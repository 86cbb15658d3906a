/**
 * The SDK's error base class and the errors that do not come from a server envelope.
 * Server-reported errors (one class per `serverErrorCode`) live in server-errors.ts;
 * tampered ciphertext surfaces as the crypto core's `DecryptionError`, re-exported
 * from the package index.
 */
import type { ServerErrorCode } from '@coffer/protocol';

export interface CofferErrorInit {
  message: string;
  serverErrorCode?: ServerErrorCode;
  reason?: string;
  uuid?: string;
  retryAfter?: number;
  cause?: unknown;
}

/**
 * Base class of every error the SDK throws on purpose (except `DecryptionError`, which
 * belongs to the crypto core). Server errors carry the CloudKit envelope fields;
 * client-side errors leave `serverErrorCode`/`uuid` undefined.
 */
export class CofferError extends Error {
  /** The CloudKit `serverErrorCode`, when the server reported this error. */
  readonly serverErrorCode: ServerErrorCode | undefined;
  /** Human-readable reason (the server's `reason`, or the SDK's). Never branch on its text. */
  readonly reason: string;
  /** The server's error id, for support and logs. */
  readonly uuid: string | undefined;
  /** Seconds the server asked us to wait (THROTTLED, TRY_AGAIN_LATER). */
  readonly retryAfter: number | undefined;

  constructor(init: CofferErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = new.target.name;
    this.serverErrorCode = init.serverErrorCode;
    this.reason = init.reason ?? init.message;
    this.uuid = init.uuid;
    this.retryAfter = init.retryAfter;
  }
}

/** The server could not be reached, or answered with something that is not the API (no envelope). */
export class NetworkError extends CofferError {
  /** HTTP status when the server answered with a non-API response. */
  readonly httpStatus: number | undefined;
  constructor(message: string, options: { cause?: unknown; httpStatus?: number } = {}) {
    super({ message, cause: options.cause });
    this.httpStatus = options.httpStatus;
  }
}

/** An operation that needs a session was called before `signIn` / `register`. */
export class NotSignedInError extends CofferError {
  constructor(what: string) {
    super({ message: `${what} needs a signed-in account: call signIn() or register() first` });
  }
}

/**
 * A value that cannot go where it was put: REFERENCE or ASSET in `encryptedValues`,
 * a value that does not match its declared type, an INT64 out of range, … Thrown
 * on the device before anything is sent.
 */
export class InvalidFieldError extends CofferError {
  readonly fieldName: string;
  constructor(fieldName: string, message: string) {
    super({ message: `field ${JSON.stringify(fieldName)}: ${message}` });
    this.fieldName = fieldName;
  }
}

/**
 * A key the SDK needs is not available on this device and cannot be fetched: e.g. a
 * service key only wrapped by a keychain key this device lacks, with escrow refused
 * (Advanced Data Protection), or a zone without keys in a database that cannot hold them.
 */
export class KeyUnavailableError extends CofferError {
  constructor(message: string, cause?: unknown) {
    super({ message, cause });
  }
}

/**
 * Thrown by `ModifyResult.throwIfErrors()` when some operations of a batch failed.
 * `errors` are the per-record errors (typed: `ConflictError`, `AtomicError`, …);
 * `records` are the operations that succeeded.
 */
export class PartialFailureError<R = unknown> extends CofferError {
  readonly errors: readonly CofferError[];
  readonly records: readonly R[];
  constructor(errors: readonly CofferError[], records: readonly R[]) {
    const first = errors[0];
    super({
      message: `${errors.length} of ${errors.length + records.length} operations failed${first === undefined ? '' : `; first: ${first.message}`}`,
      cause: first,
    });
    this.errors = errors;
    this.records = records;
  }
}

/**
 * REFERENCE or ASSET (or their lists) put in `encryptedValues`. References must stay
 * readable by the server (it enforces them); assets are always encrypted by the asset
 * path. Same rule as CloudKit's `encryptedValues`.
 */
export class UnencryptableFieldError extends InvalidFieldError {
  readonly fieldType: string;
  constructor(fieldName: string, fieldType: string) {
    super(fieldName, `${fieldType} cannot be in encryptedValues (references stay readable by the server; assets are encrypted by the asset path)`);
    this.fieldType = fieldType;
  }
}

/** A call the SDK refuses before sending anything: mixed zones in one request, a malformed argument, … */
export class InvalidArgumentError extends CofferError {
  constructor(message: string) {
    super({ message });
  }
}
