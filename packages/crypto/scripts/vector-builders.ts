/**
 * Deterministic inputs and the builders that turn them into the vector files in
 * test/vectors/. The generator writes what these return; the tests rebuild them on each
 * primitive backend and compare byte for byte, then also check each vector one by one.
 */
import type { FieldType } from '@coffer/protocol';
import {
  encodeFieldValue, encodeLogEntry, fromHex, keyFromBytes, logEntryHash, padmeLength, pad, publicIdentity, toHex,
  chunkCiphertextSize, encodePublicIdentity, deriveSubkey, Labels, sha256, utf8Encode,
  type DeviceLogBody, type DeviceLogEntry, type FieldContext, type FieldValue, type KeyKind, type SymmetricKey,
} from '../src/index.js';
import { wrapKeyWithNonce } from '../src/keys.js';
import { encryptFieldWithNonce } from '../src/field.js';
import { encryptChunk } from '../src/chunk.js';
import { sealKeyToWithEphemeral } from '../src/hpke.js';
import { recoveryKeyFromData, parseRecoveryKey, recoverySigner, recoveryWrappingKey } from '../src/recovery.js';
import { deviceIdentityFromSeeds, type DeviceIdentity } from '../src/device.js';
import { createLogEntry } from '../src/devicelog.js';
import { valueToJson } from './vector-values.js';

/** 32 reproducible "random-looking" bytes named by `label`. */
export function fixedBytes(label: string, n = 32): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0, block = 0; i < n; block++) {
    const h = sha256(utf8Encode(`coffer test vector: ${label} #${block}`));
    out.set(h.subarray(0, Math.min(32, n - i)), i);
    i += 32;
  }
  return out;
}

export function fixedKey(kind: KeyKind, name: string, version = 1): SymmetricKey {
  return keyFromBytes(kind, fixedBytes(`key ${name}`), { id: toHex(fixedBytes(`id ${name}`, 16)), version });
}

export interface KeyJson { kind: KeyKind; id: string; version: number; bytes: string }
export const keyToJson = (k: SymmetricKey): KeyJson => ({ kind: k.kind, id: k.id, version: k.version, bytes: toHex(k.bytes) });

/** Bytes i ↦ i mod 251 (a prime, so segments differ), for large chunk plaintexts. */
export function patternBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = i % 251;
  return out;
}

// ── wrapped-key.json ──────────────────────────────────────────────────────────
export function buildWrappedKeyVectors(): unknown {
  const recovery = fixedKey('recovery', 'recovery');
  const keychain = fixedKey('keychain', 'keychain');
  const service = fixedKey('service', 'service notes', 3);
  const zone = fixedKey('zone', 'zone Notes', 2);
  const record = fixedKey('record', 'record note-1');
  const asset = fixedKey('asset', 'asset photo-1');
  const edges: [SymmetricKey, SymmetricKey][] = [[recovery, keychain], [keychain, service], [service, zone], [zone, record], [record, asset]];
  return {
    format: 'Wrapped key v1',
    spec: 'docs/PROTOCOL.md#wrapped-key-v1',
    vectors: edges.map(([parent, child], i) => {
      const nonce = fixedBytes(`wrap nonce ${i}`, 12);
      return {
        description: `${parent.kind} wraps ${child.kind}`,
        parent: keyToJson(parent), child: keyToJson(child), nonce: toHex(nonce),
        wrapped: toHex(wrapKeyWithNonce(parent, child, nonce)),
      };
    }),
  };
}

// ── field-envelope.json ───────────────────────────────────────────────────────
export const vectorContext: FieldContext = {
  container: 'iCloud.org.coffer.Notes', environment: 'production', database: 'private', zoneName: 'Notes', ownerRecordName: '_a1b2c3d4e5f60718',
  recordName: 'note-0001', fieldName: 'title', fieldType: 'STRING',
};

