/**
 * Kysely table types of the accounts/auth tables (migration 0002-accounts).
 *
 * What is deliberately NOT here: passwords (OPAQUE — the server never sees them), session
 * and API tokens (only their SHA-256), TOTP secrets and OPAQUE login states in the clear
 * (they are sealed by the server under a key file in the data dir before they reach
 * these tables). Times are milliseconds since the epoch in BIGINT columns; PostgreSQL
 * returns BIGINT as a string, so the repositories convert with `Number()` on read.
 */
import type { Generated } from 'kysely';

export type ProtectionMode = 'standard' | 'advanced';

/** Numeric columns come back as number (SQLite, int4) or string (pg int8). */
type DbNumber = number | string;

export interface AccountsTable {
  /** CloudKit-style opaque id: `_` + 32 lowercase hex. */
  user_record_name: string;
  /** Normalised (trimmed, lowercased) email; unique. */
  email: string;
  /** OPAQUE registration record (base64url) — the only password-derived data we keep. */
  opaque_record: string;
  protection_mode: Generated<ProtectionMode>;
  /** Active TOTP secret, sealed by the server (auth at-rest key); null = TOTP off. */
  totp_secret: string | null;
  /** A TOTP secret handed out by `totp/setup` and not yet confirmed; sealed. */
  totp_pending: string | null;
  /** Highest TOTP time step already accepted — codes at or below it are replays. */
  totp_last_step: DbNumber | null;
  created_at: DbNumber;
}

export interface LoginStatesTable {
  /** SHA-256 (hex) of the random loginId handed to the client. */
  id_hash: string;
  email: string;
  /** Null when the email is unknown (OPAQUE answered with a fake record). */
  user_record_name: string | null;
  /** OPAQUE server login state, sealed by the server. */
  state: string;
  expires_at: DbNumber;
}

export interface SessionsTable {
  /** SHA-256 (hex) of the bearer token; the token itself is never stored. */
  token_hash: string;
  /** Public, non-secret id of the session (logs, session lists). */
  session_id: string;
  user_record_name: string;
  created_at: DbNumber;
  last_used_at: DbNumber;
  expires_at: DbNumber;
}

export interface ApiTokensTable {
  /** SHA-256 (hex) of the API token. */
  token_hash: string;
  token_id: string;
  container: string;
  /** The account that created it (for listing/revoking; public reads are not scoped to it). */
  user_record_name: string;
  created_at: DbNumber;
}

export interface AuthThrottleTable {
  /** e.g. `login:acct:<email-hash>`, `login:ip:<ip-hash>`, `totp:<userRecordName>`. */
  throttle_key: string;
  count: DbNumber;
  window_start: DbNumber;
}

export interface ServerKeyIdsTable {
  /** Which key file: 'escrow', 'opaque-setup', 'auth-at-rest'. */
  name: string;
  /** A public fingerprint of the key (never key material). */
  key_id: string;
  created_at: DbNumber;
}

/** The accounts tables as a Kysely database shape; the Store's database type includes these. */
export interface AccountsTables {
  accounts: AccountsTable;
  auth_login_states: LoginStatesTable;
  auth_sessions: SessionsTable;
  api_tokens: ApiTokensTable;
  auth_throttle: AuthThrottleTable;
  server_key_ids: ServerKeyIdsTable;
}
