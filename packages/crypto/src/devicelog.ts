/**
 * The signed device log (docs/PROTOCOL.md "Device log v1"): an append-only, hash-chained
 * list of signed entries that defines the account's trusted devices, its ADP flag and its
 * recovery key. The server stores it but cannot forge, reorder, drop or rewrite entries
 * without devices noticing: every entry is signed by a device trusted at that point and
 * names the hash of the entry before it.
 *
 * Rules (checked by verifyDeviceLog, in this order per entry):
 *  1. entry i has seq = i                                  → 'bad-sequence'
 *  2. prevHash = hash(entry i − 1), zeros for i = 0        → 'broken-chain'
 *  3. entry 0 is add-device signed by the device it adds   → 'not-self-signed'
 *  4. later signers are active devices, or the active recovery signer for add-device only
 *                                       → 'removed-signer' / 'unknown-signer' / 'bad-transition'
 *  5. the Ed25519 signature verifies (strict RFC 8032)     → 'bad-signature'
 *  6. the state change is legal (no re-adding a removed device, removing an inactive one,
 *     adp-on when on, …)                                   → 'bad-transition'
 * A device may remove itself (signing out); once removed, a device never signs again and
 * cannot be re-added (it must come back with a new identity).
 */
import { ed25519Sign, ed25519Verify, sha256 } from '#primitives';
import { constantTimeEqual } from './bytes.js';
import { ByteWriter, framed } from './encoding.js';
import { DeviceLogError, FormatError } from './errors.js';
import { deviceIdOf, type DeviceIdentity, type DevicePublicIdentity } from './device.js';
import { encodeLogEntry, encodeUnsigned, type DeviceLogBody, type DeviceLogEntry } from './devicelog-codec.js';
import { Labels } from './labels.js';
import { recoveryKeyIdOf, type RecoverySigner } from './recovery.js';

export { encodeLogEntry, decodeLogEntry, DeviceLogKinds, type DeviceLogBody, type DeviceLogEntry, type DeviceLogKind } from './devicelog-codec.js';

/** Who can sign: a trusted device, or (for adding a device during recovery) the recovery signer. */
export type LogSigner = DeviceIdentity | RecoverySigner;

export interface DeviceLogState {
  /** Active devices, in the order they were added. */
  readonly devices: readonly DevicePublicIdentity[];
  /** Ids of removed devices; they can never sign or be added again. */
  readonly removedDeviceIds: readonly string[];
  readonly adp: boolean;
  /** Id of the active recovery key, if any. */
  readonly recoveryKeyId: string | null;
  /** Hash of the last entry: what a client remembers to detect rewritten history. */
  readonly headHash: Uint8Array;
  readonly length: number;
}

const SIGN_LABEL = framed(Labels.deviceLogSignature);
const HASH_LABEL = framed(Labels.deviceLogHash);

function signedBytes(unsigned: Uint8Array): Uint8Array {
  return new ByteWriter(SIGN_LABEL.length + unsigned.length).bytes(SIGN_LABEL).bytes(unsigned).finish();
}

/** Entry hash = SHA-256(lp("coffer/v1/device-log/hash") ‖ entry bytes) — the chain link. */
export function logEntryHash(entry: DeviceLogEntry): Uint8Array {
  return sha256(new ByteWriter(300).bytes(HASH_LABEL).bytes(encodeLogEntry(entry)).finish());
}

function isDevice(signer: LogSigner): signer is DeviceIdentity {
  return 'hpkePrivateKey' in signer;
}

/**
 * Creates and signs the entry that follows `previous` (null for the first entry).
 * @param timestamp - ms since the epoch; defaults to Date.now().
 * @throws {@link FormatError} on malformed fields (e.g. a device name that cannot be encoded).
 */
export function createLogEntry(
  signer: LogSigner, previous: DeviceLogEntry | null, body: DeviceLogBody, timestamp: number = Date.now(),
): DeviceLogEntry {
  const fields = {
    seq: previous === null ? 0 : previous.seq + 1,
    prevHash: previous === null ? new Uint8Array(32) : logEntryHash(previous),
    signerType: isDevice(signer) ? ('device' as const) : ('recovery' as const),
    signerId: signer.id,
    timestamp,
    ...body,
  };
  const signature = ed25519Sign(signer.signingPrivateKey, signedBytes(encodeUnsigned(fields)));
  return { version: 1, ...fields, signature };
}

interface MutableState {
  devices: Map<string, DevicePublicIdentity>;
  removed: Set<string>;
  adp: boolean;
  recovery: { id: string; publicKey: Uint8Array } | null;
  removedRecovery: Set<string>;
}