export const fieldCases: [string, FieldType, FieldValue][] = [
  ['empty string', 'STRING', ''],
  ['ASCII string', 'STRING', 'Hello, Coffer'],
  ['non-ASCII string (BMP, astral, combining)', 'STRING', 'Grüße — 你好 — 🔐 — e\u0301'],
  ['string longer than the 32-byte minimum pad', 'STRING', 'The quick brown fox jumps over the lazy dog. '.repeat(3)],
  ['INT64 zero', 'INT64', 0n],
  ['INT64 min', 'INT64', -(2n ** 63n)],
  ['INT64 max', 'INT64', 2n ** 63n - 1n],
  ['DOUBLE pi', 'DOUBLE', Math.PI],
  ['DOUBLE -0', 'DOUBLE', -0],
  ['DOUBLE NaN', 'DOUBLE', NaN],
  ['DOUBLE +Infinity', 'DOUBLE', Infinity],
  ['DOUBLE -Infinity', 'DOUBLE', -Infinity],
  ['TIMESTAMP', 'TIMESTAMP', 1_700_000_000_123],
  ['TIMESTAMP before 1970', 'TIMESTAMP', -86_400_000],
  ['empty BYTES', 'BYTES', new Uint8Array(0)],
  ['BYTES', 'BYTES', fixedBytes('bytes value', 40)],
  ['LOCATION minimal', 'LOCATION', { latitude: 48.8584, longitude: 2.2945 }],
  ['LOCATION full', 'LOCATION', { latitude: -33.8568, longitude: 151.2153, horizontalAccuracy: 5, verticalAccuracy: 3.5, altitude: 12.25, speed: 0, course: 270, timestamp: 1_700_000_000_000 }],
  ['empty STRING_LIST', 'STRING_LIST', []],
  ['STRING_LIST', 'STRING_LIST', ['a', '', 'ünïcode']],
  ['INT64_LIST', 'INT64_LIST', [1n, -1n, 2n ** 63n - 1n]],
  ['DOUBLE_LIST', 'DOUBLE_LIST', [0.5, -0, NaN]],
  ['TIMESTAMP_LIST', 'TIMESTAMP_LIST', [0, 1_700_000_000_000]],
  ['BYTES_LIST', 'BYTES_LIST', [new Uint8Array(0), new Uint8Array([1, 2, 3])]],
  ['LOCATION_LIST', 'LOCATION_LIST', [{ latitude: 0, longitude: 0 }, { latitude: 1, longitude: 2, altitude: 3 }]],
  ['empty BYTES_LIST', 'BYTES_LIST', []],
];

export function buildFieldVectors(): unknown {
  const key = fixedKey('record', 'record note-1');
  return {
    format: 'Field envelope v1',
    spec: 'docs/PROTOCOL.md#field-envelope-v1',
    valueJson: 'INT64 → decimal string, DOUBLE → IEEE 754 bits as hex, BYTES → hex (scripts/vector-values.ts)',
    key: keyToJson(key),
    vectors: fieldCases.map(([description, fieldType, value], i) => {
      const context: FieldContext = { ...vectorContext, database: i % 5 === 4 ? 'shared' : 'private', fieldName: `field${i}`, fieldType };
      const nonce = fixedBytes(`field nonce ${i}`, 12);
      const encoded = encodeFieldValue(fieldType, value);
      return {
        description, context, value: valueToJson(fieldType, value), nonce: toHex(nonce),
        encodedValue: toHex(encoded), paddedPlaintext: toHex(pad(encoded, 32)),
        envelope: toHex(encryptFieldWithNonce(key, context, value, nonce)),
      };
    }),
  };
}

// ── chunk.json ───────────────────────────────────────────────────────────────
export const chunkSizes = [0, 1, 100, 65535, 65536, 65537, 131072, 200000];

export function buildChunkVectors(): unknown {
  return {
    format: 'Chunk v1',
    spec: 'docs/PROTOCOL.md#chunk-v1',
    plaintextRule: 'plaintext byte i = i mod 251; vectors up to 100 bytes carry the full ciphertext, larger ones its SHA-256',
    vectors: chunkSizes.flatMap((size, i) => [new Uint8Array(0), utf8Encode('chunk-id:0123')].map((ad, j) => {
      const key = fixedBytes(`chunk key ${i}.${j}`);
      const ct = encryptChunk(key, patternBytes(size), ad);
      return {
        description: `${size} bytes, ${ad.length === 0 ? 'empty' : 'non-empty'} ad`,
        key: toHex(key), ad: toHex(ad), plaintextLength: size, ciphertextLength: chunkCiphertextSize(size),
        ...(size <= 100 ? { ciphertext: toHex(ct) } : {}),
        ciphertextSha256: toHex(sha256(ct)),
      };
    })),
  };
}

