/**
 * The HTTP face of the auth service: the routes of `AuthPaths`, in their own Fastify
 * scope so they get this module's error handler (every failure → the CloudKit error
 * envelope) and a small body limit. Request bodies are never logged or echoed.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AuthPaths, isServerErrorCode, type AuthOkResponse } from '@coffer/protocol';
import { installJsonBodyParser } from '../http/json-body.js';
import { sessionTokenOf } from './credentials.js';
import { parseEmail } from './email.js';
import { AuthError, badRequest } from './errors.js';
import type { AuthService } from './service.js';
import { BASE64URL, CONTAINER_ID, optionalString, requireObject, requireString } from './validate.js';

/** Auth bodies are a few hundred bytes of OPAQUE messages; anything larger is not ours. */
export const AUTH_BODY_LIMIT = 16 * 1024;

const opaqueMessage = (maxLength: number) => ({ maxLength, pattern: BASE64URL, what: 'base64url OPAQUE message' });

function emailField(body: Record<string, unknown>): string {
  const raw = requireString(body, 'email', { maxLength: 320 });
  const email = parseEmail(raw);
  if (email === null) throw badRequest('field "email" is not a valid email address');
  return email;
}

/** Maps anything thrown in an auth route to an AuthError, never leaking input or internals. */
export function toAuthError(error: unknown): AuthError {
  if (error instanceof AuthError) return error;
  // The shared body parser throws the record API's CloudError: same envelope fields.
  const like = error as { serverErrorCode?: unknown; reason?: unknown };
  if (typeof error === 'object' && error !== null && isServerErrorCode(like.serverErrorCode) && typeof like.reason === 'string') {
    return new AuthError(like.serverErrorCode, like.reason);
  }
  const e = error as Partial<FastifyError>;
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AuthError('LIMIT_EXCEEDED', `request body is larger than ${AUTH_BODY_LIMIT} bytes`);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return badRequest('request body is empty');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return badRequest('send the request body as application/json');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return badRequest('Content-Length does not match the body');
    default:
      break;
  }
  // Parser errors' messages can quote the input, so none is reused.
  if (error instanceof SyntaxError) return badRequest('request body is not valid JSON');
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) return badRequest('malformed request');
  return new AuthError('INTERNAL_ERROR', 'internal error');
}

function handleError(error: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const authError = toAuthError(error);
  if (authError.serverErrorCode === 'INTERNAL_ERROR') {
    // Name and code only: messages of parser/driver errors can quote request input.
    const e = error as Partial<FastifyError>;
    request.log.error({ errName: e.name, errCode: e.code, route: request.url.split('?')[0] }, 'auth route failed');
  }
  if (authError.retryAfter !== undefined) void reply.header('Retry-After', String(authError.retryAfter));
  void reply.status(authError.statusCode).send(authError.toEnvelope());
}

export async function registerAuthRoutes(app: FastifyInstance, auth: AuthService): Promise<void> {
  await app.register((scope, _options, done) => {
    scope.setErrorHandler(handleError);
    // Same body rules as the record API: JSON as application/json, text/plain (CloudKit JS) or untyped.
    installJsonBodyParser(scope);
    const opts = { bodyLimit: AUTH_BODY_LIMIT };
    const ok: AuthOkResponse = {};

    scope.post(AuthPaths.registerStart, opts, async (request) => {
      const body = requireObject(request.body);
      const email = emailField(body);
      const registrationRequest = requireString(body, 'registrationRequest', opaqueMessage(256));
      return auth.registration.start({ email, registrationRequest }, request.ip);
    });

    scope.post(AuthPaths.registerFinish, opts, async (request) => {
      const body = requireObject(request.body);
      const email = emailField(body);
      const registrationRecord = requireString(body, 'registrationRecord', opaqueMessage(1024));
      return auth.registration.finish({ email, registrationRecord });
    });

    scope.post(AuthPaths.loginStart, opts, async (request) => {
      const body = requireObject(request.body);
      const email = emailField(body);
      const startLoginRequest = requireString(body, 'startLoginRequest', opaqueMessage(512));
      return auth.login.start({ email, startLoginRequest }, request.ip);
    });

    scope.post(AuthPaths.loginFinish, opts, async (request) => {
      const body = requireObject(request.body);
      const loginId = requireString(body, 'loginId', { maxLength: 128 });
      const finishLoginRequest = requireString(body, 'finishLoginRequest', opaqueMessage(512));
      const totpCode = optionalString(body, 'totpCode', { maxLength: 16 });
      return auth.login.finish({ loginId, finishLoginRequest, totpCode }, request.ip);
    });

    scope.post(AuthPaths.logout, opts, async (request) => {
      await auth.requireUser(request);
      // requireUser proved a token is present and valid; revoke exactly that one.
      await auth.sessions.revoke(sessionTokenOf(request)!);
      return ok;
    });

    scope.post(AuthPaths.totpSetup, opts, async (request) => {
      const user = await auth.requireUser(request);
      return auth.totp.setup(user.userRecordName);
    });

    scope.post(AuthPaths.totpConfirm, opts, async (request) => {
      const user = await auth.requireUser(request);
      const body = requireObject(request.body);
      const code = requireString(body, 'code', { maxLength: 16 });
      await auth.totp.confirm(user.userRecordName, code);
      return ok;
    });

    scope.post(AuthPaths.apiTokenCreate, opts, async (request) => {
      const user = await auth.requireUser(request);
      const body = requireObject(request.body);
      const container = requireString(body, 'container', { maxLength: 255, pattern: CONTAINER_ID, what: 'container identifier' });
      return auth.apiTokens.create(user.userRecordName, container);
    });
    done();
  });
}
