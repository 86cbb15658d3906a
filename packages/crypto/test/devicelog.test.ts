/** Device log v1: valid histories verify; each kind of forgery fails with its reason. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  createLogEntry, decodeLogEntry, encodeLogEntry, generateDeviceIdentity, generateRecoveryKey, logEntryHash, parseRecoveryKey,
  publicIdentity, recoverySigner, verifyDeviceLog, verifyLogExtends, DeviceLogError, FormatError,
  type DeviceIdentity, type DeviceLogBody, type DeviceLogEntry, type DeviceLogErrorReason, type LogSigner,
} from '../src/index.js';
import { RUNS, thrown } from './helpers.js';

const phone = generateDeviceIdentity('phone');
const laptop = generateDeviceIdentity('laptop');
const tablet = generateDeviceIdentity('tablet');
const stranger = generateDeviceIdentity('stranger');
const rk = recoverySigner(parseRecoveryKey(generateRecoveryKey()));

const add = (d: DeviceIdentity): DeviceLogBody => ({ kind: 'add-device', subject: publicIdentity(d) });
const remove = (d: DeviceIdentity): DeviceLogBody => ({ kind: 'remove-device', subject: d.id });

/** Builds a log from (signer, body) steps, each entry chained to the previous. */
function build(steps: [LogSigner, DeviceLogBody][]): DeviceLogEntry[] {
  const out: DeviceLogEntry[] = [];
  for (const [signer, body] of steps) out.push(createLogEntry(signer, out.at(-1) ?? null, body, 1_700_000_000_000 + out.length));
  return out;
}

function rejects(entries: readonly DeviceLogEntry[], reason: DeviceLogErrorReason, index?: number): void {
  try {
    verifyDeviceLog(entries);
  } catch (e) {
    expect(e).toBeInstanceOf(DeviceLogError);
    expect((e as DeviceLogError).reason).toBe(reason);
    expect((e as DeviceLogError).code).toBe('DEVICE_LOG_INVALID');
    if (index !== undefined) expect((e as DeviceLogError).index).toBe(index);
    return;
  }
  expect.fail(`expected DeviceLogError(${reason})`);
}

const base = build([[phone, add(phone)], [phone, add(laptop)], [laptop, { kind: 'recovery-key-set', subject: rk.signingPublicKey }], [phone, { kind: 'adp-on', subject: null }]]);

describe('valid logs', () => {
  it('a full history verifies to the expected state', () => {
    const log = build([
      [phone, add(phone)], [phone, add(laptop)], [laptop, { kind: 'recovery-key-set', subject: rk.signingPublicKey }],
      [phone, { kind: 'adp-on', subject: null }], [laptop, remove(phone)], [rk, add(tablet)], [tablet, { kind: 'adp-off', subject: null }],
      [tablet, { kind: 'recovery-key-removed', subject: rk.id }],
    ]);
    const s = verifyDeviceLog(log);
    expect(s.devices.map((d) => d.name)).toEqual(['laptop', 'tablet']);
    expect(s.removedDeviceIds).toEqual([phone.id]);
    expect(s.adp).toBe(false);
    expect(s.recoveryKeyId).toBeNull();
    expect(s.length).toBe(8);
    expect(s.headHash).toEqual(logEntryHash(log.at(-1)!));
  });
  it('ADP and the recovery key are reflected in the state', () => {
    const s = verifyDeviceLog(base);
    expect(s.adp).toBe(true);
    expect(s.recoveryKeyId).toBe(rk.id);
  });
  it('entries survive encode/decode and still verify', () => {
    expect(verifyDeviceLog(base.map((e) => decodeLogEntry(encodeLogEntry(e))))).toEqual(verifyDeviceLog(base));
  });
  it('a device may remove itself', () => {
    expect(verifyDeviceLog(build([[phone, add(phone)], [phone, add(laptop)], [laptop, remove(laptop)]])).devices.map((d) => d.name)).toEqual(['phone']);
  });
  it('verifyLogExtends accepts a log that extends the trusted head', () => {
    const trusted = verifyDeviceLog(base.slice(0, 2));
    expect(verifyLogExtends(trusted.headHash, trusted.length, base).length).toBe(4);
    expect(verifyLogExtends(new Uint8Array(32), 0, base).length).toBe(4);
  });
});