// ── sealed-key.json ──────────────────────────────────────────────────────────
export async function buildSealedKeyVectors(): Promise<unknown> {
  const recipientPrivateKey = fixedBytes('hpke recipient');
  const { x25519 } = await import('@noble/curves/ed25519.js');
  const cases: [string, SymmetricKey, string][] = [
    ['keychain key to a device', fixedKey('keychain', 'keychain'), Labels.deviceKeychain],
    ['service key to the escrow', fixedKey('service', 'service notes', 3), Labels.escrow],
    ['zone key to a web session', fixedKey('zone', 'zone Notes', 2), Labels.webAccess],
  ];
  return {
    format: 'Sealed key v1',
    spec: 'docs/PROTOCOL.md#sealed-key-v1',
    hpke: 'RFC 9180 base mode, DHKEM(X25519, HKDF-SHA256) 0x0020, HKDF-SHA256 0x0001, AES-256-GCM 0x0002; ephemeral key = DeriveKeyPair(ephemeralIkm)',
    recipientPrivateKey: toHex(recipientPrivateKey),
    recipientPublicKey: toHex(x25519.getPublicKey(recipientPrivateKey)),
    vectors: await Promise.all(cases.map(async ([description, key, purpose], i) => {
      const ephemeralIkm = fixedBytes(`hpke ephemeral ${i}`);
      return {
        description, key: keyToJson(key), purpose, ephemeralIkm: toHex(ephemeralIkm),
        sealed: toHex(await sealKeyToWithEphemeral(x25519.getPublicKey(recipientPrivateKey), key, purpose, ephemeralIkm)),
      };
    })),
  };
}

// ── recovery-key.json ────────────────────────────────────────────────────────
export function buildRecoveryVectors(): unknown {
  const datas = [
    Array.from({ length: 26 }, () => 0),
    Array.from({ length: 26 }, (_, i) => 31 - (i % 32)),
    Array.from(fixedBytes('recovery data', 26), (b) => b & 31),
  ];
  const salt = fixedBytes('recovery salt', 16);
  const ones = recoveryKeyFromData(Array.from({ length: 26 }, () => 1));
  return {
    format: 'Recovery key v1',
    spec: 'docs/PROTOCOL.md#recovery-key-v1',
    salt: toHex(salt),
    vectors: datas.map((data) => {
      const text = recoveryKeyFromData(data);
      const rk = parseRecoveryKey(text);
      const signer = recoverySigner(rk);
      const wrapping = recoveryWrappingKey(rk, salt);
      return {
        dataSymbols: data, text,
        recoveryKeyId: signer.id, signingPublicKey: toHex(signer.signingPublicKey),
        wrappingKey: keyToJson(wrapping),
      };
    }),
    accepted: [
      { input: recoveryKeyFromData(datas[2]!).toLowerCase(), text: recoveryKeyFromData(datas[2]!) },
      { input: recoveryKeyFromData(datas[2]!).replaceAll('-', ' '), text: recoveryKeyFromData(datas[2]!) },
      { input: `oooo-OOOO 0000OOOO-oOoO-0000-OO${recoveryKeyFromData(datas[0]!).slice(-2)}`, text: recoveryKeyFromData(datas[0]!) },
      { input: `iiii-llll-IIII-LLLL-1111-iIlL-1L${ones.slice(-2)}`, text: ones },
    ],
    rejected: [
      { input: recoveryKeyFromData(datas[0]!).slice(0, -1) + (recoveryKeyFromData(datas[0]!).endsWith('1') ? '2' : '1'), why: 'check symbols' },
      { input: recoveryKeyFromData(datas[0]!).slice(0, -1), why: 'length' },
      { input: 'UUUU-UUUU-UUUU-UUUU-UUUU-UUUU-UUUU', why: 'alphabet' },
    ],
  };
}

// ── device-log.json ──────────────────────────────────────────────────────────
export function vectorDevice(name: string): DeviceIdentity {
  return deviceIdentityFromSeeds(name, fixedBytes(`ed25519 ${name}`), fixedBytes(`x25519 ${name}`));
}

