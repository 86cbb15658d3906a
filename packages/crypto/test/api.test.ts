/**
 * The public API other packages code against: these names must stay exported. Adding
 * exports is fine; removing or renaming one is a breaking change for server and SDK.
 */
import { expect, it } from 'vitest';
import * as api from '../src/index.js';

const stable = [
  'CryptoError', 'DecryptionError', 'FormatError', 'RecoveryKeyError', 'DeviceLogError', 'FieldTypeError', 'KeyHierarchyError',
  'randomBytes', 'toBase64', 'fromBase64', 'toHex', 'fromHex', 'utf8Encode', 'utf8Decode', 'concatBytes', 'constantTimeEqual',
  'sha256', 'hmacSha256', 'hkdf', 'deriveSubkey', 'Labels', 'aes256gcmSeal', 'aes256gcmOpen', 'primitivesBackend',
  'KeyKinds', 'generateKey', 'keyFromBytes', 'wrapKey', 'unwrapKey', 'inspectWrappedKey', 'exportKey', 'importKey', 'canWrap',
  'encryptField', 'decryptField', 'inspectFieldEnvelope', 'encodeFieldValue', 'decodeFieldValue', 'fieldValueToWire',
  'fieldValueFromWire', 'isEncryptableType',
  'encryptChunk', 'decryptChunk', 'encryptChunkInto', 'decryptChunkInto', 'chunkCiphertextSize', 'chunkPlaintextSize', 'CHUNK_SEGMENT_SIZE',
  'padmeLength', 'pad', 'unpad',
  'generateDeviceIdentity', 'publicIdentity', 'encodePublicIdentity', 'decodePublicIdentity', 'exportDeviceIdentity',
  'importDeviceIdentity', 'deviceIdOf', 'generateX25519KeyPair', 'sealKeyTo', 'openSealedKey', 'inspectSealedKey',
  'generateRecoveryKey', 'parseRecoveryKey', 'recoveryWrappingKey', 'recoverySigner', 'RECOVERY_ALPHABET',
  'createLogEntry', 'encodeLogEntry', 'decodeLogEntry', 'logEntryHash', 'verifyDeviceLog', 'verifyLogExtends', 'DeviceLogKinds',
];

it('exports every stable name', () => {
  const missing = stable.filter((name) => !(name in api));
  expect(missing).toEqual([]);
});

it('does not export the fixed-randomness helpers used for vectors', () => {
  for (const name of ['wrapKeyWithNonce', 'encryptFieldWithNonce', 'sealKeyToWithEphemeral', 'deviceIdentityFromSeeds', 'recoveryKeyFromData']) {
    expect(name in api, name).toBe(false);
  }
});
