/**
 * Account identifiers are email addresses, normalised (trim + lowercase) before use so
 * that `Ann@Example.com ` and `ann@example.com` are one account. Validation is a
 * pragmatic subset of RFC 5321 (no quoted local parts, no IP literals): we never send
 * mail, we only need a stable, unambiguous key.
 */
const MAX_EMAIL_LENGTH = 254;
const EMAIL_PATTERN = /^[a-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export function normalizeEmail(raw: string): string {
  return raw.trim().toLowerCase();
}

/** The normalised email, or null when it is not a valid address. */
export function parseEmail(raw: string): string | null {
  const email = normalizeEmail(raw);
  if (email.length > MAX_EMAIL_LENGTH || !EMAIL_PATTERN.test(email)) return null;
  if (email.startsWith('.') || email.includes('..') || email.split('@')[0]!.endsWith('.')) return null;
  return email;
}