/** A log exercising every entry kind, with fixed timestamps (Ed25519 signing is deterministic). */
export function vectorLog(): DeviceLogEntry[] {
  const phone = vectorDevice('Alice’s phone');
  const laptop = vectorDevice('Alice’s laptop');
  const tablet = vectorDevice('Alice’s tablet');
  const rk = parseRecoveryKey(recoveryKeyFromData(Array.from(fixedBytes('recovery data', 26), (b) => b & 31)));
  const signer = recoverySigner(rk);
  const steps: [DeviceIdentity | ReturnType<typeof recoverySigner>, DeviceLogBody][] = [
    [phone, { kind: 'add-device', subject: publicIdentity(phone) }],
    [phone, { kind: 'add-device', subject: publicIdentity(laptop) }],
    [laptop, { kind: 'recovery-key-set', subject: signer.signingPublicKey }],
    [phone, { kind: 'adp-on', subject: null }],
    [laptop, { kind: 'remove-device', subject: phone.id }],
    [signer, { kind: 'add-device', subject: publicIdentity(tablet) }],
    [tablet, { kind: 'adp-off', subject: null }],
    [tablet, { kind: 'recovery-key-removed', subject: signer.id }],
  ];
  const entries: DeviceLogEntry[] = [];
  steps.forEach(([who, body], i) => entries.push(createLogEntry(who, entries.at(-1) ?? null, body, 1_700_000_000_000 + i * 60_000)));
  return entries;
}

export function buildDeviceLogVectors(): unknown {
  const entries = vectorLog();
  return {
    format: 'Device log v1 (and Public identity v1)',
    spec: 'docs/PROTOCOL.md#device-log-v1',
    devices: ['Alice’s phone', 'Alice’s laptop', 'Alice’s tablet'].map((name) => {
      const d = vectorDevice(name);
      return { name, signingSeed: toHex(d.signingPrivateKey), hpkePrivateKey: toHex(d.hpkePrivateKey), id: d.id, publicIdentity: toHex(encodePublicIdentity(d)) };
    }),
    entries: entries.map((e) => ({ kind: e.kind, signerType: e.signerType, signerId: e.signerId, timestamp: e.timestamp, bytes: toHex(encodeLogEntry(e)), hash: toHex(logEntryHash(e)) })),
    finalState: { activeDeviceIds: [vectorDevice('Alice’s laptop').id, vectorDevice('Alice’s tablet').id], removedDeviceIds: [vectorDevice('Alice’s phone').id], adp: false, recoveryKeyId: null, length: entries.length },
  };
}

// ── padding.json ─────────────────────────────────────────────────────────────
export function buildPaddingVectors(): unknown {
  const lengths = [0, 1, 2, 3, 8, 9, 17, 32, 33, 100, 255, 1000, 65536, 65537, 1_000_000, 1 << 24, 123_456_789];
  return {
    format: 'Padmé and Padded form v1',
    spec: 'docs/PROTOCOL.md#padding',
    padme: lengths.map((length) => ({ length, padded: padmeLength(length) })),
    pad: [
      { data: '', minimum: 0 }, { data: '61', minimum: 0 }, { data: '000102030405060708', minimum: 0 },
      { data: toHex(patternBytes(40)), minimum: 0 }, { data: '61', minimum: 32 }, { data: toHex(patternBytes(40)), minimum: 32 },
    ].map((v) => ({ ...v, padded: toHex(pad(fromHex(v.data), v.minimum)) })),
  };
}

// ── subkeys (in wrapped-key.json's neighbour, reserved labels) ───────────────
export function buildSubkeyVectors(): unknown {
  const keychain = fixedKey('keychain', 'keychain');
  return {
    format: 'deriveSubkey (HKDF-SHA-256 per-purpose subkeys)',
    spec: 'docs/PROTOCOL.md#labels-and-subkeys',
    parent: keyToJson(keychain),
    vectors: [Labels.convergenceSecret, Labels.chunkerSeed].map((label) => ({ label, length: 32, subkey: toHex(deriveSubkey(keychain, label)) })),
  };
}
