/**
 * TOTP (RFC 6238 over RFC 4226 HOTP): HMAC-SHA-1, 6 digits, 30-second steps, accepting
 * the previous, current and next step for clock skew. Authenticator apps implement
 * exactly these defaults, which is why SHA-1 (safe in HMAC) is used.
 *
 * Replay protection is the caller's: `verifyTotp` returns the matched step and the
 * account stores the highest step used, refusing any code at or below it.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const TOTP_PERIOD_SECONDS = 30;
export const TOTP_DIGITS = 6;
const SKEW_STEPS = 1;
const BASE32_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** 160-bit secret, the RFC 4226 recommended length. */
export function newTotpSecret(): Uint8Array {
  return new Uint8Array(randomBytes(20));
}

export function totpStep(nowMs: number): number {
  return Math.floor(nowMs / 1000 / TOTP_PERIOD_SECONDS);
}

/** RFC 4226 §5.3: HMAC over the 8-byte big-endian counter, dynamic truncation. */
export function hotp(secret: Uint8Array, counter: number): string {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac('sha1', secret).update(message).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  const binary = (mac.readUInt32BE(offset) & 0x7fffffff) % 10 ** TOTP_DIGITS;
  return binary.toString().padStart(TOTP_DIGITS, '0');
}

export function totpAt(secret: Uint8Array, nowMs: number): string {
  return hotp(secret, totpStep(nowMs));
}

export function isWellFormedTotpCode(code: string): boolean {
  return /^[0-9]{6}$/.test(code);
}

/**
 * The step whose code matches (within ±1 step of now), or null. All candidate steps are
 * compared, in constant time, so timing does not reveal which one matched.
 */
export function verifyTotp(secret: Uint8Array, code: string, nowMs: number): number | null {
  if (!isWellFormedTotpCode(code)) return null;
  const given = Buffer.from(code, 'utf8');
  const current = totpStep(nowMs);
  let matched: number | null = null;
  for (let step = current - SKEW_STEPS; step <= current + SKEW_STEPS; step++) {
    const expected = Buffer.from(hotp(secret, step), 'utf8');
    if (timingSafeEqual(expected, given) && matched === null) matched = step;
  }
  return matched;
}

/** RFC 4648 base32 without padding — the form authenticator apps take. */
export function base32Encode(bytes: Uint8Array): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = ((value << 8) | byte) & 0xffff; // only the low `bits` (< 13) are ever read
    bits += 8;
    while (bits >= 5) {
      out += BASE32_ALPHABET[(value >>> (bits - 5)) & 31]!;
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32_ALPHABET[(value << (5 - bits)) & 31]!;
  return out;
}

export function base32Decode(text: string): Uint8Array {
  const clean = text.replace(/=+$/, '').toUpperCase();
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const char of clean) {
    const index = BASE32_ALPHABET.indexOf(char);
    if (index < 0) throw new Error('invalid base32');
    value = ((value << 5) | index) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return new Uint8Array(out);
}

/** The Key Uri Format understood by authenticator apps. */
export function otpauthUrl(secret: Uint8Array, accountName: string, issuer = 'Coffer'): string {
  const label = `${encodeURIComponent(issuer)}:${encodeURIComponent(accountName)}`;
  const params = new URLSearchParams({
    secret: base32Encode(secret),
    issuer,
    algorithm: 'SHA1',
    digits: String(TOTP_DIGITS),
    period: String(TOTP_PERIOD_SECONDS),
  });
  return `otpauth://totp/${label}?${params.toString()}`;
}