describe('forgeries and their reasons', () => {
  it('bad-signature: a field changed after signing', () => {
    rejects([...base.slice(0, 3), { ...base[3]!, timestamp: base[3]!.timestamp + 1 }], 'bad-signature', 3);
  });
  it('bad-signature: an entry signed by someone else in a trusted device’s name', () => {
    const forged = createLogEntry(stranger, base[1]!, add(stranger));
    rejects([base[0]!, base[1]!, { ...forged, signerId: phone.id }], 'bad-signature', 2);
  });
  it('bad-sequence: a dropped entry', () => {
    rejects([base[0]!, base[2]!, base[3]!], 'bad-sequence', 1);
  });
  it('bad-sequence / broken-chain: reordered entries', () => {
    rejects([base[0]!, base[2]!, base[1]!, base[3]!], 'bad-sequence', 1);
    // Renumbering to hide the reorder breaks the hash chain before any signature is checked.
    rejects([base[0]!, { ...base[2]!, seq: 1 }], 'broken-chain', 1);
  });
  it('broken-chain: an entry spliced in from another log', () => {
    const other = build([[phone, add(phone)], [phone, add(tablet)]]);
    const otherPhone = generateDeviceIdentity('phone 2');
    const other2 = build([[otherPhone, add(otherPhone)]]);
    rejects([other2[0]!, other[1]!], 'broken-chain', 1);
  });
  it('not-self-signed: the first entry added by another device, or not an add', () => {
    rejects(build([[phone, add(laptop)]]), 'not-self-signed', 0);
    rejects(build([[phone, { kind: 'adp-on', subject: null }]]), 'not-self-signed', 0);
  });
  it('unknown-signer: a device that was never added', () => {
    rejects([...base, createLogEntry(stranger, base[3]!, add(stranger))], 'unknown-signer', 4);
  });
  it('removed-signer: a removed device signs again (including after removing itself)', () => {
    const log = build([[phone, add(phone)], [phone, add(laptop)], [laptop, remove(phone)]]);
    rejects([...log, createLogEntry(phone, log[2]!, add(tablet))], 'removed-signer', 3);
    const selfRemoved = build([[phone, add(phone)], [phone, add(laptop)], [laptop, remove(laptop)]]);
    rejects([...selfRemoved, createLogEntry(laptop, selfRemoved[2]!, { kind: 'adp-on', subject: null })], 'removed-signer', 3);
  });
  it('the recovery signer may only add a device, only while set', () => {
    rejects([...base, createLogEntry(rk, base[3]!, remove(phone))], 'bad-transition', 4);
    const removed = build([[phone, add(phone)], [phone, { kind: 'recovery-key-set', subject: rk.signingPublicKey }], [phone, { kind: 'recovery-key-removed', subject: rk.id }]]);
    rejects([...removed, createLogEntry(rk, removed[2]!, add(tablet))], 'removed-signer', 3);
    const never = build([[phone, add(phone)]]);
    rejects([...never, createLogEntry(rk, never[0]!, add(tablet))], 'unknown-signer', 1);
  });
  it('bad-transition: re-adding a removed device, removing an inactive one, repeating a state', () => {
    const log = build([[phone, add(phone)], [phone, add(laptop)], [laptop, remove(phone)]]);
    rejects([...log, createLogEntry(laptop, log[2]!, add(phone))], 'bad-transition', 3);
    rejects([...log, createLogEntry(laptop, log[2]!, remove(tablet))], 'bad-transition', 3);
    rejects([...base, createLogEntry(phone, base[3]!, { kind: 'adp-on', subject: null })], 'bad-transition', 4);
    rejects([...base, createLogEntry(phone, base[3]!, add(laptop))], 'bad-transition', 4);
  });
  it('bad-format: an empty log, or an identity whose id does not match its keys', () => {
    rejects([], 'bad-format');
    const e = base[1]!;
    if (e.kind !== 'add-device') throw new Error('fixture');
    rejects([base[0]!, { ...e, subject: { ...e.subject, id: stranger.id } }], 'bad-format', 1);
  });
  it('history-rewritten: the server truncates or forks a log the client had seen', () => {
    const trusted = verifyDeviceLog(base);
    expect((thrown(() => verifyLogExtends(trusted.headHash, trusted.length, base.slice(0, 3))) as DeviceLogError).reason).toBe('history-rewritten');
    const fork = build([[phone, add(phone)], [phone, add(laptop)], [laptop, { kind: 'adp-on', subject: null }], [phone, add(tablet)]]);
    // Same devices, same first two entries, different third and fourth: detected.
    expect((thrown(() => verifyLogExtends(trusted.headHash, trusted.length, fork)) as DeviceLogError).reason).toBe('history-rewritten');
  });
});

describe('Device log entry v1 codec', () => {
  const bytes = encodeLogEntry(base[1]!);
  it('rejects unknown versions, kinds, signer types and trailing bytes', () => {
    const v = bytes.slice();
    v[0] = 2;
    expect(() => decodeLogEntry(v)).toThrow(FormatError);
    const k = bytes.slice();
    k[37] = 99; // kind byte after version(1) + seq(4) + prevHash(32)
    expect(() => decodeLogEntry(k)).toThrow(FormatError);
    expect(() => decodeLogEntry(Uint8Array.of(...bytes, 0))).toThrow(FormatError);
    expect(() => decodeLogEntry(bytes.subarray(0, bytes.length - 1))).toThrow(FormatError);
  });
  it('fast-check: any byte mutation fails to decode or fails to verify', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: bytes.length - 1 }), fc.integer({ min: 1, max: 255 }), (i, x) => {
      const m = bytes.slice();
      m[i]! ^= x;
      let entry: DeviceLogEntry;
      try {
        entry = decodeLogEntry(m);
      } catch (e) {
        expect(e).toBeInstanceOf(FormatError);
        return;
      }
      expect(() => verifyDeviceLog([base[0]!, entry])).toThrow(DeviceLogError);
    }), { numRuns: RUNS });
  });
});
