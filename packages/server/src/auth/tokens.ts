/**
 * Bearer secrets (session tokens, API tokens, login ids) and their storage form.
 *
 * A token is 256 random bits, base64url (43 chars). The database keeps only SHA-256 of
 * it: a full-entropy secret needs no salt or slow hash, and a stolen table of hashes
 * cannot be replayed as tokens. Lookups go by hash, so no secret is ever compared
 * byte-by-byte in a timing-sensitive way.
 */
import { createHash, randomBytes } from 'node:crypto';

const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Looks like one of our tokens (checked before any DB lookup). */
export function isWellFormedToken(value: string): boolean {
  return TOKEN_PATTERN.test(value);
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** CloudKit-style user record name: `_` + 32 lowercase hex (128 random bits, carries no PII). */
export function newUserRecordName(): string {
  return `_${randomBytes(16).toString('hex')}`;
}

/** A non-secret id for a session or API token (for lists and revocation). */
export function newPublicId(): string {
  return randomBytes(16).toString('hex');
}
