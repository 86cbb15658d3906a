/**
 * What the server reads of a device log entry — by fixed offsets of the v1 format
 * (docs/PROTOCOL.md "Device log v1"), because only src/escrow may link the crypto core:
 *
 *   [0] version 0x01 · [1..5) u32 seq (big-endian) · [5..37) prevHash · [37] kind
 *   · subject · signer type (1) · signer id (16) · u64 timestamp · signature (64)
 *
 * The server does NOT verify signatures or the chain: clients verify every fetch and
 * refuse a log the server altered. It checks the header so that garbage and misplaced
 * entries are refused early, and reads the kind to learn adp-on/adp-off for its own
 * policy (refusing plaintext isEncrypted writes, deleting escrowed copies). A forged
 * adp-off cannot hurt anyone but the forger's own view: devices refuse the log.
 */
import { badRequest } from '../http/cloud-error.js';

export const LogKinds = {
  1: 'add-device',
  2: 'remove-device',
  3: 'adp-on',
  4: 'adp-off',
  5: 'recovery-key-set',
  6: 'recovery-key-removed',
} as const;
/** `other`: a kind this server does not know (a newer client's); stored, not interpreted. */
export type LogKind = (typeof LogKinds)[keyof typeof LogKinds] | 'other';

const KIND_BY_CODE = new Map<number, LogKind>(Object.entries(LogKinds).map(([code, kind]) => [Number(code), kind]));

const VERSION = 0x01;
const KIND_OFFSET = 37;
/** version + seq + prevHash + kind + signer type + signer id + timestamp + signature, without a subject. */
const FIXED = 1 + 4 + 32 + 1 + 1 + 16 + 8 + 64;
/** Subject sizes of the fixed-size kinds; add-device carries a variable-length public identity. */
const SUBJECT_BYTES: Partial<Record<LogKind, number>> = { 'remove-device': 16, 'adp-on': 0, 'adp-off': 0, 'recovery-key-set': 32, 'recovery-key-removed': 16 };

/**
 * The kind of an entry that is to land at position `seq`.
 * @throws CloudError BAD_REQUEST when the bytes are not a v1 entry for that position.
 */
export function readLogEntryHeader(bytes: Uint8Array, seq: number, index: number): LogKind {
  const where = `entries[${index}]`;
  if (bytes.length < FIXED || bytes[0] !== VERSION) throw badRequest(`${where} is not a device log entry v1`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(1) !== seq) throw badRequest(`${where} has seq ${view.getUint32(1)} but would be entry ${seq} of the log`);
  // Unknown kinds pass: new entry kinds (e.g. more recovery signers) must not need a server upgrade,
  // and they cannot change what the server enforces — only adp-on/adp-off do.
  const kind: LogKind = KIND_BY_CODE.get(bytes[KIND_OFFSET]!) ?? 'other';
  const subject = SUBJECT_BYTES[kind];
  const lengthOk = subject !== undefined ? bytes.length === FIXED + subject : kind === 'add-device' ? bytes.length > FIXED : true;
  if (!lengthOk) throw badRequest(`${where} has the wrong length for a ${kind} entry`);
  const signerType = bytes[bytes.length - 64 - 8 - 16 - 1];
  if (signerType !== 1 && signerType !== 2) throw badRequest(`${where} has an unknown signer type`);
  return kind;
}
