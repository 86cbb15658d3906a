/** Passcode escrow v1, client side: vectors and properties. */
import { describe, expect, it } from 'vitest';
import {
  blindPasscode, checkPasscode, evaluatePasscode, finalizePasscode, fromHex, generatePasscodeOprfKey, generateKey,
  openPasscodeSecret, openRecoveryKeychain, passcodeEncryptionKey, passcodeVerifier, randomBytes, recoveryCopyId, recoverySecretEncryptionKey, sealKeychainForRecovery, sealPasscodeSecret, toHex,
} from '@coffer/crypto';
import { readFileSync } from 'node:fs';

interface PasscodeFile {
  userRecordName: string; passcode: string; rngStart: number; serverKey: string; input: string; blind: string; blinded: string;
  evaluated: string; output: string; verifier: string; encryptionPublicKey: string;
  passcodeSecret: string; secretBox: string; secretPublicKey: string; copyId: string;
}
const v = JSON.parse(readFileSync(new URL('./vectors/passcode.json', import.meta.url), 'utf8')) as PasscodeFile;
const rng = (start: number) => (n = 32) => Uint8Array.from({ length: n }, (_, i) => (start + i) & 0xff);

function run(serverKey: Uint8Array, user: string, passcode: string): Uint8Array {
  const b = blindPasscode(user, passcode);
  return finalizePasscode(b, evaluatePasscode(serverKey, b.blinded));
}

describe('passcode escrow', () => {
  it('matches the vector', async () => {
    const b = blindPasscode(v.userRecordName, v.passcode, rng(v.rngStart));
    expect(toHex(b.input)).toBe(v.input);
    expect(toHex(b.blind)).toBe(v.blind);
    expect(toHex(b.blinded)).toBe(v.blinded);
    const evaluated = evaluatePasscode(fromHex(v.serverKey), b.blinded);
    expect(toHex(evaluated)).toBe(v.evaluated);
    const output = finalizePasscode(b, evaluated);
    expect(toHex(output)).toBe(v.output);
    expect(toHex(passcodeVerifier(output))).toBe(v.verifier);
    expect(toHex(passcodeEncryptionKey(output).publicKey)).toBe(v.encryptionPublicKey);
    expect(toHex(await openPasscodeSecret(passcodeEncryptionKey(output).privateKey, fromHex(v.secretBox)))).toBe(v.passcodeSecret);
    const secretPair = recoverySecretEncryptionKey(fromHex(v.passcodeSecret), 'passcode');
    expect(toHex(secretPair.publicKey)).toBe(v.secretPublicKey);
    expect(recoveryCopyId(secretPair.publicKey)).toBe(v.copyId);
  });

  it('is a PRF of (account, passcode) under the server key, blind-independent', () => {
    const key = generatePasscodeOprfKey();
    expect(run(key, '_u', '123456')).toEqual(run(key, '_u', '123456'));
    expect(run(key, '_u', '123456')).not.toEqual(run(key, '_u', '123457'));
    expect(run(key, '_u', '123456')).not.toEqual(run(key, '_v', '123456'));
    // Without the server key (another key), the output — and so every derived key — differs.
    expect(run(generatePasscodeOprfKey(), '_u', '123456')).not.toEqual(run(key, '_u', '123456'));
  });

  it('blinding hides the passcode: two blinds of one passcode differ', () => {
    expect(blindPasscode('_u', '123456').blinded).not.toEqual(blindPasscode('_u', '123456').blinded);
  });

  it('derives a keychain-opening key only for the right passcode and server key', async () => {
    const key = generatePasscodeOprfKey();
    const right = passcodeEncryptionKey(run(key, '_u', '246810'));
    const keychain = generateKey('keychain');
    const copy = await sealKeychainForRecovery(right.publicKey, keychain);
    await expect(openRecoveryKeychain(passcodeEncryptionKey(run(key, '_u', '246810')).privateKey, copy)).resolves.toEqual(keychain);
    await expect(openRecoveryKeychain(passcodeEncryptionKey(run(key, '_u', '246811')).privateKey, copy)).rejects.toThrow(/cannot decrypt/);
    await expect(openRecoveryKeychain(passcodeEncryptionKey(run(generatePasscodeOprfKey(), '_u', '246810')).privateKey, copy)).rejects.toThrow(/cannot decrypt/);
    expect(passcodeVerifier(run(key, '_u', '246810'))).toEqual(passcodeVerifier(run(key, '_u', '246810')));
    expect(passcodeVerifier(run(key, '_u', '246810'))).not.toEqual(passcodeVerifier(run(key, '_u', '246811')));
  });

  it('the passcode secret box opens only with the right passcode', async () => {
    const key = generatePasscodeOprfKey();
    const secret = randomBytes(32);
    const box = await sealPasscodeSecret(passcodeEncryptionKey(run(key, '_u', '975310')).publicKey, secret);
    expect(await openPasscodeSecret(passcodeEncryptionKey(run(key, '_u', '975310')).privateKey, box)).toEqual(secret);
    await expect(openPasscodeSecret(passcodeEncryptionKey(run(key, '_u', '975311')).privateKey, box)).rejects.toThrow(/cannot decrypt/);
    await expect(sealPasscodeSecret(passcodeEncryptionKey(run(key, '_u', '975310')).publicKey, secret.subarray(1))).rejects.toThrow(/32 bytes/);
  });

  it('refuses short or malformed passcodes and bad group elements', () => {
    expect(() => {
      checkPasscode('12345');
    }).toThrow(/6 or more/);
    expect(() => {
      checkPasscode('\ud800abcdef');
    }).toThrow();
    expect(() => {
      checkPasscode('x'.repeat(257));
    }).toThrow();
    expect(() => evaluatePasscode(generatePasscodeOprfKey(), new Uint8Array(32).fill(0xff))).toThrow(/not a valid group element/);
    const b = blindPasscode('_u', '123456');
    expect(() => finalizePasscode(b, new Uint8Array(32).fill(0xff))).toThrow(/not a valid group element/);
    expect(() => passcodeEncryptionKey(new Uint8Array(32))).toThrow(/64 bytes/);
  });
});
