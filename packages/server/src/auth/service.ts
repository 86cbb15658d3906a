/**
 * The auth service: wires key files, repositories and the flows together. One instance
 * per server, reachable from any route as `request.server.cofferAuth` (see index.ts).
 */
import type { FastifyRequest } from 'fastify';
import * as opaque from '@serenity-kit/opaque';
import type { AuthStore, ProtectionMode } from '@coffer/storage';
import { loadAtRestSealer } from './at-rest.js';
import { ApiTokens, type ApiTokenGrant } from './api-tokens.js';
import { sessionTokenOf, apiTokenOf } from './credentials.js';
import { authenticationRequired } from './errors.js';
import { Login } from './login.js';
import { loadOpaqueSetup } from './opaque-setup.js';
import { defaultAuthOptions, type AuthOptions } from './options.js';
import { Registration } from './registration.js';
import { Sessions, type AuthenticatedUser } from './sessions.js';
import { Throttle } from './throttle.js';
import { Totp } from './totp-service.js';

export interface AuthDeps {
  /** The Store; only its `auth` repositories are used here. */
  store: { auth: AuthStore };
  /** Holds `opaque-server-setup` and `auth-at-rest.key` (both 0600, created on first start). */
  dataDir: string;
  /** Milliseconds since the epoch; injectable so tests can expire sessions and step TOTP. */
  clock?: () => number;
  options?: Partial<AuthOptions>;
}

export interface AccountInfo {
  userRecordName: string;
  emailAddress: string;
  protectionMode: ProtectionMode;
}

export interface AuthService {
  readonly options: AuthOptions;
  readonly sessions: Sessions;
  readonly registration: Registration;
  readonly login: Login;
  readonly totp: Totp;
  readonly apiTokens: ApiTokens;
  /** The OPAQUE server's static public key (clients may pin it). */
  readonly opaquePublicKey: string;
  /**
   * The signed-in caller, or null when the request carries no session credentials.
   * Throws `AuthError` AUTHENTICATION_FAILED when it carries invalid/expired ones.
   */
  authenticate(request: FastifyRequest): Promise<AuthenticatedUser | null>;
  /** Like `authenticate`, but a request without credentials is AUTHENTICATION_REQUIRED. */
  requireUser(request: FastifyRequest): Promise<AuthenticatedUser>;
  /**
   * The `ckAPIToken` grant for `container`, or null when the request carries none.
   * Throws AUTHENTICATION_FAILED for an unknown token or one for another container.
   */
  authenticateApiToken(request: FastifyRequest, container: string): Promise<ApiTokenGrant | null>;
  /** For users/caller; null when the account no longer exists. */
  account(userRecordName: string): Promise<AccountInfo | null>;
}

export async function createAuthService(deps: AuthDeps): Promise<AuthService> {
  const now = deps.clock ?? Date.now;
  const options: AuthOptions = { ...defaultAuthOptions, ...deps.options };
  const repos = deps.store.auth;
  const serverSetup = await loadOpaqueSetup(deps.dataDir, repos.serverKeyIds, now());
  const sealer = await loadAtRestSealer(deps.dataDir, repos.serverKeyIds, now());

  const throttle = new Throttle(repos.throttle, sealer, now);
  const sessions = new Sessions(repos.sessions, options, now);
  const totp = new Totp({ accounts: repos.accounts, sealer, throttle, options, now });
  const apiTokens = new ApiTokens(repos.apiTokens, now);
  const registration = new Registration({ serverSetup, accounts: repos.accounts, sessions, throttle, options, now });
  const login = new Login({
    serverSetup,
    accounts: repos.accounts,
    loginStates: repos.loginStates,
    sessions,
    throttle,
    totp,
    sealer,
    options,
    now,
  });

  async function authenticate(request: FastifyRequest): Promise<AuthenticatedUser | null> {
    const token = sessionTokenOf(request);
    return token === null ? null : sessions.resolve(token);
  }

  return {
    options,
    sessions,
    registration,
    login,
    totp,
    apiTokens,
    opaquePublicKey: opaque.server.getPublicKey(serverSetup),
    authenticate,
    async requireUser(request) {
      const user = await authenticate(request);
      if (!user) throw authenticationRequired();
      return user;
    },
    async authenticateApiToken(request, container) {
      const token = apiTokenOf(request);
      return token === null ? null : apiTokens.resolve(token, container);
    },
    async account(userRecordName) {
      const account = await repos.accounts.findByRecordName(userRecordName);
      if (!account) return null;
      return { userRecordName, emailAddress: account.email, protectionMode: account.protectionMode };
    },
  };
}
