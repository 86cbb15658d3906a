/**
 * Request bodies of the record API: JSON objects, sent as application/json, as
 * text/plain (what CloudKit JS sends, to avoid CORS preflights) or without a
 * Content-Type. Anything else, malformed JSON or a non-object is BAD_REQUEST with a
 * reason that never quotes the body.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Limits } from '@coffer/protocol';
import { badRequest } from './cloud-error.js';

function parseObject(body: string): Record<string, unknown> {
  // An empty body is an empty request object; routes with required members then say which is missing.
  if (body.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    throw badRequest('request body is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw badRequest('request body must be a JSON object');
  return value as Record<string, unknown>;
}

export function installJsonBodyParser(scope: FastifyInstance): void {
  scope.removeAllContentTypeParsers();
  const options = { parseAs: 'string' as const, bodyLimit: Limits.requestBytes };
  scope.addContentTypeParser(['application/json', 'text/plain'], options, (_request: FastifyRequest, body: string | Buffer, done) => {
    try {
      done(null, parseObject(body.toString()));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
  scope.addContentTypeParser('*', options, (request: FastifyRequest, body: string | Buffer, done) => {
    const type = request.headers['content-type'];
    if (type !== undefined && type.trim() !== '') {
      done(badRequest('unsupported Content-Type; send the body as application/json'), undefined);
      return;
    }
    try {
      done(null, parseObject(body.toString()));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
}
