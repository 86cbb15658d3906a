/**
 * Writes the "Devices and recovery formats" vectors (docs/PROTOCOL.md) to
 * packages/crypto/test/vectors/{join-code,recovery-signer,passcode}.json from fixed inputs.
 * Run: node --import tsx packages/crypto/scripts/generate-issue4-vectors.ts
 * test/{join-code,recovery-signer,passcode}.test.ts recompute every value and fail on any difference.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ristretto255_oprf } from '@noble/curves/ed25519.js';
import {
  blindPasscode, codeExchangeFinish, codeExchangeRespond, codeExchangeStart, encodePublicIdentity, encodeRecoveryShare,
  evaluatePasscode, finalizePasscode, joinApproverNonce, joinCode, joinCommitment, keychainRecoverySigner, keyFromBytes, parseRecoveryKey, passcodeEncryptionKey,
  passcodeVerifier, PasscodeLabels, recoveryCopyId, recoveryKeyEncryptionKey, recoverySecretEncryptionKey, sealKeychainItems, shareBoxContext, toHex,
  utf8Encode, type RecoveryShare, type X25519KeyPair,
} from '../src/index.js';
import { deviceIdentityFromSeeds } from '../src/device.js';
import { sealKeyToWithEphemeral } from '../src/hpke.js';
import { recoveryKeyFromData } from '../src/recovery.js';
import { RecoveryLabels, sealRecoveryShare } from '../src/recovery-signer.js';

const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'test', 'vectors');

function fixedBytes(length: number, start: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (start + i) & 0xff);
}

function write(name: string, value: unknown): void {
  writeFileSync(join(out, name), `${JSON.stringify(value, null, 2)}\n`);
  process.stdout.write(`wrote ${name}\n`);
}

/** A deterministic "rng" for the OPRF blind: bytes start, start+1, … of the requested length. */
export function fixedRng(start: number): (n?: number) => Uint8Array {
  return (n = 32) => fixedBytes(n, start);
}

const device = deviceIdentityFromSeeds('Ann’s laptop', fixedBytes(32, 0x10), fixedBytes(32, 0x30));
const newDevice = deviceIdentityFromSeeds('New phone', fixedBytes(32, 0x50), fixedBytes(32, 0x70));
const newDeviceBytes = encodePublicIdentity(newDevice);

// ── join-code.json ─────────────────────────────────────────────────────────────
const exchangeCtx = { ownerUserRecordName: '_a1b2c3', requestId: 'req-0001', newDevice: newDeviceBytes };
const contactScalar = 0x0123456789abcdefn;
const deviceScalar = 0x0fedcba987654321n;
const started = codeExchangeStart('428913', exchangeCtx, contactScalar);
const responded = codeExchangeRespond('428913', exchangeCtx, started.message, deviceScalar);
const finished = codeExchangeFinish(started, responded.message, responded.confirmation);
if (finished === null || toHex(finished) !== toHex(responded.sessionKey)) throw new Error('code exchange vector does not verify');
write('join-code.json', {
  format: 'Join code v1, code exchange v1',
  description: 'joinCommitment(identity, deviceNonce); joinApproverNonce(secret, requestId); joinCode(identity, requestId, deviceNonce, approverNonce); code exchange with fixed scalars (hex, big-endian)',
  joinCode: {
    publicIdentity: toHex(newDeviceBytes),
    requestId: 'req-0001',
    deviceNonce: toHex(fixedBytes(32, 0x90)),
    commitment: toHex(joinCommitment(newDeviceBytes, fixedBytes(32, 0x90))),
    approverSecret: toHex(fixedBytes(32, 0x10)),
    approverNonce: toHex(joinApproverNonce(fixedBytes(32, 0x10), 'req-0001')),
    code: joinCode(newDeviceBytes, 'req-0001', fixedBytes(32, 0x90), joinApproverNonce(fixedBytes(32, 0x10), 'req-0001')),
  },
  codeExchange: {
    code: '428913',
    ownerUserRecordName: exchangeCtx.ownerUserRecordName,
    requestId: exchangeCtx.requestId,
    newDevice: toHex(newDeviceBytes),
    contactScalar: contactScalar.toString(16),
    deviceScalar: deviceScalar.toString(16),
    contactMessage: toHex(started.message),
    deviceMessage: toHex(responded.message),
    confirmation: toHex(responded.confirmation),
    sessionKey: toHex(responded.sessionKey),
  },
});

// ── recovery-signer.json ───────────────────────────────────────────────────────
const keychainKey = keyFromBytes('keychain', fixedBytes(32, 0xc0), { id: '00112233445566778899aabbccddeeff', version: 3 });

