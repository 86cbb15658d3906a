/**
 * Device log entry v1 — types and byte codec (docs/PROTOCOL.md "Device log v1"):
 *
 *   0x01 ‖ u32 seq ‖ prevHash (32) ‖ kind (1) ‖ subject ‖ signer type (1) ‖ signer id (16)
 *   ‖ u64 timestamp (ms) ‖ Ed25519 signature (64)
 *
 * subject: add-device → public identity v1; remove-device → device id (16);
 * adp-on/adp-off → empty; recovery-key-set → recovery signer public key (32);
 * recovery-key-removed → recovery key id (16).
 * The signature covers lp("coffer/v1/device-log/signature") ‖ every byte before it.
 */
import { fromHex, toHex } from './bytes.js';
import { ByteReader, ByteWriter } from './encoding.js';
import { FormatError } from './errors.js';
import { encodePublicIdentity, readPublicIdentity, type DevicePublicIdentity } from './device.js';

export const DEVICE_LOG_V1 = 0x01;

export const DeviceLogKinds = ['add-device', 'remove-device', 'adp-on', 'adp-off', 'recovery-key-set', 'recovery-key-removed'] as const;
export type DeviceLogKind = (typeof DeviceLogKinds)[number];
const KIND_CODE: Readonly<Record<DeviceLogKind, number>> = {
  'add-device': 1, 'remove-device': 2, 'adp-on': 3, 'adp-off': 4, 'recovery-key-set': 5, 'recovery-key-removed': 6,
};

/** What an entry says. */
export type DeviceLogBody =
  | { readonly kind: 'add-device'; readonly subject: DevicePublicIdentity }
  | { readonly kind: 'remove-device'; /** device id */ readonly subject: string }
  | { readonly kind: 'adp-on' | 'adp-off'; readonly subject: null }
  | { readonly kind: 'recovery-key-set'; /** recovery signer Ed25519 public key */ readonly subject: Uint8Array }
  | { readonly kind: 'recovery-key-removed'; /** recovery key id */ readonly subject: string };

export interface DeviceLogEntryFields {
  readonly version: 1;
  /** Position in the log, from 0. */
  readonly seq: number;
  /** Entry hash of entry seq − 1; 32 zero bytes for entry 0. */
  readonly prevHash: Uint8Array;
  /** 'device' for a trusted device, 'recovery' for the recovery signer (recovery only). */
  readonly signerType: 'device' | 'recovery';
  /** Device id or recovery key id of the signer. */
  readonly signerId: string;
  /** Milliseconds since the epoch, as the signer's clock said; informative, not ordered. */
  readonly timestamp: number;
  /** Ed25519 (RFC 8032, strict verification) over the signed bytes. */
  readonly signature: Uint8Array;
}

export type DeviceLogEntry = DeviceLogEntryFields & DeviceLogBody;

function writeSubject(w: ByteWriter, body: DeviceLogBody): void {
  switch (body.kind) {
    case 'add-device': w.bytes(encodePublicIdentity(body.subject)); return;
    case 'remove-device':
    case 'recovery-key-removed': w.bytes(idBytes(body.subject)); return;
    case 'adp-on':
    case 'adp-off': return;
    case 'recovery-key-set':
      if (body.subject.length !== 32) throw new FormatError('device log: recovery public key must be 32 bytes');
      w.bytes(body.subject);
      return;
  }
}

function idBytes(id: string): Uint8Array {
  if (!/^[0-9a-f]{32}$/.test(id)) throw new FormatError('device log: ids are 32 lower-case hex characters');
  return fromHex(id);
}

/** The bytes the signature covers (everything but the signature), without the label. */
export function encodeUnsigned(e: Omit<DeviceLogEntryFields, 'signature' | 'version'> & DeviceLogBody): Uint8Array {
  if (e.prevHash.length !== 32) throw new FormatError('device log: prevHash must be 32 bytes');
  const w = new ByteWriter(192).u8(DEVICE_LOG_V1).u32(e.seq).bytes(e.prevHash).u8(KIND_CODE[e.kind]);
  writeSubject(w, e);
  return w.u8(e.signerType === 'device' ? 1 : 2).bytes(idBytes(e.signerId)).u64(e.timestamp).finish();
}

/**
 * Entry v1 bytes.
 * @throws {@link FormatError} on out-of-range fields.
 */
export function encodeLogEntry(e: DeviceLogEntry): Uint8Array {
  if (e.signature.length !== 64) throw new FormatError('device log: signature must be 64 bytes');
  return new ByteWriter(256).bytes(encodeUnsigned(e)).bytes(e.signature).finish();
}

/**
 * Inverse of {@link encodeLogEntry}. Checks the format only; {@link verifyDeviceLog} checks signatures and chain.
 * @throws {@link FormatError} on an unknown version, an unknown kind or signer type, or malformed bytes.
 */
export function decodeLogEntry(bytes: Uint8Array): DeviceLogEntry {
  const r = new ByteReader(bytes, 'device log entry');
  if (r.u8() !== DEVICE_LOG_V1) throw new FormatError('device log entry: unknown version');
  const seq = r.u32();
  const prevHash = r.bytes(32);
  const code = r.u8();
  const kind = DeviceLogKinds.find((k) => KIND_CODE[k] === code);
  let body: DeviceLogBody;
  switch (kind) {
    case 'add-device': body = { kind, subject: readPublicIdentity(r) }; break;
    case 'remove-device':
    case 'recovery-key-removed': body = { kind, subject: toHex(r.bytes(16)) }; break;
    case 'adp-on':
    case 'adp-off': body = { kind, subject: null }; break;
    case 'recovery-key-set': body = { kind, subject: r.bytes(32) }; break;
    case undefined: throw new FormatError('device log entry: unknown kind');
  }
  const signerCode = r.u8();
  if (signerCode !== 1 && signerCode !== 2) throw new FormatError('device log entry: unknown signer type');
  const signerId = toHex(r.bytes(16));
  const timestamp = r.u64();
  const signature = r.bytes(64);
  r.end();
  return { version: 1, seq, prevHash, signerType: signerCode === 1 ? 'device' : 'recovery', signerId, timestamp, signature, ...body };
}
