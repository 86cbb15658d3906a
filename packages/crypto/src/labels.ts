/**
 * The registry of domain-separation labels. Every hash, KDF, AEAD associated-data and
 * signature input in Coffer starts with one of these (length-prefixed), so that no
 * byte string valid in one context is valid in another (docs/PROTOCOL.md "Labels").
 * A label never changes meaning; a new format version gets a new label.
 */
export const Labels = {
  /** AD prefix of "Wrapped key v1". */
  wrappedKey: 'coffer/v1/wrapped-key',
  /** AD prefix of "Field envelope v1". */
  fieldEnvelope: 'coffer/v1/field',
  /** AD prefix of every segment of "Chunk v1". */
  chunk: 'coffer/v1/chunk',
  /** AD prefix of "Sealed key v1" (the HPKE aad). */
  sealedKey: 'coffer/v1/sealed-key',
  /** Hash input prefix of a device id. */
  deviceId: 'coffer/v1/device-id',
  /** Signature input prefix of a device log entry. */
  deviceLogSignature: 'coffer/v1/device-log/signature',
  /** Hash input prefix of a device log entry hash (the chain link). */
  deviceLogHash: 'coffer/v1/device-log/hash',
  /** HKDF info: recovery key → recovery wrapping key. */
  recoveryWrappingKey: 'coffer/v1/recovery/wrapping-key',
  /** HKDF info: recovery key → public recovery key id. */
  recoveryKeyId: 'coffer/v1/recovery/key-id',
  /** HKDF info: recovery key → Ed25519 seed of the recovery signer. */
  recoverySigningKey: 'coffer/v1/recovery/signing-key',
  /** HPKE info: a service key sealed to the server escrow key (Standard protection). */
  escrow: 'coffer/v1/escrow',
  /** HPKE info: the keychain key sealed to a trusted device. */
  deviceKeychain: 'coffer/v1/device-keychain',
  /** HPKE info: a category key sealed to an approved browser session (web access). */
  webAccess: 'coffer/v1/web-access',
  /** HPKE info: a zone or record key sealed to a share participant. */
  shareParticipant: 'coffer/v1/share-participant',
  // Reserved for later issues (docs/PROTOCOL.md "Reserved"); derived with deriveSubkey.
  /** Reserved: keychain key → convergence secret (keyed chunk ids and chunk keys). */
  convergenceSecret: 'coffer/v1/reserved/convergence-secret',
  /** Reserved: keychain key → content-defined chunker seed. */
  chunkerSeed: 'coffer/v1/reserved/chunker-seed',
  /** Reserved: AD prefix of the asset manifest format. */
  assetManifest: 'coffer/v1/reserved/asset-manifest',
  /** Reserved: passcode escrow record. */
  passcodeEscrow: 'coffer/v1/reserved/passcode-escrow',
  /** Reserved: recovery contact packet. */
  recoveryContact: 'coffer/v1/reserved/recovery-contact',
} as const;

export type Label = (typeof Labels)[keyof typeof Labels];
