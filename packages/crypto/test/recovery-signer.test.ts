/** Keychain recovery signer, recovery encryption keys, keychain copies, keychain items, shares and share boxes. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  combineRecoveryShares, createLogEntry, decodeRecoveryShare, encodeRecoveryShare, fromHex, generateDeviceIdentity, generateKey,
  generateRecoveryKey, generateRecoverySecret, keychainRecoverySigner, keyFromBytes, openKeychainItems, openRecoveryKeychain,
  openRecoveryShare, parseRecoveryKey, randomBytes, recoveryCopyId, recoveryKeyEncryptionKey, recoverySecretEncryptionKey, RecoveryLabels,
  sealKeychainForRecovery, sealKeychainItems, sealRecoveryShare, shareBoxContext, splitRecoverySecret, toHex, utf8Encode,
  verifyDeviceLog, type X25519KeyPair,
} from '@coffer/crypto';

interface CopyVector { encryptionPublicKey: string; ephemeralIkm: string; keychainCopy: string }
interface SignerFile {
  keychainKey: { id: string; version: number; bytes: string };
  keychainSigner: { id: string; publicKey: string };
  keychainItems: { plaintext: string; nonce: string; box: string };
  recoveryKey: CopyVector & { text: string; salt: string };
  secrets: (CopyVector & { method: 'contacts' | 'passcode'; secret: string })[];
  share: {
    setId: string; threshold: number; total: number; index: number; bytes: string; encoded: string;
    boxRecipientPrivateKey: string; boxContext: string; box: string;
  };
}
const v = JSON.parse(readFileSync(new URL('./vectors/recovery-signer.json', import.meta.url), 'utf8')) as SignerFile;
const keychainKey = keyFromBytes('keychain', fromHex(v.keychainKey.bytes), { id: v.keychainKey.id, version: v.keychainKey.version });

async function checkCopy(pair: X25519KeyPair, x: CopyVector): Promise<void> {
  expect(toHex(pair.publicKey)).toBe(x.encryptionPublicKey);
  await expect(openRecoveryKeychain(pair.privateKey, fromHex(x.keychainCopy))).resolves.toEqual(keychainKey);
}

describe('recovery vectors', () => {
  it('keychain recovery signer and keychain items box', () => {
    const signer = keychainRecoverySigner(keychainKey);
    expect(signer.id).toBe(v.keychainSigner.id);
    expect(toHex(signer.signingPublicKey)).toBe(v.keychainSigner.publicKey);
    expect(toHex(sealKeychainItems(keychainKey, fromHex(v.keychainItems.plaintext), fromHex(v.keychainItems.nonce)))).toBe(v.keychainItems.box);
    expect(toHex(openKeychainItems(keychainKey, fromHex(v.keychainItems.box)))).toBe(v.keychainItems.plaintext);
  });
  it('recovery key encryption key and keychain copy', async () => {
    await checkCopy(recoveryKeyEncryptionKey(parseRecoveryKey(v.recoveryKey.text), fromHex(v.recoveryKey.salt)), v.recoveryKey);
  });
  it('contacts and passcode secrets', async () => {
    for (const s of v.secrets) await checkCopy(recoverySecretEncryptionKey(fromHex(s.secret), s.method), s);
  });
  it('share and share box', async () => {
    const s = v.share;
    const share = { setId: fromHex(s.setId), threshold: s.threshold, total: s.total, index: s.index, bytes: fromHex(s.bytes) };
    expect(toHex(encodeRecoveryShare(share))).toBe(s.encoded);
    expect(decodeRecoveryShare(fromHex(s.encoded))).toEqual(share);
    const opened = await openRecoveryShare(fromHex(s.boxRecipientPrivateKey), fromHex(s.box), RecoveryLabels.shareHold, fromHex(s.boxContext));
    expect(opened).toEqual(share);
  });
});

describe('keychain recovery signer', () => {
  it('is per keychain key version and may add a device to the log (and nothing else)', () => {
    const a = keychainRecoverySigner(keychainKey);
    const rotated = keyFromBytes('keychain', keychainKey.bytes, { id: keychainKey.id, version: keychainKey.version + 1 });
    expect(keychainRecoverySigner(rotated).id).not.toBe(a.id);
    expect(() => keychainRecoverySigner(generateKey('service'))).toThrow(/keychain key/);
    const device = generateDeviceIdentity('first');
    const e0 = createLogEntry(device, null, { kind: 'add-device', subject: device });
    const e1 = createLogEntry(device, e0, { kind: 'recovery-key-set', subject: a.signingPublicKey });
    const joined = generateDeviceIdentity('recovered');
    const e2 = createLogEntry(a, e1, { kind: 'add-device', subject: joined });
    expect(verifyDeviceLog([e0, e1, e2]).devices.map((d) => d.id)).toEqual([device.id, joined.id]);
    const adp = createLogEntry(a, e1, { kind: 'adp-on', subject: null });
    expect(() => verifyDeviceLog([e0, e1, adp])).toThrow(expect.objectContaining({ reason: 'bad-transition' }) as Error);
    // After rotation (recovery-key-set with the new signer) the old signer is dead.
    const next = keychainRecoverySigner(generateKey('keychain'));
    const e2b = createLogEntry(device, e1, { kind: 'recovery-key-set', subject: next.signingPublicKey });
    const late = createLogEntry(a, e2b, { kind: 'add-device', subject: joined });
    expect(() => verifyDeviceLog([e0, e1, e2b, late])).toThrow(expect.objectContaining({ reason: 'removed-signer' }) as Error);
  });
});

describe('keychain items box', () => {
  it('opens only under the same keychain key id and version and detects tampering', () => {
    const key = generateKey('keychain');
    const box = sealKeychainItems(key, utf8Encode('secret items'));
    expect(openKeychainItems(key, box)).toEqual(utf8Encode('secret items'));
    expect(() => openKeychainItems(generateKey('keychain'), box)).toThrow(/cannot decrypt/);
    expect(() => openKeychainItems(keyFromBytes('keychain', key.bytes, { id: key.id, version: key.version + 1 }), box)).toThrow(/cannot decrypt/);
    const flipped = box.slice();
    flipped[20]! ^= 1;
    expect(() => openKeychainItems(key, flipped)).toThrow(/cannot decrypt/);
    expect(() => sealKeychainItems(generateKey('service'), new Uint8Array(1))).toThrow(/keychain key/);
  });
});

describe('recovery encryption keys', () => {
  it('methods, secrets and salts are separated', () => {
    const secret = generateRecoverySecret();
    expect(recoverySecretEncryptionKey(secret, 'contacts').publicKey).not.toEqual(recoverySecretEncryptionKey(secret, 'passcode').publicKey);
    const rk = parseRecoveryKey(generateRecoveryKey());
    const salt = randomBytes(16);
    expect(recoveryKeyEncryptionKey(rk, salt)).toEqual(recoveryKeyEncryptionKey(rk, salt));
    expect(recoveryKeyEncryptionKey(rk, randomBytes(16)).publicKey).not.toEqual(recoveryKeyEncryptionKey(rk, salt).publicKey);
    expect(() => recoverySecretEncryptionKey(secret.subarray(1), 'contacts')).toThrow(/32 bytes/);
    expect(() => recoveryKeyEncryptionKey(rk, new Uint8Array(8))).toThrow(/salt/);
  });

  it('recovery copy ids look like device ids and differ per key', () => {
    const a = recoverySecretEncryptionKey(generateRecoverySecret(), 'passcode').publicKey;
    const b = recoverySecretEncryptionKey(generateRecoverySecret(), 'passcode').publicKey;
    expect(recoveryCopyId(a)).toMatch(/^[0-9a-f]{32}$/);
    expect(recoveryCopyId(a)).toBe(recoveryCopyId(a));
    expect(recoveryCopyId(a)).not.toBe(recoveryCopyId(b));
  });

  it('a keychain copy opens only with its recovery key', async () => {
    const key = generateKey('keychain');
    const salt = randomBytes(16);
    const a = recoveryKeyEncryptionKey(parseRecoveryKey(generateRecoveryKey()), salt);
    const b = recoveryKeyEncryptionKey(parseRecoveryKey(generateRecoveryKey()), salt);
    const copy = await sealKeychainForRecovery(a.publicKey, key);
    await expect(openRecoveryKeychain(a.privateKey, copy)).resolves.toEqual(key);
    await expect(openRecoveryKeychain(b.privateKey, copy)).rejects.toThrow(/cannot decrypt/);
    await expect(sealKeychainForRecovery(a.publicKey, generateKey('service'))).rejects.toThrow(/keychain key/);
  });
});

describe('recovery shares', () => {
  it('k-of-n shares rebuild the secret with any k and fail with fewer or mixed splits', async () => {
    const secret = generateRecoverySecret();
    const shares = await splitRecoverySecret(secret, 5, 3);
    expect(await combineRecoveryShares([shares[4]!, shares[0]!, shares[2]!])).toEqual(secret);
    expect(await combineRecoveryShares([shares[1]!, shares[3]!, shares[4]!])).toEqual(secret);
    await expect(combineRecoveryShares(shares.slice(0, 2))).rejects.toThrow(/3 needed/);
    await expect(combineRecoveryShares([shares[0]!, shares[0]!, shares[1]!])).rejects.toThrow(/3 needed/);
    const other = await splitRecoverySecret(secret, 5, 3);
    await expect(combineRecoveryShares([shares[0]!, shares[1]!, other[2]!])).rejects.toThrow(/different splits/);
    const single = await splitRecoverySecret(secret, 2, 1);
    expect(await combineRecoveryShares([single[1]!])).toEqual(secret);
    await expect(splitRecoverySecret(secret, 2, 3)).rejects.toThrow(/threshold/);
    for (const s of shares) expect(decodeRecoveryShare(encodeRecoveryShare(s))).toEqual(s);
  });

  it('share boxes bind recipient, purpose and context', async () => {
    const contact = generateDeviceIdentity('contact');
    const [share] = await splitRecoverySecret(generateRecoverySecret(), 1, 1);
    const ctx = shareBoxContext(RecoveryLabels.shareHold, ['_owner', '_contact']);
    const box = await sealRecoveryShare(contact.hpkePublicKey, share!, RecoveryLabels.shareHold, ctx);
    expect(await openRecoveryShare(contact.hpkePrivateKey, box, RecoveryLabels.shareHold, ctx)).toEqual(share);
    await expect(openRecoveryShare(generateDeviceIdentity('x').hpkePrivateKey, box, RecoveryLabels.shareHold, ctx)).rejects.toThrow(/cannot decrypt/);
    await expect(openRecoveryShare(contact.hpkePrivateKey, box, RecoveryLabels.shareRelease, ctx)).rejects.toThrow(/cannot decrypt/);
    await expect(openRecoveryShare(contact.hpkePrivateKey, box, RecoveryLabels.shareHold, shareBoxContext(RecoveryLabels.shareHold, ['_other', '_contact']))).rejects.toThrow(/cannot decrypt/);
    const flipped = box.slice();
    flipped[40]! ^= 1;
    await expect(openRecoveryShare(contact.hpkePrivateKey, flipped, RecoveryLabels.shareHold, ctx)).rejects.toThrow(/cannot decrypt/);
  });
});
