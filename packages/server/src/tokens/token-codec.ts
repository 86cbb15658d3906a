/**
 * Sync tokens and continuation markers: opaque to clients, HMAC-SHA256-authenticated
 * with a key kept in the database (so every node sharing it accepts every node's
 * tokens), and bound to what they page — a token for one zone or database is refused
 * by any other. Format: base64url(JSON payload) "." base64url(first 16 bytes of the MAC).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Store } from '@coffer/storage';
import { badRequest } from '../http/cloud-error.js';

const KEY_NAME = 'token-hmac-key-v1';

export interface TokenCodec {
  seal(payload: object): string;
  /** The payload, or BAD_REQUEST when the string is not an intact token of this server. */
  open(token: string, what: string): Record<string, unknown>;
}

export async function createTokenCodec(store: Store): Promise<TokenCodec> {
  const key = Buffer.from(await store.meta.getOrCreate(KEY_NAME, () => randomBytes(32).toString('base64')), 'base64');
  const mac = (data: string) => createHmac('sha256', key).update(data).digest().subarray(0, 16);
  return {
    seal(payload) {
      const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
      return `${body}.${mac(body).toString('base64url')}`;
    },
    open(token, what) {
      const invalid = () => badRequest(`${what} is not valid: it was not issued by this server or was altered`);
      if (token.length > 4096) throw invalid();
      const [body, tag, extra] = token.split('.');
      if (body === undefined || tag === undefined || extra !== undefined) throw invalid();
      const expected = mac(body);
      const given = Buffer.from(tag, 'base64url');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid();
      let payload: unknown;
      try {
        payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
      } catch {
        throw invalid();
      }
      if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) throw invalid();
      return payload as Record<string, unknown>;
    },
  };
}
