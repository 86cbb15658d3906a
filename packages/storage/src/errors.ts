/**
 * Typed storage errors. Callers branch on `code`, never on the message. Per-record
 * outcomes of a batch are results, not exceptions (see records/record-batch.ts); these
 * are for whole-call failures.
 */
export type StorageErrorCode =
  | 'ZONE_NOT_FOUND'
  | 'ZONE_EXISTS'
  | 'TOKEN_EXPIRED'
  | 'SCHEMA_CONFLICT'
  | 'BACKEND_UNAVAILABLE';

export class StorageError extends Error {
  constructor(
    readonly code: StorageErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StorageError';
  }
}

export function isStorageError(error: unknown, code?: StorageErrorCode): error is StorageError {
  return error instanceof StorageError && (code === undefined || error.code === code);
}
