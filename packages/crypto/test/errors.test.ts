/** Errors carry stable codes and never key material or plaintext. */
import { describe, expect, it } from 'vitest';
import {
  decryptChunk, decryptField, encryptField, exportKey, generateKey, importKey, openSealedKey, parseRecoveryKey, toBase64, toHex,
  unwrapKey, wrapKey, CryptoError, DecryptionError, DeviceLogError, FieldTypeError, FormatError, KeyHierarchyError,
  RecoveryKeyError, generateX25519KeyPair, sealKeyTo, Labels, encryptChunk,
} from '../src/index.js';
import { ctx, flip } from './helpers.js';

function caught(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a throw');
}

describe('error classes', () => {
  it('have stable codes and are CryptoErrors', () => {
    const cases: [CryptoError, string][] = [
      [new DecryptionError('x'), 'DECRYPTION_FAILED'], [new FormatError('x'), 'FORMAT_INVALID'],
      [new RecoveryKeyError('x'), 'RECOVERY_KEY_INVALID'], [new DeviceLogError('bad-signature', 'x'), 'DEVICE_LOG_INVALID'],
      [new FieldTypeError('ASSET'), 'FIELD_TYPE_NOT_ENCRYPTABLE'], [new KeyHierarchyError('x'), 'KEY_HIERARCHY_VIOLATION'],
    ];
    for (const [e, code] of cases) {
      expect(e).toBeInstanceOf(CryptoError);
      expect(e).toBeInstanceOf(Error);
      expect(e.code).toBe(code);
      expect(e.name).toBe(e.constructor.name);
    }
  });
});

describe('no secrets in error messages', () => {
  const key = generateKey('record');
  const secret = 'TOP-SECRET-PLAINTEXT-1234';
  const forbidden = [toHex(key.bytes), toBase64(key.bytes), secret, exportKey(key).split(':').at(-1)!];
  const clean = (e: Error): void => {
    const text = `${e.message} ${e.stack ?? ''} ${JSON.stringify(e)}`;
    for (const f of forbidden) expect(text.includes(f)).toBe(false);
  };

  it('decryption failures of every format', async () => {
    const env = encryptField(key, ctx, secret);
    clean(caught(() => decryptField(key, ctx, flip(env, 40))));
    clean(caught(() => decryptField(key, { ...ctx, fieldName: 'other' }, env)));
    const zone = generateKey('zone');
    clean(caught(() => unwrapKey(zone, flip(wrapKey(zone, key), 60), 'record')));
    clean(caught(() => decryptChunk(key.bytes, flip(encryptChunk(key.bytes, new TextEncoder().encode(secret)), 5))));
    const r = generateX25519KeyPair();
    const sealed = await sealKeyTo(r.publicKey, key, Labels.escrow);
    try {
      await openSealedKey(r.privateKey, flip(sealed, 70), Labels.escrow);
    } catch (e) {
      clean(e as Error);
    }
  });
  it('format failures on secret-bearing inputs', () => {
    clean(caught(() => importKey(`${exportKey(key)}x`)));
    clean(caught(() => encryptField(key, { ...ctx, fieldType: 'INT64' }, secret)));
    clean(caught(() => parseRecoveryKey(`${secret}!`)));
  });
});
