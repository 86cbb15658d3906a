/**
 * Byte helpers that work unchanged in Node and browsers (no Buffer). Decoders are
 * strict: they reject anything a matching encoder would not have produced, so every
 * encoded value has exactly one textual form.
 */
import { FormatError } from './errors.js';

/** `n` bytes from the platform CSPRNG (`crypto.getRandomValues`, Node ≥ 19 and browsers). */
export function randomBytes(n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError('randomBytes: n must be a non-negative integer');
  const out = new Uint8Array(n);
  // getRandomValues fills at most 65536 bytes per call (WebCrypto §10.1.1).
  for (let off = 0; off < n; off += 65536) crypto.getRandomValues(out.subarray(off, Math.min(n, off + 65536)));
  return out;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_INDEX = new Int16Array(128).fill(-1);
for (let i = 0; i < B64.length; i++) B64_INDEX[B64.charCodeAt(i)] = i;

/** Standard base64 (RFC 4648 §4) with padding. */
export function toBase64(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += B64[v >> 18]! + B64[(v >> 12) & 63]! + B64[(v >> 6) & 63]! + B64[v & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const v = bytes[i]! << 16;
    out += B64[v >> 18]! + B64[(v >> 12) & 63]! + '==';
  } else if (rest === 2) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += B64[v >> 18]! + B64[(v >> 12) & 63]! + B64[(v >> 6) & 63]! + '=';
  }
  return out;
}

/**
 * Decodes standard padded base64.
 * @throws {@link FormatError} on a wrong length, a character outside the alphabet, or
 *   non-zero trailing bits (a non-canonical encoding).
 */
export function fromBase64(text: string): Uint8Array {
  if (text.length % 4 !== 0) throw new FormatError('base64: length is not a multiple of 4');
  const pad = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((text.length / 4) * 3 - pad);
  const sym = (i: number): number => {
    const c = text.charCodeAt(i);
    const v = c < 128 ? B64_INDEX[c]! : -1;
    if (v < 0) throw new FormatError('base64: invalid character');
    return v;
  };
  let o = 0;
  for (let i = 0; i < text.length; i += 4) {
    const last = i + 4 === text.length;
    const a = sym(i);
    const b = sym(i + 1);
    if (last && pad === 2) {
      if ((b & 15) !== 0) throw new FormatError('base64: non-canonical padding bits');
      out[o++] = (a << 2) | (b >> 4);
    } else if (last && pad === 1) {
      const c = sym(i + 2);
      if ((c & 3) !== 0) throw new FormatError('base64: non-canonical padding bits');
      out[o++] = (a << 2) | (b >> 4);
      out[o++] = ((b & 15) << 4) | (c >> 2);
    } else {
      const c = sym(i + 2);
      const d = sym(i + 3);
      out[o++] = (a << 2) | (b >> 4);
      out[o++] = ((b & 15) << 4) | (c >> 2);
      out[o++] = ((c & 3) << 6) | d;
    }
  }
  return out;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Lower-case hex. */
export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += HEX[b]!;
  return out;
}

/**
 * Decodes hex (either case).
 * @throws {@link FormatError} on an odd length or a non-hex character.
 */
export function fromHex(text: string): Uint8Array {
  if (text.length % 2 !== 0) throw new FormatError('hex: odd length');
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) {
    const pair = text.slice(2 * i, 2 * i + 2);
    if (!/^[0-9a-fA-F]{2}$/.test(pair)) throw new FormatError('hex: invalid character');
    out[i] = parseInt(pair, 16);
  }
  return out;
}

const encoder = new TextEncoder();
const strictDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** UTF-8 bytes of `text` (lone surrogates become U+FFFD, as TextEncoder does). */
export function utf8Encode(text: string): Uint8Array {
  return encoder.encode(text);
}

/**
 * Strict UTF-8 decoding; a leading BOM is kept as U+FEFF, never stripped.
 * @throws {@link FormatError} on invalid UTF-8.
 */
export function utf8Decode(bytes: Uint8Array): string {
  try {
    return strictDecoder.decode(bytes);
  } catch {
    throw new FormatError('utf-8: invalid byte sequence');
  }
}

/** True when `text` has no lone UTF-16 surrogate, i.e. survives a UTF-8 round trip. */
export function isWellFormedString(text: string): boolean {
  return !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text);
}

/** One new array holding the parts in order. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/**
 * Compares in time that depends only on the lengths, never on where the arrays differ.
 * Use it for every comparison involving a secret or a MAC.
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
