/**
 * The escrow's record path (RecordEscrow port) on both backends: seal → store → open for
 * every encryptable type; key reuse on merging writes; interop with device-made keys and
 * envelopes; refusals under ADP, for keys held only on devices, and for tampering;
 * keys/service/recover policy.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Labels,
  decryptField,
  encryptField,
  fieldValueFromWire,
  fromBase64,
  generateKey,
  keyFromBytes,
  sealKeyTo,
  toBase64,
  unwrapKey,
  wrapKey,
} from '@coffer/crypto';
import type { FieldType, ProtectionInfo, WrappedZoneKeyWire } from '@coffer/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testBackends, type TestStore } from '@coffer/storage';
import { ADP_PLAINTEXT_REFUSED, createEscrow, type Escrow } from '../src/escrow/index.js';
import { CONTAINER, recordContext } from './escrow-helpers.js';

/** Normalised plaintext as the record path hands it over (INT64 as decimal strings, BYTES base64). */
const SAMPLE: Record<string, { type: FieldType; value: unknown }> = {
  title: { type: 'STRING', value: 'Ünïcode secret note ✓' },
  count: { type: 'INT64', value: '9007199254740993' },
  ratio: { type: 'DOUBLE', value: 3.14159 },
  when: { type: 'TIMESTAMP', value: 1_700_000_000_123 },
  blob: { type: 'BYTES', value: toBase64(new Uint8Array([0, 1, 2, 250, 255])) },
  where: { type: 'LOCATION', value: { latitude: 52.5, longitude: 13.4, altitude: 34 } },
  tags: { type: 'STRING_LIST', value: ['a', 'b', ''] },
  numbers: { type: 'INT64_LIST', value: ['1', '-2', '3'] },
  doubles: { type: 'DOUBLE_LIST', value: [1.5, -0] },
};

const errorOf = async (promise: Promise<unknown>) => promise.then(() => null, (e: unknown) => e as { serverErrorCode?: string; reason?: string });

