/**
 * zones/* with the zoneKeys extension, keys/service/* storage and routes, and the
 * per-user storage quota.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ErrorEnvelope, RecordsModifyResponse, ServiceKeysLookupResponse, ZoneWire } from '@coffer/protocol';
import { testBackends } from '@coffer/storage';
import { CONTAINER, openHarness, type Harness } from './record-harness.js';

const key = (version: number, wrappedKey = 'AAAA') => ({ version, serviceKeyId: 'svc1', wrappedKey });

for (const backend of testBackends()) {
  describe(`zones, service keys, quota (${backend.name})`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await openHarness(backend, { quotaBytes: 4000 });
    });
    afterAll(async () => {
      await h.close();
    });

    it('zones: create with keys (idempotent), lookup, append keys, refuse rewriting a version, delete', async () => {
      const zoneID = { zoneName: 'keyed' };
      const created = await h.ok<{ zones: ZoneWire[] }>('zones/modify', { operations: [{ operationType: 'create', zone: { zoneID, zoneKeys: [key(1)] } }] });
      expect(created.zones[0]).toMatchObject({ zoneID: { zoneName: 'keyed', ownerRecordName: h.alice.userRecordName }, zoneKeys: [key(1)] });
      const again = await h.ok<{ zones: ZoneWire[] }>('zones/modify', { operations: [{ operationType: 'create', zone: { zoneID, zoneKeys: [key(1, 'BBBB')] } }] });
      expect(again.zones[0]!.zoneKeys).toEqual([key(1)]);
      const appended = await h.ok<{ zones: ZoneWire[] }>('zones/modify', { operations: [{ operationType: 'update', zone: { zoneID, zoneKeys: [key(2, 'CCCC')] } }] });
      expect(appended.zones[0]!.zoneKeys).toEqual([key(1), key(2, 'CCCC')]);
      const rewrite = await h.ok<{ zones: ErrorEnvelope[] }>('zones/modify', { operations: [{ operationType: 'update', zone: { zoneID, zoneKeys: [key(1, 'DDDD')] } }] });
      expect(rewrite.zones[0]).toMatchObject({ serverErrorCode: 'CONFLICT', zoneID: { zoneName: 'keyed' } });
      const lookup = await h.ok<{ zones: (ZoneWire | ErrorEnvelope)[] }>('zones/lookup', { zones: [zoneID, { zoneName: 'missing' }] });
      expect(lookup.zones[0]).toMatchObject({ zoneKeys: [key(1), key(2, 'CCCC')] });
      expect(lookup.zones[1]).toMatchObject({ serverErrorCode: 'ZONE_NOT_FOUND', zoneID: { zoneName: 'missing' } });
      const deleted = await h.ok<{ zones: ZoneWire[] }>('zones/modify', { operations: [{ operationType: 'delete', zone: { zoneID } }] });
      expect(deleted.zones[0]).toMatchObject({ deleted: true });
      const gone = await h.ok<{ zones: ErrorEnvelope[] }>('zones/modify', { operations: [{ operationType: 'delete', zone: { zoneID } }] });
      expect(gone.zones[0]!.serverErrorCode).toBe('ZONE_NOT_FOUND');
    });

    it('_defaultZone cannot be created or deleted', async () => {
      const result = await h.ok<{ zones: ErrorEnvelope[] }>('zones/modify', { operations: [{ operationType: 'delete', zone: { zoneID: { zoneName: '_defaultZone' } } }] });
      expect(result.zones[0]).toMatchObject({ serverErrorCode: 'BAD_REQUEST', reason: expect.stringMatching(/always exists/) as unknown });
    });

    it('keys/service: upload, look up, re-upload the same key, EXISTS for a second key of the category', async () => {
      const bob = await h.signUp(`bob-keys-${backend.name}@example.com`);
      expect(await h.ok('keys/service/lookup', {}, { user: bob })).toEqual({ serviceKeys: [] });
      const upload = { keyId: 'dev-key-1', version: 1, wrappedByKeychain: 'AAECAw==', escrowSealed: 'BAUGBw==' };
      const after = await h.ok<ServiceKeysLookupResponse>('keys/service/modify', upload, { user: bob });
      expect(after.serviceKeys).toEqual([{ keyId: 'dev-key-1', version: 1, category: `app:${CONTAINER}`, wrappedByKeychain: 'AAECAw==', escrowed: true }]);
      expect((await h.call('keys/service/modify', upload, { user: bob })).statusCode).toBe(200);
      const rival = await h.call('keys/service/modify', { ...upload, keyId: 'dev-key-2' }, { user: bob });
      expect([rival.statusCode, rival.json<ErrorEnvelope>().serverErrorCode]).toEqual([409, 'EXISTS']);
      const rotated = await h.ok<ServiceKeysLookupResponse>('keys/service/modify', { ...upload, keyId: 'dev-key-2', version: 2 }, { user: bob });
      expect(rotated.serviceKeys.map((k) => k.keyId)).toEqual(['dev-key-1', 'dev-key-2']);
      const notPrivate = await h.call('keys/service/lookup', {}, { user: bob, database: 'public' });
      expect(notPrivate.statusCode).toBe(400);
      // Always-end-to-end categories never get an escrow copy, even in Standard protection.
      const passwords = await h.call('keys/service/modify', { keyId: 'pw-key-1', version: 1, category: 'passwords', wrappedByKeychain: 'AAECAw==', escrowSealed: 'BAUGBw==' }, { user: bob });
      expect([passwords.statusCode, passwords.json<ErrorEnvelope>().serverErrorCode]).toEqual([403, 'ACCESS_DENIED']);
      const pwNoEscrow = await h.ok<ServiceKeysLookupResponse>('keys/service/modify', { keyId: 'pw-key-1', version: 1, category: 'passwords', wrappedByKeychain: 'AAECAw==' }, { user: bob });
      expect(pwNoEscrow.serviceKeys.find((k) => k.keyId === 'pw-key-1')).toMatchObject({ category: 'passwords', escrowed: false });
    });

    it('keys/service/recover: NOT_FOUND for an unknown key, ACCESS_DENIED without an escrow copy, the key for an escrowed one', async () => {
      const carol = await h.signUp(`carol-keys-${backend.name}@example.com`);
      expect((await h.call('keys/service/recover', { keyId: 'nope' }, { user: carol })).json<ErrorEnvelope>().serverErrorCode).toBe('NOT_FOUND');
      await h.ok('keys/service/modify', { keyId: 'device-only', version: 1, wrappedByKeychain: 'AAECAw==' }, { user: carol });
      const denied = await h.call('keys/service/recover', { keyId: 'device-only' }, { user: carol });
      expect([denied.statusCode, denied.json<ErrorEnvelope>().serverErrorCode]).toEqual([403, 'ACCESS_DENIED']);
      // A plain client's encrypted write makes the server create an escrowed key for another category version.
      await h.ok('zones/modify', { operations: [{ operationType: 'create', zone: { zoneID: { zoneName: 'z' } } }] });
      await h.ok('records/modify', { zoneID: { zoneName: 'z' }, operations: [{ operationType: 'create', record: { recordType: 'S', fields: { s: { value: 'x', type: 'STRING', isEncrypted: true } } } }] });
      const keys = await h.ok<ServiceKeysLookupResponse>('keys/service/lookup', {});
      const escrowed = keys.serviceKeys.find((k) => k.escrowed)!;
      const recovered = await h.ok<{ keyId: string; key: string }>('keys/service/recover', { keyId: escrowed.keyId });
      expect(recovered.keyId).toBe(escrowed.keyId);
      expect(Buffer.from(recovered.key, 'base64')).toHaveLength(32);
    });

    it('refuses writes past the per-user quota with QUOTA_EXCEEDED and accepts them again after deletes', async () => {
      const dave = await h.signUp(`dave-quota-${backend.name}@example.com`);
      const put = (recordName: string, size: number) =>
        h.ok<RecordsModifyResponse>('records/modify', { operations: [{ operationType: 'forceReplace', record: { recordName, recordType: 'Blob', fields: { s: { value: 'x'.repeat(size), type: 'STRING' } } } }] }, { user: dave });
      expect((await put('a', 2500)).records[0]).toMatchObject({ recordName: 'a' });
      const over = (await put('b', 2500)).records[0] as ErrorEnvelope;
      expect(over).toMatchObject({ serverErrorCode: 'QUOTA_EXCEEDED', recordName: 'b' });
      // Quota is per user: another container of the same user shares it.
      const elsewhere = await h.call('records/modify', { operations: [{ operationType: 'create', record: { recordName: 'c', recordType: 'Blob', fields: { s: { value: 'x'.repeat(2500), type: 'STRING' } } } }] }, { user: dave, container: 'iCloud.other.app' });
      expect(elsewhere.json<RecordsModifyResponse>().records[0]).toMatchObject({ serverErrorCode: 'QUOTA_EXCEEDED' });
      await h.ok('records/modify', { operations: [{ operationType: 'forceDelete', record: { recordName: 'a' } }] }, { user: dave });
      expect((await put('b', 2500)).records[0]).toMatchObject({ recordName: 'b' });
    });
  });
}
