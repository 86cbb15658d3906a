/**
 * Device identity (docs/PROTOCOL.md "Device identity v1", "Sealed key v1"): each device
 * holds an Ed25519 signing key (device log entries) and an X25519 key for HPKE (keys
 * sealed to it). Both private keys stay on the device; the public half is what the
 * device log carries and what other devices seal keys to.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { fromBase64, isWellFormedString, randomBytes, toBase64, toHex, utf8Decode, utf8Encode } from './bytes.js';
import { ed25519PublicKey, sha256, x25519PublicKey } from '#primitives';
import { ByteReader, ByteWriter, framed } from './encoding.js';
import { FormatError } from './errors.js';
import { Labels } from './labels.js';

export { generateX25519KeyPair, sealKeyTo, openSealedKey, inspectSealedKey, type X25519KeyPair, type SealedKeyHeader } from './hpke.js';

export interface DevicePublicIdentity {
  /** Device id: first 16 bytes of SHA-256 over both public keys, hex (see {@link deviceIdOf}). */
  readonly id: string;
  /** Human-readable name shown in device lists. Public: the server sees it (SECURITY.md). */
  readonly name: string;
  /** Ed25519 public key (32 bytes). */
  readonly signingPublicKey: Uint8Array;
  /** X25519 public key for HPKE (32 bytes). */
  readonly hpkePublicKey: Uint8Array;
}

export interface DeviceIdentity extends DevicePublicIdentity {
  /** Ed25519 secret seed (32 bytes, RFC 8032 §5.1.5). Never leaves the device. */
  readonly signingPrivateKey: Uint8Array;
  /** X25519 private key (32 bytes). Never leaves the device. */
  readonly hpkePrivateKey: Uint8Array;
}

export const PUBLIC_IDENTITY_V1 = 0x01;
const MAX_NAME_BYTES = 256;
const EXPORT_PREFIX = 'coffer-device-v1:';

/** Device id = hex(SHA-256(lp("coffer/v1/device-id") ‖ lp(ed25519 pk) ‖ lp(x25519 pk))[0..16]); the name is not bound. */
export function deviceIdOf(identity: Pick<DevicePublicIdentity, 'signingPublicKey' | 'hpkePublicKey'>): string {
  return toHex(sha256(framed(Labels.deviceId, identity.signingPublicKey, identity.hpkePublicKey)).subarray(0, 16));
}

function checkName(name: string): void {
  if (typeof name !== 'string' || name.length === 0 || !isWellFormedString(name) || utf8Encode(name).length > MAX_NAME_BYTES) {
    throw new FormatError(`device name must be 1..${MAX_NAME_BYTES} bytes of well-formed UTF-8`);
  }
}

function build(name: string, signingPrivateKey: Uint8Array, hpkePrivateKey: Uint8Array): DeviceIdentity {
  checkName(name);
  const signingPublicKey = ed25519PublicKey(signingPrivateKey);
  const hpkePublicKey = x25519PublicKey(hpkePrivateKey);
  const id = deviceIdOf({ signingPublicKey, hpkePublicKey });
  return Object.freeze({ id, name, signingPublicKey, hpkePublicKey, signingPrivateKey, hpkePrivateKey });
}

/**
 * A new device identity with fresh Ed25519 and X25519 keys.
 * @throws {@link FormatError} if `name` is empty, longer than 256 UTF-8 bytes or not well-formed.
 */
export function generateDeviceIdentity(name: string): DeviceIdentity {
  return build(name, randomBytes(32), randomBytes(32));
}

/** Internal (vectors): an identity from fixed private keys. */
export function deviceIdentityFromSeeds(name: string, signingSeed: Uint8Array, hpkePrivateKey: Uint8Array): DeviceIdentity {
  if (signingSeed.length !== 32 || hpkePrivateKey.length !== 32) throw new FormatError('device identity: private keys are 32 bytes');
  return build(name, signingSeed.slice(), hpkePrivateKey.slice());
}

/** The public half, safe to publish. */
export function publicIdentity(d: DevicePublicIdentity): DevicePublicIdentity {
  return Object.freeze({ id: d.id, name: d.name, signingPublicKey: d.signingPublicKey, hpkePublicKey: d.hpkePublicKey });
}

/** Public identity v1: 0x01 ‖ ed25519 pk (32) ‖ x25519 pk (32) ‖ u32 length ‖ UTF-8 name. */
export function encodePublicIdentity(p: DevicePublicIdentity): Uint8Array {
  checkName(p.name);
  if (p.signingPublicKey.length !== 32 || p.hpkePublicKey.length !== 32) throw new FormatError('public identity: keys are 32 bytes');
  return new ByteWriter(80).u8(PUBLIC_IDENTITY_V1).bytes(p.signingPublicKey).bytes(p.hpkePublicKey).lpString(p.name).finish();
}

/** Reads a public identity from `r` (shared with the device log codec). */
export function readPublicIdentity(r: ByteReader): DevicePublicIdentity {
  if (r.u8() !== PUBLIC_IDENTITY_V1) throw new FormatError('public identity: unknown version');
  const signingPublicKey = r.bytes(32);
  const hpkePublicKey = r.bytes(32);
  const name = r.lpString();
  checkName(name);
  try {
    // Rejects encodings that are not curve points. node:crypto cannot decode a point
    // without using it, so noble does (a square root, no precomputed tables: ~0.3 ms).
    ed25519.Point.fromBytes(signingPublicKey);
  } catch {
    throw new FormatError('public identity: invalid Ed25519 public key');
  }
  return Object.freeze({ id: deviceIdOf({ signingPublicKey, hpkePublicKey }), name, signingPublicKey, hpkePublicKey });
}

/**
 * Inverse of {@link encodePublicIdentity}; the id is recomputed, never read.
 * @throws {@link FormatError} on an unknown version, wrong lengths, a bad name or an invalid Ed25519 key.
 */
export function decodePublicIdentity(bytes: Uint8Array): DevicePublicIdentity {
  const r = new ByteReader(bytes, 'public identity');
  const p = readPublicIdentity(r);
  r.end();
  return p;
}

/**
 * Text form of a full identity (with private keys) for the device's own local store:
 * "coffer-device-v1:" ‖ base64(ed25519 seed (32) ‖ x25519 sk (32) ‖ UTF-8 name). Secret.
 */
export function exportDeviceIdentity(d: DeviceIdentity): string {
  return EXPORT_PREFIX + toBase64(new ByteWriter(96).bytes(d.signingPrivateKey).bytes(d.hpkePrivateKey).bytes(utf8Encode(d.name)).finish());
}

/**
 * Inverse of {@link exportDeviceIdentity}; public keys and id are recomputed.
 * @throws {@link FormatError} on an unknown prefix or malformed content.
 */
export function importDeviceIdentity(text: string): DeviceIdentity {
  if (!text.startsWith(EXPORT_PREFIX)) throw new FormatError('device identity export: unknown version');
  const r = new ByteReader(fromBase64(text.slice(EXPORT_PREFIX.length)), 'device identity export');
  const signingSeed = r.bytes(32);
  const hpkePrivateKey = r.bytes(32);
  return build(utf8Decode(r.rest()), signingSeed, hpkePrivateKey);
}
