/**
 * Per-container API tokens (CloudKit's `ckAPIToken`): let an app read its container's
 * public database without a user session. Created by a signed-in user, stored as
 * SHA-256 only, valid for exactly one container. They grant public-database reads and
 * nothing else — the record routes decide what a token-only request may do.
 */
import type { ApiTokenCreateResponse } from '@coffer/protocol';
import type { ApiTokensRepository } from '@coffer/storage';
import { authenticationFailed } from './errors.js';
import { hashToken, isWellFormedToken, newPublicId, newToken } from './tokens.js';

export interface ApiTokenGrant {
  tokenId: string;
  container: string;
  /** The account that created the token (not the caller's identity: a token is anonymous). */
  createdBy: string;
}

export class ApiTokens {
  constructor(
    private readonly repo: ApiTokensRepository,
    private readonly now: () => number,
  ) {}

  async create(userRecordName: string, container: string): Promise<ApiTokenCreateResponse> {
    const apiToken = newToken();
    const tokenId = newPublicId();
    await this.repo.create({ tokenHash: hashToken(apiToken), tokenId, container, userRecordName, createdAt: this.now() });
    return { apiToken, tokenId };
  }

  /** The grant, or AUTHENTICATION_FAILED for an unknown token or one made for another container. */
  async resolve(token: string, container: string): Promise<ApiTokenGrant> {
    if (!isWellFormedToken(token)) throw authenticationFailed('ckAPIToken is malformed');
    const row = await this.repo.findByTokenHash(hashToken(token));
    if (!row) throw authenticationFailed('ckAPIToken is unknown or was revoked');
    if (row.container !== container) throw authenticationFailed('ckAPIToken is not valid for this container');
    return { tokenId: row.tokenId, container: row.container, createdBy: row.userRecordName };
  }
}
