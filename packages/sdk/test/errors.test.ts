import { describe, expect, it } from 'vitest';
import { ServerErrorCodes, type ServerErrorCode } from '@coffer/protocol';
import {
  CofferError,
  ConflictError,
  ServerError,
  ServerErrorClasses,
  ThrottledError,
  ZoneNotFoundError,
  errorFromEnvelope,
  isRetryable,
} from '../src/index.js';

describe('server error registry', () => {
  it('has one distinct class per serverErrorCode', () => {
    const codes = Object.keys(ServerErrorCodes) as ServerErrorCode[];
    expect(Object.keys(ServerErrorClasses).sort()).toEqual([...codes].sort());
    const classes = new Set(codes.map((code) => ServerErrorClasses[code]));
    expect(classes.size).toBe(codes.length);
  });

  it.each(Object.keys(ServerErrorCodes) as ServerErrorCode[])('%s becomes its typed error with the envelope fields', (code) => {
    const error = errorFromEnvelope({ uuid: 'u-1', serverErrorCode: code, reason: 'because', retryAfter: 3, recordName: 'r1' }, ServerErrorCodes[code]);
    expect(error).toBeInstanceOf(ServerErrorClasses[code]);
    expect(error).toBeInstanceOf(ServerError);
    expect(error).toBeInstanceOf(CofferError);
    expect(error.serverErrorCode).toBe(code);
    expect(error.reason).toBe('because');
    expect(error.uuid).toBe('u-1');
    expect(error.retryAfter).toBe(3);
    expect(error.recordName).toBe('r1');
    expect(error.httpStatus).toBe(ServerErrorCodes[code]);
    expect(error.name).toBe(ServerErrorClasses[code].name);
  });

  it('ZONE_NOT_FOUND tells a keychain reset from a user deletion', () => {
    const zoneError = (reason: string): ZoneNotFoundError => {
      const error = errorFromEnvelope({ uuid: '', serverErrorCode: 'ZONE_NOT_FOUND', reason });
      if (!(error instanceof ZoneNotFoundError)) throw new Error('not a ZoneNotFoundError');
      return error;
    };
    const reset = zoneError('userDidResetEncryptedDataKey');
    const deleted = zoneError('userDeletedZone');
    const plain = zoneError('zone not found');
    expect(reset.userDidResetEncryptedDataKey).toBe(true);
    expect(reset.userDeletedZone).toBe(false);
    expect(deleted.userDeletedZone).toBe(true);
    expect(deleted.userDidResetEncryptedDataKey).toBe(false);
    expect(plain.userDeletedZone).toBe(false);
    expect(plain.userDidResetEncryptedDataKey).toBe(false);
  });

  it('CONFLICT exposes the server record as received', () => {
    const error = errorFromEnvelope({ uuid: '', serverErrorCode: 'CONFLICT', reason: 'stale', serverRecord: { recordName: 'a', recordType: 'T', recordChangeTag: 'x' } });
    if (!(error instanceof ConflictError)) throw new Error('not a ConflictError');
    expect(error.serverRecordWire?.recordChangeTag).toBe('x');
  });

  it('only THROTTLED and TRY_AGAIN_LATER are retryable', () => {
    for (const code of Object.keys(ServerErrorCodes) as ServerErrorCode[]) {
      const error = errorFromEnvelope({ uuid: '', serverErrorCode: code, reason: '' });
      expect(isRetryable(error)).toBe(code === 'THROTTLED' || code === 'TRY_AGAIN_LATER');
    }
    expect(isRetryable(new Error('x'))).toBe(false);
    expect(new ThrottledError({ envelope: { uuid: '', serverErrorCode: 'THROTTLED', reason: '' } })).toBeInstanceOf(ThrottledError);
  });
});
