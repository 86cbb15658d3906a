/**
 * The one error type of the record API. Every failure becomes the CloudKit envelope
 * `{uuid, serverErrorCode, reason, retryAfter?}` with the status from the protocol's
 * registry — top-level as the HTTP body, or inside `records`/`zones` per item.
 */
import { randomUUID } from 'node:crypto';
import { httpStatusOf, type ErrorEnvelope, type ServerErrorCode } from '@coffer/protocol';

export type EnvelopeExtras = Omit<ErrorEnvelope, 'uuid' | 'serverErrorCode' | 'reason'>;

export function errorEnvelope(serverErrorCode: ServerErrorCode, reason: string, extras?: EnvelopeExtras): ErrorEnvelope {
  return { uuid: randomUUID(), serverErrorCode, reason, ...extras };
}

export class CloudError extends Error {
  constructor(
    readonly serverErrorCode: ServerErrorCode,
    readonly reason: string,
    readonly extras?: EnvelopeExtras,
  ) {
    super(`${serverErrorCode}: ${reason}`);
    this.name = 'CloudError';
  }

  get statusCode(): number {
    return httpStatusOf(this.serverErrorCode);
  }

  toEnvelope(): ErrorEnvelope {
    return errorEnvelope(this.serverErrorCode, this.reason, this.extras);
  }
}

export const badRequest = (reason: string): CloudError => new CloudError('BAD_REQUEST', reason);
export const zoneNotFound = (zoneName: string, ownerRecordName?: string): CloudError =>
  new CloudError('ZONE_NOT_FOUND', `zone ${zoneName} does not exist`, { zoneID: { zoneName, ...(ownerRecordName ? { ownerRecordName } : {}) } });
