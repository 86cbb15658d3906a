/** Tunables of the auth layer, with production defaults; tests shrink them. */
export interface ThrottlePolicy {
  /** Attempts allowed per window; the next one is THROTTLED until the window ends. */
  limit: number;
  windowMs: number;
}

export interface AuthOptions {
  /** Sliding session lifetime: each use pushes expiry to now + this. */
  sessionTtlMs: number;
  /** How stale `last_used_at` may get before a request writes the slide (saves a write per request). */
  sessionTouchIntervalMs: number;
  /** Time between login/start and login/finish (covers typing a TOTP code). */
  loginStateTtlMs: number;
  /** OPAQUE login starts per account (counted on start: a client learns a guess's outcome from the start response alone). */
  loginPerAccount: ThrottlePolicy;
  /** OPAQUE login starts per client address that did not end in a sign-in (successes are taken back). */
  loginPerIp: ThrottlePolicy;
  /** Wrong or replayed TOTP codes per account (login and confirm). */
  totpPerAccount: ThrottlePolicy;
  /** Registration attempts per client address (spam brake; registration reveals no password). */
  registerPerIp: ThrottlePolicy;
}

const MINUTE = 60_000;

export const defaultAuthOptions: AuthOptions = {
  sessionTtlMs: 30 * 24 * 60 * MINUTE,
  sessionTouchIntervalMs: 60 * MINUTE,
  loginStateTtlMs: 5 * MINUTE,
  loginPerAccount: { limit: 10, windowMs: 15 * MINUTE },
  loginPerIp: { limit: 100, windowMs: 15 * MINUTE },
  totpPerAccount: { limit: 5, windowMs: 15 * MINUTE },
  registerPerIp: { limit: 300, windowMs: 60 * MINUTE },
};