function signerKey(s: MutableState, e: DeviceLogEntry, i: number): Uint8Array {
  if (i === 0) {
    if (e.kind !== 'add-device' || e.signerType !== 'device' || e.signerId !== e.subject.id) {
      throw new DeviceLogError('not-self-signed', 'the first entry must add a device and be signed by it', i);
    }
    return e.subject.signingPublicKey;
  }
  if (e.signerType === 'device') {
    const d = s.devices.get(e.signerId);
    if (d) return d.signingPublicKey;
    if (s.removed.has(e.signerId)) throw new DeviceLogError('removed-signer', 'signed by a removed device', i);
    throw new DeviceLogError('unknown-signer', 'signed by a device that is not in the log', i);
  }
  if (s.recovery?.id === e.signerId) {
    if (e.kind !== 'add-device') throw new DeviceLogError('bad-transition', 'the recovery signer may only add a device', i);
    return s.recovery.publicKey;
  }
  if (s.removedRecovery.has(e.signerId)) throw new DeviceLogError('removed-signer', 'signed by a replaced or removed recovery key', i);
  throw new DeviceLogError('unknown-signer', 'signed by an unknown recovery key', i);
}

function apply(s: MutableState, e: DeviceLogEntry, i: number): void {
  const illegal = (why: string): never => {
    throw new DeviceLogError('bad-transition', why, i);
  };
  switch (e.kind) {
    case 'add-device':
      if (s.devices.has(e.subject.id) || s.removed.has(e.subject.id)) illegal('adds a device that is or was already in the log');
      s.devices.set(e.subject.id, e.subject);
      return;
    case 'remove-device':
      if (!s.devices.delete(e.subject)) illegal('removes a device that is not active');
      s.removed.add(e.subject);
      return;
    case 'adp-on':
    case 'adp-off':
      if (s.adp === (e.kind === 'adp-on')) illegal(`${e.kind} when already in that state`);
      s.adp = e.kind === 'adp-on';
      return;
    case 'recovery-key-set': {
      const id = recoveryKeyIdOf(e.subject);
      if (s.recovery?.id === id || s.removedRecovery.has(id)) illegal('sets a recovery key that is or was already set');
      if (s.recovery) s.removedRecovery.add(s.recovery.id);
      s.recovery = { id, publicKey: e.subject };
      return;
    }
    case 'recovery-key-removed':
      if (s.recovery?.id !== e.subject) illegal('removes a recovery key that is not active');
      s.removedRecovery.add(e.subject);
      s.recovery = null;
      return;
  }
}

/**
 * Verifies a whole log from its first entry and returns the resulting state.
 * @throws {@link DeviceLogError} with the `reason` of the first rule broken (see module doc).
 */
export function verifyDeviceLog(entries: readonly DeviceLogEntry[]): DeviceLogState {
  if (entries.length === 0) throw new DeviceLogError('bad-format', 'empty log');
  const s: MutableState = { devices: new Map(), removed: new Set(), adp: false, recovery: null, removedRecovery: new Set() };
  let prevHash: Uint8Array = new Uint8Array(32);
  entries.forEach((e, i) => {
    let unsigned: Uint8Array;
    try {
      unsigned = encodeUnsigned(e);
      if (e.version !== 1 || e.signature.length !== 64) throw new FormatError('bad version or signature length');
      if (e.kind === 'add-device' && e.subject.id !== deviceIdOf(e.subject)) throw new FormatError('device id does not match its keys');
    } catch (err) {
      if (err instanceof DeviceLogError) throw err;
      throw new DeviceLogError('bad-format', 'malformed entry', i);
    }
    if (e.seq !== i) throw new DeviceLogError('bad-sequence', `expected seq ${i}, got ${e.seq}`, i);
    if (!constantTimeEqual(e.prevHash, prevHash)) throw new DeviceLogError('broken-chain', 'prevHash does not match the previous entry', i);
    const publicKey = signerKey(s, e, i);
    if (!ed25519Verify(publicKey, signedBytes(unsigned), e.signature)) {
      throw new DeviceLogError('bad-signature', 'signature does not verify', i);
    }
    apply(s, e, i);
    prevHash = logEntryHash(e);
  });
  return {
    devices: [...s.devices.values()],
    removedDeviceIds: [...s.removed],
    adp: s.adp,
    recoveryKeyId: s.recovery?.id ?? null,
    headHash: prevHash,
    length: entries.length,
  };
}

/**
 * Verifies `entries` and that they extend a log this client already trusted (its head
 * hash and length), i.e. the server did not rewrite, truncate or fork history.
 * @throws {@link DeviceLogError} 'history-rewritten' if the log is shorter than `trustedLength`
 *   or its entry trustedLength − 1 is not the trusted head; otherwise as {@link verifyDeviceLog}.
 */
export function verifyLogExtends(trustedHeadHash: Uint8Array, trustedLength: number, entries: readonly DeviceLogEntry[]): DeviceLogState {
  const state = verifyDeviceLog(entries);
  if (trustedLength > 0) {
    const at = entries[trustedLength - 1];
    if (at === undefined || !constantTimeEqual(logEntryHash(at), trustedHeadHash)) {
      throw new DeviceLogError('history-rewritten', 'the log does not extend the trusted head', trustedLength - 1);
    }
  }
  return state;
}