async function encryptionVector(pair: X25519KeyPair, ikm: Uint8Array): Promise<Record<string, string>> {
  return {
    encryptionPublicKey: toHex(pair.publicKey),
    ephemeralIkm: toHex(ikm),
    keychainCopy: toHex(await sealKeyToWithEphemeral(pair.publicKey, keychainKey, RecoveryLabels.keychainCopy, ikm)),
  };
}

const rk = parseRecoveryKey(recoveryKeyFromData(Array.from({ length: 26 }, (_, i) => (i * 5 + 3) % 32)));
const rkSalt = fixedBytes(16, 0x11);
const contactsSecret = fixedBytes(32, 0xd0);
const share: RecoveryShare = { setId: fixedBytes(16, 0xe0), threshold: 1, total: 2, index: 1, bytes: contactsSecret };
const shareContext = shareBoxContext(RecoveryLabels.shareHold, ['_a1b2c3', '_contact9']);
const signer = keychainRecoverySigner(keychainKey);
const itemsPlain = utf8Encode('{"version":1}');

write('recovery-signer.json', {
  format: 'Keychain recovery signer v1, Recovery encryption keys v1, Recovery keychain copy v1, Keychain items box v1, Recovery share v1, Recovery share box v1',
  keychainKey: { id: keychainKey.id, version: keychainKey.version, bytes: toHex(keychainKey.bytes) },
  keychainSigner: { id: signer.id, publicKey: toHex(signer.signingPublicKey) },
  keychainItems: { plaintext: toHex(itemsPlain), nonce: toHex(fixedBytes(12, 0x05)), box: toHex(sealKeychainItems(keychainKey, itemsPlain, fixedBytes(12, 0x05))) },
  recoveryKey: { text: rk.text, salt: toHex(rkSalt), ...(await encryptionVector(recoveryKeyEncryptionKey(rk, rkSalt), fixedBytes(32, 0x01))) },
  secrets: [
    { method: 'contacts', secret: toHex(contactsSecret), ...(await encryptionVector(recoverySecretEncryptionKey(contactsSecret, 'contacts'), fixedBytes(32, 0x02))) },
    { method: 'passcode', secret: toHex(fixedBytes(32, 0xa0)), ...(await encryptionVector(recoverySecretEncryptionKey(fixedBytes(32, 0xa0), 'passcode'), fixedBytes(32, 0x03))) },
  ],
  share: {
    setId: toHex(share.setId), threshold: share.threshold, total: share.total, index: share.index, bytes: toHex(share.bytes),
    encoded: toHex(encodeRecoveryShare(share)),
    boxRecipientPrivateKey: toHex(fixedBytes(32, 0x30)),
    boxContext: toHex(shareContext),
    boxEphemeralIkm: toHex(fixedBytes(32, 0x04)),
    box: toHex(await sealRecoveryShare(device.hpkePublicKey, share, RecoveryLabels.shareHold, shareContext, fixedBytes(32, 0x04))),
  },
});

// ── passcode.json ──────────────────────────────────────────────────────────────
const serverKey = ristretto255_oprf.oprf.deriveKeyPair(fixedBytes(32, 0x40), new TextEncoder().encode('coffer test vector')).secretKey;
const blinded = blindPasscode('_a1b2c3', '123456', fixedRng(0x20));
const evaluated = evaluatePasscode(serverKey, blinded.blinded);
const output = finalizePasscode(blinded, evaluated);
const pair = passcodeEncryptionKey(output);
const passcodeSecret = fixedBytes(32, 0x70);
const secretPair = recoverySecretEncryptionKey(passcodeSecret, 'passcode');
const secretBox = await sealKeyToWithEphemeral(pair.publicKey, keyFromBytes('recovery', passcodeSecret, { id: '00'.repeat(16), version: 1 }), PasscodeLabels.secretBox, fixedBytes(32, 0x06));
write('passcode.json', {
  format: 'Passcode escrow v1 (RFC 9497 OPRF ristretto255-SHA512)',
  description: 'blind rng returns bytes rngStart, rngStart+1, … of the length asked; serverKey is the OPRF secret scalar',
  userRecordName: '_a1b2c3',
  passcode: '123456',
  rngStart: 0x20,
  serverKey: toHex(serverKey),
  input: toHex(blinded.input),
  blind: toHex(blinded.blind),
  blinded: toHex(blinded.blinded),
  evaluated: toHex(evaluated),
  output: toHex(output),
  verifier: toHex(passcodeVerifier(output)),
  encryptionPublicKey: toHex(pair.publicKey),
  passcodeSecret: toHex(passcodeSecret),
  secretBoxEphemeralIkm: toHex(fixedBytes(32, 0x06)),
  secretBox: toHex(secretBox),
  secretPublicKey: toHex(secretPair.publicKey),
  copyId: recoveryCopyId(secretPair.publicKey),
});
