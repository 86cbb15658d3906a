/**
 * Where a request carries its credentials: `Authorization: Bearer <sessionToken>` or
 * CloudKit's `ckWebAuthToken` query parameter (session), and `ckAPIToken` (API token).
 * The header wins when both are present. A header in another scheme, or a parameter
 * given twice, is an authentication failure, not "anonymous".
 */
import type { FastifyRequest } from 'fastify';
import { authenticationFailed } from './errors.js';

function queryParam(request: FastifyRequest, name: string): string | null {
  const query = request.query;
  if (typeof query !== 'object' || query === null) return null;
  const value = (query as Record<string, unknown>)[name];
  if (value === undefined) return null;
  if (typeof value !== 'string') throw authenticationFailed(`${name} must be given once`);
  return value;
}

/** The session token, or null when the request carries none. */
export function sessionTokenOf(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (header !== undefined) {
    const match = /^Bearer[ ]+(\S+)[ ]*$/i.exec(header);
    if (!match) throw authenticationFailed('Authorization header must be "Bearer <sessionToken>"');
    return match[1]!;
  }
  return queryParam(request, 'ckWebAuthToken');
}

/** The API token, or null when the request carries none. */
export function apiTokenOf(request: FastifyRequest): string | null {
  return queryParam(request, 'ckAPIToken');
}
