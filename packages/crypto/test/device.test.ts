/** Device identity v1, Public identity v1 and Sealed key v1 (HPKE). */
import { describe, expect, it } from 'vitest';
import {
  decodePublicIdentity, deviceIdOf, encodePublicIdentity, exportDeviceIdentity, generateDeviceIdentity, generateKey,
  generateX25519KeyPair, importDeviceIdentity, inspectSealedKey, Labels, openSealedKey, publicIdentity, sealKeyTo,
  DecryptionError, FormatError,
} from '../src/index.js';
import { flip } from './helpers.js';

describe('device identity', () => {
  const d = generateDeviceIdentity('Alice’s phone');
  it('has 32-byte keys and an id derived from the public keys', () => {
    expect(d.signingPublicKey.length).toBe(32);
    expect(d.hpkePublicKey.length).toBe(32);
    expect(d.id).toMatch(/^[0-9a-f]{32}$/);
    expect(deviceIdOf(d)).toBe(d.id);
    expect(generateDeviceIdentity('Alice’s phone').id).not.toBe(d.id);
  });
  it('publicIdentity drops the private keys', () => {
    const p = publicIdentity(d);
    expect(Object.keys(p).sort()).toEqual(['hpkePublicKey', 'id', 'name', 'signingPublicKey']);
  });
  it('Public identity v1 round-trips and recomputes the id', () => {
    const bytes = encodePublicIdentity(d);
    expect(bytes[0]).toBe(1);
    expect(decodePublicIdentity(bytes)).toEqual(publicIdentity(d));
  });
  it('decodePublicIdentity rejects versions, truncation, trailing bytes and invalid points', () => {
    const bytes = encodePublicIdentity(d);
    expect(() => decodePublicIdentity(flip(bytes, 0, 1))).toThrow(FormatError);
    expect(() => decodePublicIdentity(bytes.subarray(0, bytes.length - 1))).toThrow(FormatError);
    expect(() => decodePublicIdentity(Uint8Array.of(...bytes, 0))).toThrow(FormatError);
    const badPoint = bytes.slice();
    badPoint.set(new Uint8Array(32).fill(0xff), 1); // y ≥ p: not a canonical point encoding
    expect(() => decodePublicIdentity(badPoint)).toThrow(FormatError);
  });
  it('export/import for the local store round-trips; bad inputs are FormatError', () => {
    const text = exportDeviceIdentity(d);
    expect(text.startsWith('coffer-device-v1:')).toBe(true);
    expect(importDeviceIdentity(text)).toEqual(d);
    expect(() => importDeviceIdentity(text.replace('v1', 'v2'))).toThrow(FormatError);
    expect(() => importDeviceIdentity('coffer-device-v1:AAAA')).toThrow(FormatError);
  });
  it('names must be 1..256 bytes of well-formed text', () => {
    expect(() => generateDeviceIdentity('')).toThrow(FormatError);
    expect(() => generateDeviceIdentity('x'.repeat(257))).toThrow(FormatError);
    expect(() => generateDeviceIdentity('bad \uD800')).toThrow(FormatError);
  });
});

describe('Sealed key v1', () => {
  const recipient = generateX25519KeyPair();
  const key = generateKey('service', { version: 4 });

  it('round-trips and exposes kind, id and version in its header', async () => {
    const sealed = await sealKeyTo(recipient.publicKey, key, Labels.escrow);
    expect(sealed.length).toBe(102);
    expect(inspectSealedKey(sealed)).toEqual({ kind: 'service', keyId: key.id, keyVersion: 4 });
    expect(await openSealedKey(recipient.privateKey, sealed, Labels.escrow, 'service')).toEqual(key);
  });
  it('works with a device identity’s HPKE key', async () => {
    const d = generateDeviceIdentity('Mac');
    const keychain = generateKey('keychain');
    const sealed = await sealKeyTo(d.hpkePublicKey, keychain, Labels.deviceKeychain);
    expect(await openSealedKey(d.hpkePrivateKey, sealed, Labels.deviceKeychain)).toEqual(keychain);
  });
  it('another purpose, recipient or expected kind → DecryptionError', async () => {
    const sealed = await sealKeyTo(recipient.publicKey, key, Labels.escrow);
    await expect(openSealedKey(recipient.privateKey, sealed, Labels.webAccess)).rejects.toThrow(DecryptionError);
    await expect(openSealedKey(generateX25519KeyPair().privateKey, sealed, Labels.escrow)).rejects.toThrow(DecryptionError);
    await expect(openSealedKey(recipient.privateKey, sealed, Labels.escrow, 'zone')).rejects.toThrow(DecryptionError);
  });
  it('every byte flipped, truncated or extended → DecryptionError', async () => {
    const sealed = await sealKeyTo(recipient.publicKey, key, Labels.escrow);
    for (let i = 0; i < sealed.length; i++) {
      await expect(openSealedKey(recipient.privateKey, flip(sealed, i, i % 8), Labels.escrow)).rejects.toThrow(DecryptionError);
    }
    await expect(openSealedKey(recipient.privateKey, sealed.subarray(0, 101), Labels.escrow)).rejects.toThrow(DecryptionError);
    await expect(openSealedKey(recipient.privateKey, Uint8Array.of(...sealed, 0), Labels.escrow)).rejects.toThrow(DecryptionError);
  });
  it('bad recipient keys and empty purposes are FormatError', async () => {
    await expect(sealKeyTo(new Uint8Array(31), key, Labels.escrow)).rejects.toThrow(FormatError);
    await expect(sealKeyTo(new Uint8Array(32), key, Labels.escrow)).rejects.toThrow(FormatError); // low-order point
    await expect(sealKeyTo(recipient.publicKey, key, '')).rejects.toThrow(FormatError);
  });
});
