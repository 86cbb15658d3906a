import type { ServerErrorCode } from '@coffer/protocol';

/** A per-record failure inside a batch: becomes `{recordName, serverErrorCode, reason, …}` in `records`. */
export class RecordError extends Error {
  constructor(
    readonly serverErrorCode: ServerErrorCode,
    readonly reason: string,
  ) {
    super(`${serverErrorCode}: ${reason}`);
    this.name = 'RecordError';
  }
}

export const recordBadRequest = (reason: string): RecordError => new RecordError('BAD_REQUEST', reason);
