/**
 * Accounts and authentication for the Coffer server.
 *
 * - `registerAuth(app, deps)` loads/creates the key files, builds the auth service,
 *   decorates the Fastify instance with it (`app.cofferAuth`) and registers the routes
 *   of `AuthPaths` (OPAQUE register/login, logout, TOTP, API tokens).
 * - `authenticate(request)` / `requireUser(request)` / `authenticateApiToken(request,
 *   container)` are what the record routes call. They throw `AuthError` (with
 *   `serverErrorCode`, `reason`, `statusCode`, `retryAfter`, `toEnvelope()`) when the
 *   request carries credentials that are invalid; absent credentials give null.
 *
 * docs/SECURITY.md "Accounts and passwords" explains the choices.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiTokenGrant } from './api-tokens.js';
import { registerAuthRoutes } from './routes.js';
import { createAuthService, type AuthDeps, type AuthService } from './service.js';
import type { AuthenticatedUser } from './sessions.js';

export { AuthError, isAuthError } from './errors.js';
export { KeyFileError } from './key-files.js';
export type { AuthDeps, AuthService, AccountInfo } from './service.js';
export type { AuthenticatedUser } from './sessions.js';
export type { ApiTokenGrant } from './api-tokens.js';
export type { AuthOptions, ThrottlePolicy } from './options.js';
export { defaultAuthOptions } from './options.js';
export { AUTH_BODY_LIMIT, toAuthError } from './routes.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Set by registerAuth. */
    cofferAuth: AuthService;
  }
}

/** Builds the auth service, exposes it as `app.cofferAuth` and registers the auth routes. */
export async function registerAuth(app: FastifyInstance, deps: AuthDeps): Promise<void> {
  const service = await createAuthService(deps);
  app.decorate('cofferAuth', service);
  await registerAuthRoutes(app, service);
}

function serviceOf(request: FastifyRequest): AuthService {
  const service = (request.server as Partial<FastifyInstance>).cofferAuth;
  if (!service) throw new Error('registerAuth() was not called on this Fastify instance');
  return service;
}

/**
 * The signed-in caller from `Authorization: Bearer <token>` or `?ckWebAuthToken=`;
 * null without credentials; throws `AuthError` AUTHENTICATION_FAILED for invalid,
 * revoked or expired ones.
 */
export function authenticate(request: FastifyRequest): Promise<AuthenticatedUser | null> {
  return serviceOf(request).authenticate(request);
}

/** Like `authenticate`, but no credentials → `AuthError` AUTHENTICATION_REQUIRED (421). */
export function requireUser(request: FastifyRequest): Promise<AuthenticatedUser> {
  return serviceOf(request).requireUser(request);
}

/**
 * The `?ckAPIToken=` grant for `container` (public-database reads only), or null without
 * one; throws `AuthError` AUTHENTICATION_FAILED for an unknown token or another container's.
 */
export function authenticateApiToken(request: FastifyRequest, container: string): Promise<ApiTokenGrant | null> {
  return serviceOf(request).authenticateApiToken(request, container);
}
