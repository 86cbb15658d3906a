/**
 * Sealing of auth secrets at rest (TOTP secrets, OPAQUE login states) and keyed hashing
 * of throttle keys, under a 256-bit key in `<dataDir>/auth-at-rest.key`.
 *
 * Why a file and not the database: a stolen database alone must not reveal TOTP seeds
 * (which would let the thief pass the second factor) nor the mid-login OPAQUE state.
 * This is protocol glue over node:crypto (OpenSSL's AES-256-GCM and HMAC-SHA-256), not
 * user-data encryption — that stays in the crypto core, reached only via the escrow module.
 *
 * Format: `a1.` + base64url(nonce[12] ‖ ciphertext ‖ tag[16]). The AAD binds a purpose
 * and owner (e.g. `totp:<userRecordName>`), so a sealed value copied to another row or
 * account does not open.
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { ServerKeyIdsRepository } from '@coffer/storage';
import { loadKeyFile } from './key-files.js';

const PREFIX = 'a1.';
const FILE_HEADER = 'coffer-auth-at-rest-key-v1\n';

export interface AtRestSealer {
  seal(plaintext: Uint8Array, aad: string): string;
  /** Throws on any tampering, a wrong AAD or an unknown format. */
  open(sealed: string, aad: string): Uint8Array;
  /** HMAC-SHA-256 hex: a stable, non-reversible id for values (emails, IPs) used as DB keys. */
  keyedHash(domain: string, value: string): string;
}

export function createAtRestSealer(key: Uint8Array): AtRestSealer {
  if (key.length !== 32) throw new Error('auth at-rest key must be 32 bytes');
  const k = Buffer.from(key);
  return {
    seal(plaintext, aad) {
      // A random 96-bit nonce per value: far below GCM's 2^32 random-nonce bound for this volume.
      const nonce = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', k, nonce);
      cipher.setAAD(Buffer.from(aad, 'utf8'));
      const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
      return PREFIX + Buffer.concat([nonce, body, cipher.getAuthTag()]).toString('base64url');
    },
    open(sealed, aad) {
      if (!sealed.startsWith(PREFIX)) throw new Error('unknown sealed-value format');
      const raw = Buffer.from(sealed.slice(PREFIX.length), 'base64url');
      if (raw.length < 28) throw new Error('sealed value too short');
      const decipher = createDecipheriv('aes-256-gcm', k, raw.subarray(0, 12));
      decipher.setAAD(Buffer.from(aad, 'utf8'));
      decipher.setAuthTag(raw.subarray(raw.length - 16));
      return new Uint8Array(Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]));
    },
    keyedHash(domain, value) {
      return createHmac('sha256', k).update(`${domain}\0${value}`, 'utf8').digest('hex');
    },
  };
}

export async function loadAtRestSealer(dataDir: string, keyIds: ServerKeyIdsRepository, now: number): Promise<AtRestSealer> {
  const key = await loadKeyFile<Uint8Array>(
    {
      name: 'auth-at-rest',
      path: join(dataDir, 'auth-at-rest.key'),
      label: 'auth at-rest key',
      create: () => `${FILE_HEADER}${randomBytes(32).toString('base64')}\n`,
      parse: (contents) => {
        if (!contents.startsWith(FILE_HEADER)) throw new Error('unknown header');
        const key = Buffer.from(contents.slice(FILE_HEADER.length).trim(), 'base64');
        if (key.length !== 32) throw new Error('key is not 32 bytes');
        return new Uint8Array(key);
      },
      // A hash of a secret key is safe to record: 256-bit preimage resistance.
      fingerprint: (key) => createHash('sha256').update('coffer auth-at-rest key id').update(key).digest('hex').slice(0, 32),
    },
    keyIds,
    now,
  );
  return createAtRestSealer(key);
}
