/**
 * @coffer/crypto — all of Coffer's cryptography, and nothing else: no I/O, no clocks
 * except where a caller-supplied timestamp is missing, no global state. Every byte
 * format is versioned and specified in docs/PROTOCOL.md, with vectors in
 * packages/crypto/test/vectors/.
 *
 * Primitives: AES-256-GCM, SHA-256, HMAC-SHA-256, HKDF-SHA-256, Ed25519 and X25519
 * (node:crypto in Node, @noble/* elsewhere; one strict Ed25519 verification rule on both:
 * ed25519-strict.ts), ristretto255 (@noble/curves, both), HPKE RFC 9180 base mode
 * DHKEM(X25519, HKDF-SHA256) / HKDF-SHA256 / AES-256-GCM (@hpke/core).
 */

// Errors — callers branch on `code`.
export {
  CryptoError,
  DecryptionError,
  FormatError,
  RecoveryKeyError,
  DeviceLogError,
  FieldTypeError,
  KeyHierarchyError,
  type CryptoErrorCode,
  type DeviceLogErrorReason,
} from './errors.js';

// Bytes and encodings.
export {
  randomBytes,
  toBase64,
  fromBase64,
  toHex,
  fromHex,
  utf8Encode,
  utf8Decode,
  concatBytes,
  constantTimeEqual,
} from './bytes.js';

// Hashes, MACs, KDF and the label registry.
export { sha256, hmacSha256, hkdf, deriveSubkey, Labels, type Label } from './derive.js';

// Raw AEAD, for formats defined elsewhere in this package only; prefer the formats below.
export { aes256gcmSeal, aes256gcmOpen, primitivesBackend } from '#primitives';

// Key hierarchy.
export {
  KeyKinds,
  generateKey,
  keyFromBytes,
  wrapKey,
  unwrapKey,
  inspectWrappedKey,
  exportKey,
  importKey,
  canWrap,
  type KeyKind,
  type SymmetricKey,
  type WrappedKeyHeader,
} from './keys.js';

// Field envelopes and the canonical value codec.
export {
  encryptField,
  decryptField,
  inspectFieldEnvelope,
  encodeFieldValue,
  decodeFieldValue,
  fieldValueToWire,
  fieldValueFromWire,
  isEncryptableType,
  type FieldContext,
  type FieldValue,
  type FieldValueOf,
  type EncryptableFieldType,
  type EncryptableScalarType,
  type ScalarFieldValues,
  type FieldEnvelopeHeader,
  type ToWireOptions,
} from './field.js';

// Asset chunk encryption (STREAM).
export {
  encryptChunk,
  decryptChunk,
  encryptChunkInto,
  encryptChunkParts,
  decryptChunkInto,
  chunkCiphertextSize,
  chunkPlaintextSize,
  CHUNK_SEGMENT_SIZE,
} from './chunk.js';

// Padding.
export { padmeLength, pad, unpad, unpadView } from './padding.js';

// Device identities and HPKE key sealing.
export {
  generateDeviceIdentity,
  publicIdentity,
  encodePublicIdentity,
  decodePublicIdentity,
  exportDeviceIdentity,
  importDeviceIdentity,
  deviceIdOf,
  generateX25519KeyPair,
  sealKeyTo,
  openSealedKey,
  inspectSealedKey,
  type DeviceIdentity,
  type DevicePublicIdentity,
  type X25519KeyPair,
  type SealedKeyHeader,
} from './device.js';

// Recovery key.
export {
  generateRecoveryKey,
  parseRecoveryKey,
  recoveryWrappingKey,
  recoverySigner,
  RECOVERY_ALPHABET,
  type RecoveryKey,
  type RecoverySigner,
} from './recovery.js';

// Signed device log.
export {
  createLogEntry,
  encodeLogEntry,
  decodeLogEntry,
  logEntryHash,
  verifyDeviceLog,
  verifyLogExtends,
  DeviceLogKinds,
  type DeviceLogEntry,
  type DeviceLogBody,
  type DeviceLogKind,
  type DeviceLogState,
  type LogSigner,
} from './devicelog.js';

// Assets: keyed convergent chunk encryption and the asset manifest (docs/PROTOCOL.md "Assets").
export {
  AssetLabels,
  GEAR_TABLE_SIZE,
  deriveAssetSecrets,
  convergenceKeys,
  deriveGearTable,
  type AssetSecrets,
  type ConvergenceKeys,
} from './asset-keys.js';
export {
  CHUNK_ID_LENGTH,
  assetChunkIdentity,
  assetChunkCiphertextSize,
  encryptAssetChunk,
  sealAssetChunk,
  decryptAssetChunk,
  chunkIdToString,
  chunkIdFromString,
  type AssetChunkBuffers,
  type AssetChunkRef,
  type EncryptedAssetChunk,
} from './asset-chunk.js';
export {
  ASSET_MANIFEST_V1,
  ASSET_MANIFEST_ENVELOPE_V1,
  ASSET_MANIFEST_PAD_MINIMUM,
  encodeAssetManifest,
  decodeAssetManifest,
  encryptAssetManifest,
  decryptAssetManifest,
  inspectAssetManifest,
  type AssetManifest,
  type AssetContext,
  type AssetManifestEnvelopeHeader,
} from './asset-manifest.js';

// Devices and recovery (docs/PROTOCOL.md "Devices and recovery formats"): join codes and
// the recovery-contact code exchange, recovery material, contact shares, the keychain
// items box, passcode escrow.
export {
  JoinCodeLabels,
  JOIN_NONCE_LENGTH,
  generateShortCode,
  generateJoinNonce,
  joinCommitment,
  checkJoinCommitment,
  joinApproverNonce,
  joinCode,
  codeExchangeStart,
  codeExchangeRespond,
  codeExchangeFinish,
  type CodeExchangeContext,
  type CodeExchangeState,
} from './join-code.js';
export {
  RecoveryLabels,
  RECOVERY_SECRET_LENGTH,
  KEYCHAIN_ITEMS_V1,
  generateRecoverySecret,
  keychainRecoverySigner,
  recoveryKeyEncryptionKey,
  recoverySecretEncryptionKey,
  recoveryCopyId,
  sealKeychainForRecovery,
  openRecoveryKeychain,
  sealKeychainItems,
  openKeychainItems,
  encodeRecoveryShare,
  decodeRecoveryShare,
  splitRecoverySecret,
  combineRecoveryShares,
  shareBoxContext,
  sealRecoveryShare,
  openRecoveryShare,
  type RecoverySecretMethod,
  type RecoveryShare,
  type ShareBoxPurpose,
} from './recovery-signer.js';
export {
  PasscodeLabels,
  PASSCODE_MAX_ATTEMPTS,
  PASSCODE_MIN_LENGTH,
  checkPasscode,
  passcodeOprfInput,
  blindPasscode,
  finalizePasscode,
  passcodeVerifier,
  passcodeEncryptionKey,
  sealPasscodeSecret,
  openPasscodeSecret,
  generatePasscodeOprfKey,
  evaluatePasscode,
  type PasscodeBlind,
} from './passcode.js';
