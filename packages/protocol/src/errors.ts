/**
 * The registry of server error codes: CloudKit Web Services' codes with their
 * HTTP statuses, plus the few Coffer adds (marked). Clients branch on `serverErrorCode`
 * only, never on `reason` text. docs/API.md lists every code; a test checks that.
 */
export const ServerErrorCodes = {
  ACCESS_DENIED: 403,
  ATOMIC_ERROR: 400,
  AUTHENTICATION_FAILED: 401,
  AUTHENTICATION_REQUIRED: 421,
  BAD_REQUEST: 400,
  CONFLICT: 409,
  EXISTS: 409,
  INTERNAL_ERROR: 500,
  NOT_FOUND: 404,
  QUOTA_EXCEEDED: 413,
  THROTTLED: 429,
  TRY_AGAIN_LATER: 503,
  VALIDATING_REFERENCE_ERROR: 412,
  ZONE_NOT_FOUND: 404,
  /** Coffer: a request body over the size limit (CloudKit folds this into BAD_REQUEST/LIMIT_EXCEEDED). */
  LIMIT_EXCEEDED: 413,
  /** Coffer: a sync token from another zone/database or one that no longer applies. */
  CHANGE_TOKEN_EXPIRED: 410,
} as const;

export type ServerErrorCode = keyof typeof ServerErrorCodes;

export function httpStatusOf(code: ServerErrorCode): number {
  return ServerErrorCodes[code];
}

export function isServerErrorCode(value: unknown): value is ServerErrorCode {
  return typeof value === 'string' && Object.hasOwn(ServerErrorCodes, value);
}

/** The CloudKit error envelope, top-level (as the HTTP body) or per record. */
export interface ErrorEnvelope {
  uuid: string;
  serverErrorCode: ServerErrorCode;
  reason: string;
  /** Seconds; present on THROTTLED and TRY_AGAIN_LATER. */
  retryAfter?: number;
  redirectURL?: string;
  /** Per-record errors carry the record name they belong to. */
  recordName?: string;
  /** Per-zone errors carry the zone they belong to. */
  zoneID?: { zoneName: string; ownerRecordName?: string };
  /** CONFLICT carries the server's current record so the client can merge. */
  serverRecord?: unknown;
}

/** Reasons with a fixed meaning that SDKs branch on (CloudKit's userInfo keys). */
export const ErrorReasons = {
  userDidResetEncryptedDataKey: 'userDidResetEncryptedDataKey',
  userDeletedZone: 'userDeletedZone',
} as const;
