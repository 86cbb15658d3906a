/**
 * The vector suite: every file in test/vectors/ checked vector by vector (open/verify to
 * the given values, then re-create with the fixed randomness to the exact bytes), plus a
 * whole-file rebuild compared with what is on disk. Run once per primitive backend by
 * vectors.node.test.ts and vectors.web.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { FieldType } from '@coffer/protocol';
import {
  decodeLogEntry, decryptChunk, decryptField, encodeFieldValue, encodeLogEntry, fromHex, keyFromBytes, logEntryHash,
  openSealedKey, pad, padmeLength, parseRecoveryKey, recoverySigner, recoveryWrappingKey, sha256, toHex, unwrapKey,
  verifyDeviceLog, deriveSubkey, RecoveryKeyError, primitivesBackend, chunkCiphertextSize, decodePublicIdentity,
  type FieldContext, type KeyKind, type Label, type SymmetricKey,
} from '../src/index.js';
import { wrapKeyWithNonce } from '../src/keys.js';
import { encryptFieldWithNonce } from '../src/field.js';
import { encryptChunk } from '../src/chunk.js';
import { sealKeyToWithEphemeral } from '../src/hpke.js';
import { recoveryKeyFromData } from '../src/recovery.js';
import { valueFromJson } from '../scripts/vector-values.js';
import {
  buildChunkVectors, buildDeviceLogVectors, buildFieldVectors, buildPaddingVectors, buildRecoveryVectors,
  buildSealedKeyVectors, buildSubkeyVectors, buildWrappedKeyVectors, patternBytes,
} from '../scripts/vector-builders.js';
import { loadVectors, sameBytes, thrown } from './helpers.js';

interface KeyJson { kind: KeyKind; id: string; version: number; bytes: string }
const key = (k: KeyJson): SymmetricKey => keyFromBytes(k.kind, fromHex(k.bytes), { id: k.id, version: k.version });
const same = (a: unknown, b: unknown): void => {
  expect(JSON.parse(JSON.stringify(a))).toEqual(b);
};

export function vectorSuite(expectedBackend: 'node' | 'web'): void {
  it(`runs on the ${expectedBackend} primitive backend`, () => {
    expect(primitivesBackend).toBe(expectedBackend);
  });

  describe('wrapped-key.json', () => {
    const file = loadVectors('wrapped-key.json') as { vectors: { description: string; parent: KeyJson; child: KeyJson; nonce: string; wrapped: string }[] };
    it.each(file.vectors)('$description', (v) => {
      const child = unwrapKey(key(v.parent), fromHex(v.wrapped), v.child.kind);
      expect({ ...child, bytes: toHex(child.bytes) }).toEqual(v.child);
      expect(toHex(wrapKeyWithNonce(key(v.parent), key(v.child), fromHex(v.nonce)))).toBe(v.wrapped);
    });
    it('rebuilds the whole file byte for byte', () => {
      same(buildWrappedKeyVectors(), file);
    });
  });

  describe('field-envelope.json', () => {
    const file = loadVectors('field-envelope.json') as { key: KeyJson; vectors: { description: string; context: FieldContext; value: unknown; nonce: string; encodedValue: string; paddedPlaintext: string; envelope: string }[] };
    it.each(file.vectors)('$description', (v) => {
      const type: FieldType = v.context.fieldType;
      const expected = valueFromJson(type, v.value);
      expect(decryptField(key(file.key), v.context, fromHex(v.envelope))).toEqual(expected);
      expect(toHex(encodeFieldValue(type, expected))).toBe(v.encodedValue);
      expect(toHex(pad(fromHex(v.encodedValue), 32))).toBe(v.paddedPlaintext);
      expect(toHex(encryptFieldWithNonce(key(file.key), v.context, expected, fromHex(v.nonce)))).toBe(v.envelope);
    });
    it('rebuilds the whole file byte for byte', () => {
      same(buildFieldVectors(), file);
    });
  });

  describe('chunk.json', () => {
    const file = loadVectors('chunk.json') as { vectors: { description: string; key: string; ad: string; plaintextLength: number; ciphertextLength: number; ciphertext?: string; ciphertextSha256: string }[] };
    it.each(file.vectors)('$description', (v) => {
      const plaintext = patternBytes(v.plaintextLength);
      const ct = encryptChunk(fromHex(v.key), plaintext, fromHex(v.ad));
      expect(ct.length).toBe(v.ciphertextLength);
      expect(chunkCiphertextSize(v.plaintextLength)).toBe(v.ciphertextLength);
      expect(toHex(sha256(ct))).toBe(v.ciphertextSha256);
      if (v.ciphertext !== undefined) expect(toHex(ct)).toBe(v.ciphertext);
      expect(sameBytes(decryptChunk(fromHex(v.key), ct, fromHex(v.ad)), plaintext)).toBe(true);
    });
    it('rebuilds the whole file byte for byte', () => {
      same(buildChunkVectors(), file);
    });
  });

  describe('sealed-key.json', () => {
    const file = loadVectors('sealed-key.json') as { recipientPrivateKey: string; recipientPublicKey: string; vectors: { description: string; key: KeyJson; purpose: string; ephemeralIkm: string; sealed: string }[] };
    it.each(file.vectors)('$description', async (v) => {
      const opened = await openSealedKey(fromHex(file.recipientPrivateKey), fromHex(v.sealed), v.purpose, v.key.kind);
      expect({ ...opened, bytes: toHex(opened.bytes) }).toEqual(v.key);
      const again = await sealKeyToWithEphemeral(fromHex(file.recipientPublicKey), key(v.key), v.purpose, fromHex(v.ephemeralIkm));
      expect(toHex(again)).toBe(v.sealed);
    });
    it('rebuilds the whole file byte for byte', async () => {
      same(await buildSealedKeyVectors(), file);
    });
  });

  describe('recovery-key.json', () => {
    const file = loadVectors('recovery-key.json') as { salt: string; vectors: { dataSymbols: number[]; text: string; recoveryKeyId: string; signingPublicKey: string; wrappingKey: KeyJson }[]; accepted: { input: string; text: string }[]; rejected: { input: string }[] };
    it.each(file.vectors)('$text', (v) => {
      expect(recoveryKeyFromData(v.dataSymbols)).toBe(v.text);
      const rk = parseRecoveryKey(v.text);
      const signer = recoverySigner(rk);
      expect(signer.id).toBe(v.recoveryKeyId);
      expect(toHex(signer.signingPublicKey)).toBe(v.signingPublicKey);
      const wk = recoveryWrappingKey(rk, fromHex(file.salt));
      expect({ ...wk, bytes: toHex(wk.bytes) }).toEqual(v.wrappingKey);
    });
    it('accepts the normalised inputs and rejects the bad ones', () => {
      for (const a of file.accepted) expect(parseRecoveryKey(a.input).text).toBe(a.text);
      for (const r of file.rejected) expect(thrown(() => parseRecoveryKey(r.input))).toBeInstanceOf(RecoveryKeyError);
    });
    it('rebuilds the whole file byte for byte', () => {
      same(buildRecoveryVectors(), file);
    });
  });

  describe('device-log.json', () => {
    const file = loadVectors('device-log.json') as { devices: { publicIdentity: string; id: string }[]; entries: { bytes: string; hash: string }[]; finalState: { activeDeviceIds: string[]; removedDeviceIds: string[]; adp: boolean; recoveryKeyId: null; length: number } };
    it('decodes, re-encodes and verifies the log to the given state', () => {
      for (const d of file.devices) expect(decodePublicIdentity(fromHex(d.publicIdentity)).id).toBe(d.id);
      const entries = file.entries.map((e) => decodeLogEntry(fromHex(e.bytes)));
      entries.forEach((e, i) => {
        expect(toHex(encodeLogEntry(e))).toBe(file.entries[i]!.bytes);
        expect(toHex(logEntryHash(e))).toBe(file.entries[i]!.hash);
      });
      const state = verifyDeviceLog(entries);
      expect(state.devices.map((d) => d.id)).toEqual(file.finalState.activeDeviceIds);
      expect(state.removedDeviceIds).toEqual(file.finalState.removedDeviceIds);
      expect(state.adp).toBe(file.finalState.adp);
      expect(state.recoveryKeyId).toBe(file.finalState.recoveryKeyId);
      expect(state.length).toBe(file.finalState.length);
      expect(toHex(state.headHash)).toBe(file.entries.at(-1)!.hash);
    });
    it('rebuilds the whole file byte for byte (Ed25519 is deterministic)', () => {
      same(buildDeviceLogVectors(), file);
    });
  });

  describe('padding.json', () => {
    const file = loadVectors('padding.json') as { padme: { length: number; padded: number }[]; pad: { data: string; minimum: number; padded: string }[] };
    it('matches every Padmé length and padded form', () => {
      for (const v of file.padme) expect(padmeLength(v.length)).toBe(v.padded);
      for (const v of file.pad) expect(toHex(pad(fromHex(v.data), v.minimum))).toBe(v.padded);
      same(buildPaddingVectors(), file);
    });
  });

  describe('subkeys.json', () => {
    const file = loadVectors('subkeys.json') as { parent: KeyJson; vectors: { label: Label; length: number; subkey: string }[] };
    it('derives every subkey', () => {
      for (const v of file.vectors) expect(toHex(deriveSubkey(key(file.parent), v.label, v.length))).toBe(v.subkey);
      same(buildSubkeyVectors(), file);
    });
  });
}
