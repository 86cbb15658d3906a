/**
 * Typed errors of the auth routes. Each carries a CloudKit `serverErrorCode`, its HTTP
 * status and a human-readable `reason`; `toEnvelope` makes the wire body. The record
 * routes can map an `AuthError` thrown by `authenticate()` the same way (`instanceof
 * AuthError`, or duck-typed on `serverErrorCode`).
 */
import { randomUUID } from 'node:crypto';
import { httpStatusOf, type ErrorEnvelope, type ServerErrorCode } from '@coffer/protocol';

export class AuthError extends Error {
  readonly serverErrorCode: ServerErrorCode;
  readonly reason: string;
  readonly statusCode: number;
  /** Seconds, on THROTTLED. */
  readonly retryAfter: number | undefined;

  constructor(serverErrorCode: ServerErrorCode, reason: string, retryAfter?: number) {
    super(`${serverErrorCode}: ${reason}`);
    this.name = 'AuthError';
    this.serverErrorCode = serverErrorCode;
    this.reason = reason;
    this.statusCode = httpStatusOf(serverErrorCode);
    this.retryAfter = retryAfter;
  }

  toEnvelope(): ErrorEnvelope {
    const envelope: ErrorEnvelope = { uuid: randomUUID(), serverErrorCode: this.serverErrorCode, reason: this.reason };
    if (this.retryAfter !== undefined) envelope.retryAfter = this.retryAfter;
    return envelope;
  }
}

export function badRequest(reason: string): AuthError {
  return new AuthError('BAD_REQUEST', reason);
}

export function authenticationFailed(reason: string): AuthError {
  return new AuthError('AUTHENTICATION_FAILED', reason);
}

export function authenticationRequired(reason = 'sign in first: send Authorization: Bearer <sessionToken>'): AuthError {
  return new AuthError('AUTHENTICATION_REQUIRED', reason);
}

/** `retryAfterMs` is rounded up to whole seconds, at least 1. */
export function throttled(reason: string, retryAfterMs: number): AuthError {
  return new AuthError('THROTTLED', reason, Math.max(1, Math.ceil(retryAfterMs / 1000)));
}

export function isAuthError(value: unknown): value is AuthError {
  return value instanceof AuthError;
}