for (const backend of testBackends()) {
  describe(`escrow sealing for plain clients (${backend.name})`, () => {
    let store: TestStore;
    let escrow: Escrow;
    let dataDir: string;

    beforeAll(async () => {
      store = await backend.open();
      dataDir = mkdtempSync(join(tmpdir(), 'coffer-escrow-'));
      escrow = await createEscrow({ dataDir, store });
    });
    afterAll(async () => {
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    });

    it('seals every encryptable type and opens it back to the same normalised values', async () => {
      const ctx = await recordContext(store, '_alice', 'myZone', 'rec-1');
      const sealed = await escrow.sealFields({ ...ctx, fields: SAMPLE, existingProtection: null });
      expect(Object.keys(sealed.ciphertexts).sort()).toEqual(Object.keys(SAMPLE).sort());
      for (const ciphertext of Object.values(sealed.ciphertexts)) expect(fromBase64(ciphertext)[0]).toBe(1); // field envelope v1
      expect(sealed.protectionInfo.zoneKeyVersion).toBe(1);

      const opened = await escrow.openFields({
        ...ctx,
        fields: Object.fromEntries(Object.entries(SAMPLE).map(([name, f]) => [name, { type: f.type, ciphertext: sealed.ciphertexts[name]! }])),
        protectionInfo: sealed.protectionInfo,
      });
      expect(opened.values).toEqual({ ...Object.fromEntries(Object.entries(SAMPLE).map(([n, f]) => [n, f.value])), doubles: [1.5, -0] });
    });

    it('creates an escrow-only service key (no keychain wrap yet) and zone key version 1, once', async () => {
      const keys = (await store.serviceKeys.list('_alice')).filter((k) => k.category === `app:${CONTAINER}`);
      expect(keys).toHaveLength(1);
      expect(keys[0]).toMatchObject({ wrappedByKeychain: null, version: 1 });
      expect(keys[0]!.escrowSealed).not.toBeNull();

      const ctx = await recordContext(store, '_alice', 'myZone', 'rec-2');
      await escrow.sealFields({ ...ctx, fields: { title: SAMPLE.title! }, existingProtection: null });
      expect((await store.serviceKeys.list('_alice')).filter((k) => k.category === `app:${CONTAINER}`)).toHaveLength(1);
      const zoneKeys = (await ctx.keys.zoneKeys());
      expect(zoneKeys).toHaveLength(1);
      expect(zoneKeys[0]).toMatchObject({ version: 1, serviceKeyId: keys[0]!.keyId });
    });

    it('concurrent first writes of a new user converge on one service key and one zone key', async () => {
      const contexts = await Promise.all([1, 2, 3, 4].map((i) => recordContext(store, '_racer', 'raceZone', `r${i}`)));
      const results = await Promise.all(contexts.map((ctx) => escrow.sealFields({ ...ctx, fields: { title: SAMPLE.title! }, existingProtection: null })));
      expect(new Set(results.map((r) => r.protectionInfo.zoneKeyVersion))).toEqual(new Set([1]));
      // Every record opens (all used the single winning zone key).
      for (const [i, ctx] of contexts.entries()) {
        const opened = await escrow.openFields({ ...ctx, fields: { title: { type: 'STRING', ciphertext: results[i]!.ciphertexts.title! } }, protectionInfo: results[i]!.protectionInfo });
        expect(opened.values.title).toBe(SAMPLE.title!.value);
      }
      expect(await contexts[0]!.keys.zoneKeys()).toHaveLength(1);
    });

    it('reuses the record key of a merging write, so the record\'s other encrypted fields stay readable', async () => {
      const ctx = await recordContext(store, '_alice', 'myZone', 'rec-3');
      const first = await escrow.sealFields({ ...ctx, fields: { title: SAMPLE.title! }, existingProtection: null });
      const second = await escrow.sealFields({ ...ctx, fields: { count: SAMPLE.count! }, existingProtection: first.protectionInfo });
      expect(second.protectionInfo).toEqual(first.protectionInfo);
      const opened = await escrow.openFields({
        ...ctx,
        fields: { title: { type: 'STRING', ciphertext: first.ciphertexts.title! }, count: { type: 'INT64', ciphertext: second.ciphertexts.count! } },
        protectionInfo: second.protectionInfo,
      });
      expect(opened.values).toEqual({ title: SAMPLE.title!.value, count: SAMPLE.count!.value });
    });

    it('binds ciphertext to its field, record and zone: moved ciphertext does not open', async () => {
      const ctx = await recordContext(store, '_alice', 'myZone', 'rec-4');
      const sealed = await escrow.sealFields({ ...ctx, fields: { a: SAMPLE.title!, b: SAMPLE.title! }, existingProtection: null });
      const swapped = await escrow.openFields({
        ...ctx,
        fields: { a: { type: 'STRING', ciphertext: sealed.ciphertexts.b! }, b: { type: 'STRING', ciphertext: sealed.ciphertexts.b! } },
        protectionInfo: sealed.protectionInfo,
      });
      expect(swapped.values).toEqual({ b: SAMPLE.title!.value });
      const otherRecord = await recordContext(store, '_alice', 'myZone', 'rec-5');
      expect((await escrow.openFields({ ...otherRecord, fields: { a: { type: 'STRING', ciphertext: sealed.ciphertexts.a! } }, protectionInfo: sealed.protectionInfo })).values).toEqual({});
      // Wrong type claimed for the field.
      expect((await escrow.openFields({ ...ctx, fields: { a: { type: 'BYTES', ciphertext: sealed.ciphertexts.a! } }, protectionInfo: sealed.protectionInfo })).values).toEqual({});
    });

    it('refuses values that do not fit their type and types that cannot be encrypted, without quoting the value', async () => {
      const ctx = await recordContext(store, '_alice', 'myZone', 'rec-6');
      for (const field of [
        { type: 'INT64' as const, value: 'Secret-Not-A-Number' },
        { type: 'REFERENCE' as const, value: { recordName: 'Secret-Ref' } },
        { type: 'BYTES' as const, value: 'Secret!!' },
      ]) {
        const error = await errorOf(escrow.sealFields({ ...ctx, fields: { f: field }, existingProtection: null }));
        expect(error?.serverErrorCode).toBe('BAD_REQUEST');
        expect(error?.reason).toMatch(/^field f: value is not a valid/);
        expect(error?.reason).not.toMatch(/Secret/);
      }
    });

    it('opens records a device (SDK) encrypted under an escrowed service key — the same formats', async () => {
      const owner = '_device_user';
      const ctx = await recordContext(store, owner, 'deviceZone', 'dev-1');
      // What the SDK does: service key escrowed to the server's public key, zone key, record key, envelope.
      const serviceKey = generateKey('service');
      await store.serviceKeys.putIfAbsent({
        owner, keyId: serviceKey.id, version: 1, category: `app:${CONTAINER}`,
        wrappedByKeychain: toBase64(wrapKey(generateKey('keychain'), serviceKey)),
        escrowSealed: toBase64(await sealKeyTo(fromBase64(escrow.publicKey().publicKey), serviceKey, Labels.escrow)),
      });
      const zoneKey = generateKey('zone');
      await ctx.keys.addZoneKey({ version: 1, serviceKeyId: serviceKey.id, wrappedKey: toBase64(wrapKey(serviceKey, zoneKey)) });
      const recordKey = generateKey('record');
      const protectionInfo: ProtectionInfo = { wrappedRecordKey: toBase64(wrapKey(zoneKey, recordKey)), zoneKeyVersion: 1 };
      const fieldCtx = { container: CONTAINER, environment: 'development' as const, database: 'private' as const, zoneName: 'deviceZone', ownerRecordName: owner, recordName: 'dev-1', fieldName: 'score', fieldType: 'DOUBLE' as const };
      const ciphertext = toBase64(encryptField(recordKey, fieldCtx, 42.5));
      const opened = await escrow.openFields({ ...ctx, fields: { score: { type: 'DOUBLE', ciphertext } }, protectionInfo });
      expect(opened.values).toEqual({ score: 42.5 });

      // And the reverse: what the escrow seals, a device opens with the recovered service key.
      const sealed = await escrow.sealFields({ ...ctx, fields: { note: { type: 'STRING', value: 'from the web' } }, existingProtection: protectionInfo });
      const recovered = await escrow.recoverServiceKey({ ownerRecordName: owner, key: (await ctx.keys.serviceKeys())[0]! });
      const deviceServiceKey = keyFromBytes('service', fromBase64(recovered.key), { id: recovered.keyId, version: recovered.version });
      const wrappedZone = (await ctx.keys.zoneKeys())[0]!;
      const deviceZoneKey = unwrapKey(deviceServiceKey, fromBase64(wrappedZone.wrappedKey), 'zone');
      const deviceRecordKey = unwrapKey(deviceZoneKey, fromBase64(sealed.protectionInfo.wrappedRecordKey), 'record');
      const value = decryptField(deviceRecordKey, { ...fieldCtx, fieldName: 'note', fieldType: 'STRING' }, fromBase64(sealed.ciphertexts.note!));
      expect(value).toBe('from the web');
      expect(fieldValueFromWire('STRING', 'from the web')).toBe(value);
    });

    it('cannot use keys held only on devices: writes are refused, reads stay ciphertext, recover is ACCESS_DENIED', async () => {
      const owner = '_device_only';
      const ctx = await recordContext(store, owner, 'e2eZone', 'e2e-1');
      const serviceKey = generateKey('service');
      const stored = await store.serviceKeys.putIfAbsent({
        owner, keyId: serviceKey.id, version: 1, category: `app:${CONTAINER}`,
        wrappedByKeychain: toBase64(wrapKey(generateKey('keychain'), serviceKey)), escrowSealed: null,
      });
      const zoneKey = generateKey('zone');
      const zoneKeys: WrappedZoneKeyWire[] = await ctx.keys.addZoneKey({ version: 1, serviceKeyId: serviceKey.id, wrappedKey: toBase64(wrapKey(serviceKey, zoneKey)) });
      expect(zoneKeys).toHaveLength(1);
      const write = await errorOf(escrow.sealFields({ ...ctx, fields: { title: SAMPLE.title! }, existingProtection: null }));
      expect(write).toMatchObject({ serverErrorCode: 'BAD_REQUEST' });
      expect(write?.reason).toMatch(/held only on the user's devices/);

      const recordKey = generateKey('record');
      const protectionInfo = { wrappedRecordKey: toBase64(wrapKey(zoneKey, recordKey)), zoneKeyVersion: 1 };
      const ciphertext = toBase64(encryptField(recordKey, { container: CONTAINER, environment: 'development' as const, database: 'private', zoneName: 'e2eZone', ownerRecordName: owner, recordName: 'e2e-1', fieldName: 't', fieldType: 'STRING' }, 'x'));
      expect((await escrow.openFields({ ...ctx, fields: { t: { type: 'STRING', ciphertext } }, protectionInfo })).values).toEqual({});

      const recover = await errorOf(escrow.recoverServiceKey({ ownerRecordName: owner, key: { ...stored, wrappedByKeychain: stored.wrappedByKeychain } }));
      expect(recover).toMatchObject({ serverErrorCode: 'ACCESS_DENIED' });
      expect(recover?.reason).toMatch(/never escrowed/);
    });

    it('never recovers always-end-to-end categories, even with a sealed copy present', async () => {
      const key = generateKey('service');
      const sealed = toBase64(await sealKeyTo(fromBase64(escrow.publicKey().publicKey), key, Labels.escrow));
      for (const category of ['health', 'passwords', 'some-unknown-category']) {
        const error = await errorOf(escrow.recoverServiceKey({ ownerRecordName: '_alice', key: { keyId: key.id, version: 1, category, wrappedByKeychain: null, escrowSealed: sealed } }));
        expect(error).toMatchObject({ serverErrorCode: 'ACCESS_DENIED' });
        expect(error?.reason).toMatch(/always end-to-end/);
      }
    });

    it('recovers the raw service key of an escrowed category in Standard protection', async () => {
      const stored = (await store.serviceKeys.list('_alice'))[0]!;
      const recovered = await escrow.recoverServiceKey({ ownerRecordName: '_alice', key: stored });
      expect(recovered).toMatchObject({ keyId: stored.keyId, version: stored.version });
      expect(fromBase64(recovered.key)).toHaveLength(32);
    });

    it('under ADP: refuses plaintext writes with the exact reason, opens nothing, recovers nothing', async () => {
      await store.auth.accounts.create({ userRecordName: '_adp', email: 'adp@example.com', opaqueRecord: 'r', createdAt: 0 });
      const ctx = await recordContext(store, '_adp', 'adpZone', 'a-1');
      const before = await escrow.sealFields({ ...ctx, fields: { title: SAMPLE.title! }, existingProtection: null });
      await store.auth.accounts.setProtectionMode('_adp', 'advanced');
      escrow.forget('_adp');

      const write = await errorOf(escrow.sealFields({ ...ctx, fields: { title: SAMPLE.title! }, existingProtection: null }));
      expect(write).toMatchObject({ serverErrorCode: 'BAD_REQUEST', reason: ADP_PLAINTEXT_REFUSED });
      expect(ADP_PLAINTEXT_REFUSED).toBe('account uses Advanced Data Protection; encrypt on the device');
      const read = await escrow.openFields({ ...ctx, fields: { title: { type: 'STRING', ciphertext: before.ciphertexts.title! } }, protectionInfo: before.protectionInfo });
      expect(read.values).toEqual({});
      const recover = await errorOf(escrow.recoverServiceKey({ ownerRecordName: '_adp', key: (await ctx.keys.serviceKeys())[0]! }));
      expect(recover).toMatchObject({ serverErrorCode: 'ACCESS_DENIED' });
      expect(recover?.reason).toMatch(/Advanced Data Protection/);
    });

    it('refuses a swapped escrow copy (another key\'s sealed box under this key id)', async () => {
      const owner = '_swap';
      const ctx = await recordContext(store, owner, 'swapZone', 's-1');
      const real = generateKey('service');
      const other = generateKey('service');
      const stored = await store.serviceKeys.putIfAbsent({
        owner, keyId: real.id, version: 1, category: `app:${CONTAINER}`, wrappedByKeychain: null,
        escrowSealed: toBase64(await sealKeyTo(fromBase64(escrow.publicKey().publicKey), other, Labels.escrow)),
      });
      const error = await errorOf(escrow.recoverServiceKey({ ownerRecordName: owner, key: stored }));
      expect(error?.serverErrorCode).toBe('BAD_REQUEST');
      expect(error?.reason).toMatch(/cannot be opened/);
      expect(ctx.zoneName).toBe('swapZone');
    });
  });
}
