/**
 * Accounts and auth storage: accounts (OPAQUE records, protection mode, sealed TOTP),
 * OPAQUE login states, sessions, API tokens and attempt counters. Pure data access —
 * hashing, sealing and policy live in packages/server/src/auth.
 */
import type { Kysely } from 'kysely';
import type { AccountsTables } from './schema.js';
import { createAccountsRepository, type AccountsRepository } from './accounts-repo.js';
import { createSessionsRepository, type SessionsRepository } from './sessions-repo.js';
import { createLoginStatesRepository, type LoginStatesRepository } from './login-states-repo.js';
import { createApiTokensRepository, type ApiTokensRepository } from './api-tokens-repo.js';
import { createThrottleRepository, type ThrottleRepository } from './throttle-repo.js';
import { createServerKeyIdsRepository, type ServerKeyIdsRepository } from './server-keys-repo.js';

export type { AccountsTables, ProtectionMode } from './schema.js';
export type { Account, NewAccount, AccountsRepository } from './accounts-repo.js';
export type { SessionRow, SessionsRepository } from './sessions-repo.js';
export type { LoginStateRow, LoginStatesRepository } from './login-states-repo.js';
export type { ApiTokenRow, ApiTokensRepository } from './api-tokens-repo.js';
export type { ThrottleWindow, ThrottleRepository } from './throttle-repo.js';
export type { ServerKeyIdsRepository } from './server-keys-repo.js';

/** Everything the auth layer needs from storage, as `store.auth`. */
export interface AuthStore {
  accounts: AccountsRepository;
  sessions: SessionsRepository;
  loginStates: LoginStatesRepository;
  apiTokens: ApiTokensRepository;
  throttle: ThrottleRepository;
  serverKeyIds: ServerKeyIdsRepository;
}

export function createAuthStore(db: Kysely<AccountsTables>): AuthStore {
  return {
    accounts: createAccountsRepository(db),
    sessions: createSessionsRepository(db),
    loginStates: createLoginStatesRepository(db),
    apiTokens: createApiTokensRepository(db),
    throttle: createThrottleRepository(db),
    serverKeyIds: createServerKeyIdsRepository(db),
  };
}
