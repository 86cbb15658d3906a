/**
 * Bearer sessions: 256-bit random tokens, stored as SHA-256 only, with a sliding expiry
 * (default 30 days) and explicit revocation on logout.
 */
import type { SessionsRepository } from '@coffer/storage';
import { authenticationFailed } from './errors.js';
import type { AuthOptions } from './options.js';
import { hashToken, isWellFormedToken, newPublicId, newToken } from './tokens.js';

export interface AuthenticatedUser {
  userRecordName: string;
  sessionId: string;
}

export class Sessions {
  constructor(
    private readonly repo: SessionsRepository,
    private readonly options: AuthOptions,
    private readonly now: () => number,
  ) {}

  async create(userRecordName: string): Promise<{ sessionToken: string; sessionId: string }> {
    const sessionToken = newToken();
    const sessionId = newPublicId();
    const now = this.now();
    // Housekeeping on the (rare) sign-in path rather than a timer: expired rows go away.
    await this.repo.deleteExpired(now);
    await this.repo.create({
      tokenHash: hashToken(sessionToken),
      sessionId,
      userRecordName,
      createdAt: now,
      lastUsedAt: now,
      expiresAt: now + this.options.sessionTtlMs,
    });
    return { sessionToken, sessionId };
  }

  /** The session's user, or AUTHENTICATION_FAILED for an unknown, revoked or expired token. */
  async resolve(token: string): Promise<AuthenticatedUser> {
    if (!isWellFormedToken(token)) throw authenticationFailed('session token is malformed');
    const tokenHash = hashToken(token);
    const session = await this.repo.findByTokenHash(tokenHash);
    if (!session) throw authenticationFailed('session token is unknown or was revoked; sign in again');
    const now = this.now();
    if (session.expiresAt <= now) {
      await this.repo.revoke(tokenHash);
      throw authenticationFailed('session expired; sign in again');
    }
    if (now - session.lastUsedAt >= this.options.sessionTouchIntervalMs) {
      await this.repo.touch(tokenHash, now, now + this.options.sessionTtlMs);
    }
    return { userRecordName: session.userRecordName, sessionId: session.sessionId };
  }

  async revoke(token: string): Promise<boolean> {
    return this.repo.revoke(hashToken(token));
  }
}
