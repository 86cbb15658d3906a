/**
 * Maps everything a record route can throw to the CloudKit error envelope — never
 * Fastify's default `{statusCode, error, message}` shape and never a message that could
 * quote the request body. Unexpected errors are logged by name and code only.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { Limits, isServerErrorCode } from '@coffer/protocol';
import { isStorageError } from '@coffer/storage';
import { CloudError, badRequest } from './cloud-error.js';

/** Errors from the auth module (AuthError) carry these; duck-typed so the two modules stay decoupled. */
interface EnvelopeLike {
  serverErrorCode: unknown;
  reason: unknown;
  retryAfter?: unknown;
}

function fromEnvelopeLike(error: unknown): CloudError | null {
  if (typeof error !== 'object' || error === null) return null;
  const e = error as EnvelopeLike;
  if (!isServerErrorCode(e.serverErrorCode) || typeof e.reason !== 'string') return null;
  return new CloudError(e.serverErrorCode, e.reason, typeof e.retryAfter === 'number' ? { retryAfter: e.retryAfter } : undefined);
}

/**
 * Driver errors that go away on retry: PostgreSQL serialization failure, deadlock,
 * admin shutdown / cannot connect now, too many connections; a refused or reset
 * connection; SQLite busy/locked past busy_timeout.
 */
const TRANSIENT_CODES = new Set(['40001', '40P01', '57P01', '57P03', '53300', 'ECONNREFUSED', 'ECONNRESET', 'SQLITE_BUSY', 'SQLITE_LOCKED']);

function isTransientDatabaseError(code: unknown): boolean {
  return typeof code === 'string' && TRANSIENT_CODES.has(code);
}

export function toCloudError(error: unknown): CloudError {
  if (error instanceof CloudError) return error;
  const fromAuth = fromEnvelopeLike(error);
  if (fromAuth) return fromAuth;
  if (isStorageError(error, 'ZONE_NOT_FOUND')) return new CloudError('ZONE_NOT_FOUND', error.message);
  const e = error as Partial<FastifyError>;
  if (e.validation) {
    // Ajv's messages name the path and the rule, never the offending value.
    return badRequest(`invalid request: ${e.message ?? 'schema validation failed'}`);
  }
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new CloudError('LIMIT_EXCEEDED', `request body is larger than ${Limits.requestBytes} bytes`);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return badRequest('request body is empty; send a JSON object');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return badRequest('unsupported Content-Type; send the body as application/json');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return badRequest('Content-Length does not match the body');
    case 'FST_ERR_CTP_INVALID_TYPE':
      return badRequest('Content-Type header is malformed');
    default:
      break;
  }
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return badRequest('malformed request');
  }
  if (isTransientDatabaseError(e.code)) {
    return new CloudError('TRY_AGAIN_LATER', 'the database is busy or restarting; retry after the given delay', { retryAfter: 1 });
  }
  return new CloudError('INTERNAL_ERROR', 'internal error; the server logged it');
}

export function handleCloudError(error: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const cloudError = toCloudError(error);
  if (cloudError.serverErrorCode === 'INTERNAL_ERROR') {
    const e = error as Partial<FastifyError> & { stack?: string };
    // Name, code and stack only: driver and parser messages can quote request input.
    request.log.error({ errName: e.name, errCode: e.code, stack: e.stack?.split('\n').slice(1, 6).join('\n'), route: request.routeOptions.url }, 'request failed');
  }
  const retryAfter = cloudError.extras?.retryAfter;
  if (retryAfter !== undefined) void reply.header('Retry-After', String(retryAfter));
  void reply.status(cloudError.statusCode).send(cloudError.toEnvelope());
}
