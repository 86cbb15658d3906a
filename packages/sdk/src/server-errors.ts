/**
 * One error class per `serverErrorCode` of the protocol registry. The server sends
 * the CloudKit envelope `{uuid, serverErrorCode, reason, retryAfter?}` either as the
 * HTTP body (a failed request) or per record/zone inside a 200 response; both become
 * the same classes, so callers branch with `instanceof` or on `serverErrorCode`,
 * never on `reason` text.
 */
import { ErrorReasons, type ErrorEnvelope, type RecordWire, type ServerErrorCode, type ZoneIDWire } from '@coffer/protocol';
import { CofferError } from './errors.js';
import type { CofferRecord } from './record.js';

/** What every server-error class receives: the envelope plus the HTTP status when known. */
export interface ServerErrorInit {
  envelope: ErrorEnvelope;
  httpStatus?: number;
  cause?: unknown;
}

/** Base class of errors the server reported. `serverErrorCode` is always set. */
export class ServerError extends CofferError {
  declare readonly serverErrorCode: ServerErrorCode;
  /** The record this error belongs to (per-record errors of a batch). */
  readonly recordName: string | undefined;
  /** The zone this error belongs to (per-zone errors). */
  readonly zoneID: ZoneIDWire | undefined;
  /** The HTTP status of a top-level error; undefined for per-record errors. */
  readonly httpStatus: number | undefined;
  /** The envelope exactly as received, for logging and for fields this SDK does not model. */
  readonly envelope: ErrorEnvelope;

  constructor(init: ServerErrorInit) {
    const { envelope } = init;
    super({
      message: `${envelope.serverErrorCode}${envelope.recordName === undefined ? '' : ` (${envelope.recordName})`}: ${envelope.reason}`,
      serverErrorCode: envelope.serverErrorCode,
      reason: envelope.reason,
      uuid: envelope.uuid,
      retryAfter: envelope.retryAfter,
      cause: init.cause,
    });
    this.recordName = envelope.recordName;
    this.zoneID = envelope.zoneID;
    this.httpStatus = init.httpStatus;
    this.envelope = envelope;
  }
}

/** ACCESS_DENIED (403): the caller may not touch this container/database/record. */
export class AccessDeniedError extends ServerError {}
/** ATOMIC_ERROR (400): this operation failed only because another one of an atomic batch did. */
export class AtomicError extends ServerError {}
/** AUTHENTICATION_FAILED (401): bad credentials, a wrong TOTP code or an expired session. */
export class AuthenticationFailedError extends ServerError {}
/** AUTHENTICATION_REQUIRED (421): the request needs a signed-in user. */
export class AuthenticationRequiredError extends ServerError {
  /** Where CloudKit would send the user to sign in, if the server said. */
  get redirectURL(): string | undefined {
    return this.envelope.redirectURL;
  }
}
/** BAD_REQUEST (400): the request is malformed or breaks a schema rule; `reason` says which. */
export class BadRequestError extends ServerError {}

/**
 * CONFLICT (409): the record changed on the server since `recordChangeTag` was read.
 * `serverRecord` is the server's current version (decoded and decrypted by the database
 * that received it) so the caller can merge and retry with its change tag.
 */
export class ConflictError extends ServerError {
  /** The server's current record; set by the database layer after decoding. */
  serverRecord: CofferRecord | undefined;
  /** The server's record exactly as it came on the wire. */
  get serverRecordWire(): RecordWire | undefined {
    return this.envelope.serverRecord as RecordWire | undefined;
  }
}
/** EXISTS (409): a `create` for a record or zone that already exists. */
export class ExistsError extends ServerError {}
/** INTERNAL_ERROR (500). */
export class InternalError extends ServerError {}
/** NOT_FOUND (404): the record (or other object) does not exist, or is not yours. */
export class NotFoundError extends ServerError {}
/** QUOTA_EXCEEDED (413): the user's storage quota is full. */
export class QuotaExceededError extends ServerError {}
/** THROTTLED (429): slow down; `retryAfter` seconds. Retried automatically by the client. */
export class ThrottledError extends ServerError {}
/** TRY_AGAIN_LATER (503): transient; `retryAfter` seconds. Retried automatically by the client. */
export class TryAgainLaterError extends ServerError {}
/** VALIDATING_REFERENCE_ERROR (412): a REFERENCE field points to a record that does not exist. */
export class ValidatingReferenceError extends ServerError {}

/**
 * ZONE_NOT_FOUND (404). Two reasons have a fixed meaning (CloudKit's userInfo keys):
 * the user reset their keychain so the zone's data can never be decrypted again
 * (delete, recreate and re-upload from the local cache), or the user deleted the zone
 * (ask before purging local data).
 */
export class ZoneNotFoundError extends ServerError {
  /** The zone's keys were lost in a keychain reset: re-upload from the local cache. */
  get userDidResetEncryptedDataKey(): boolean {
    return this.reason === ErrorReasons.userDidResetEncryptedDataKey;
  }
  /** The user deleted the zone: confirm before purging local copies. */
  get userDeletedZone(): boolean {
    return this.reason === ErrorReasons.userDeletedZone;
  }
}
/** LIMIT_EXCEEDED (413, Coffer): too many operations or a body/record over the size limit. */
export class LimitExceededError extends ServerError {}
/** CHANGE_TOKEN_EXPIRED (410, Coffer): the sync token is foreign or no longer valid; refetch from scratch. */
export class ChangeTokenExpiredError extends ServerError {}

/**
 * The registry: every code of `ServerErrorCodes` maps to its class. Typed as a total
 * record so adding a code to the protocol without a class here fails to compile.
 */
export const ServerErrorClasses: Readonly<Record<ServerErrorCode, new (init: ServerErrorInit) => ServerError>> = {
  ACCESS_DENIED: AccessDeniedError,
  ATOMIC_ERROR: AtomicError,
  AUTHENTICATION_FAILED: AuthenticationFailedError,
  AUTHENTICATION_REQUIRED: AuthenticationRequiredError,
  BAD_REQUEST: BadRequestError,
  CONFLICT: ConflictError,
  EXISTS: ExistsError,
  INTERNAL_ERROR: InternalError,
  NOT_FOUND: NotFoundError,
  QUOTA_EXCEEDED: QuotaExceededError,
  THROTTLED: ThrottledError,
  TRY_AGAIN_LATER: TryAgainLaterError,
  VALIDATING_REFERENCE_ERROR: ValidatingReferenceError,
  ZONE_NOT_FOUND: ZoneNotFoundError,
  LIMIT_EXCEEDED: LimitExceededError,
  CHANGE_TOKEN_EXPIRED: ChangeTokenExpiredError,
};

/** Builds the typed error for an envelope (top-level when `httpStatus` is given, else per record). */
export function errorFromEnvelope(envelope: ErrorEnvelope, httpStatus?: number): ServerError {
  const ErrorClass = ServerErrorClasses[envelope.serverErrorCode];
  return new ErrorClass({ envelope, httpStatus });
}

/** Whether the client should retry the request after a delay. */
export function isRetryable(error: unknown): error is ThrottledError | TryAgainLaterError {
  return error instanceof ThrottledError || error instanceof TryAgainLaterError;
}
