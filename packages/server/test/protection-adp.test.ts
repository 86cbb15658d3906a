/**
 * protection/1/status and the ADP switch through the device log: the status table for
 * both modes; adp-on refused without a recovery method; on adp-on the server deletes
 * every escrowed service-key copy in the same transaction, the escrow refuses recovery
 * and plaintext isEncrypted writes; adp-off returns to Standard. Both backends, real HTTP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataCategories, DeviceLogReasons, protectionTable, type ProtectionStatusResponse, type ServiceKeysLookupResponse } from '@coffer/protocol';
import { testBackends } from '@coffer/storage';
import { ADP_PLAINTEXT_REFUSED } from '../src/escrow/index.js';
import { TestLog, append, expectError, openDevicesHarness, putRecoveryKey, type DevicesHarness } from './devices-harness.js';

const DB = '/database/1/iCloud.com.example.adp/development/private';

for (const backend of testBackends()) {
  describe(`protection modes (${backend.name})`, () => {
    let h: DevicesHarness;
    const log = new TestLog();
    const status = () => h.ok<ProtectionStatusResponse>('/protection/1/status', undefined, { method: 'GET' });
    const plaintextWrite = (recordName: string) =>
      h.api(`${DB}/records/modify`, {
        operations: [{ operationType: 'create', record: { recordType: 'Note', recordName, fields: { secret: { value: 'Escrow-Probe-4242', type: 'STRING', isEncrypted: true } } } }],
        zoneID: { zoneName: 'notes' },
      });

    beforeAll(async () => {
      h = await openDevicesHarness(backend);
      await h.ok(`${DB}/zones/modify`, { operations: [{ operationType: 'create', zone: { zoneID: { zoneName: 'notes' } } }] });
      expect((await append(h, [log.genesis()], 0)).statusCode).toBe(200);
    });
    afterAll(async () => {
      await h.close();
    });

    it('shows the Standard table for a new account', async () => {
      const s = await status();
      expect(s.mode).toBe('standard');
      expect(s.categories).toEqual(protectionTable('standard'));
      expect(s.categories).toHaveLength(DataCategories.length);
      const row = (id: string) => s.categories.find((c) => c.id === id);
      expect(row('passwords')).toEqual({ id: 'passwords', title: 'Passwords and Keychain', encryption: 'end-to-end', keyStorage: 'trusted devices' });
      expect(row('photos')).toMatchObject({ encryption: 'in transit & on server', keyStorage: 'server' });
      expect(row('mail')).toMatchObject({ encryption: 'in transit & on server', keyStorage: 'server' });
    });

    it('in Standard, a plaintext isEncrypted write is sealed by the escrow (an escrowed service key appears)', async () => {
      const r = await plaintextWrite('before-adp');
      expect(r.statusCode).toBe(200);
      expect(JSON.stringify(r.json())).not.toContain('serverErrorCode');
      const keys = await h.ok<ServiceKeysLookupResponse>(`${DB}/keys/service/lookup`, {});
      expect(keys.serviceKeys.some((k) => k.escrowed)).toBe(true);
    });

    it('refuses adp-on without a recovery method, and writes nothing', async () => {
      const stale = log.fork();
      expectError(await append(h, [stale.adp(true)], 1), 'BAD_REQUEST', DeviceLogReasons.adpRequiresRecoveryMethod);
      expect((await status()).mode).toBe('standard');
      expect((await h.ok<{ entries: string[] }>('/devices/1/log', undefined, { method: 'GET' })).entries).toHaveLength(1);
    });

    it('adp-on: deletes every escrowed copy, refuses recovery and plaintext writes, shows the ADP table', async () => {
      await putRecoveryKey(h);
      expect((await append(h, [log.adp(true)], 1)).statusCode).toBe(200);
      const s = await status();
      expect(s.mode).toBe('advanced');
      expect(s.categories).toEqual(protectionTable('advanced'));
      expect(s.categories.find((c) => c.id === 'photos')).toMatchObject({ encryption: 'end-to-end', keyStorage: 'trusted devices' });
      expect(s.categories.find((c) => c.id === 'mail')).toMatchObject({ encryption: 'in transit & on server', keyStorage: 'server' });

      const keys = await h.ok<ServiceKeysLookupResponse>(`${DB}/keys/service/lookup`, {});
      expect(keys.serviceKeys.length).toBeGreaterThan(0);
      expect(keys.serviceKeys.every((k) => !k.escrowed)).toBe(true);
      const rows = await h.store.db.selectFrom('service_keys').select('escrow_sealed').where('owner', '=', h.alice.userRecordName).execute();
      expect(rows.every((r) => r.escrow_sealed === null)).toBe(true);

      expectError(await h.api(`${DB}/keys/service/recover`, { keyId: keys.serviceKeys[0]!.keyId }), 'ACCESS_DENIED');
      // A client may not hand the server a new escrow copy while ADP stands.
      const newest = Math.max(...keys.serviceKeys.map((k) => k.version));
      expectError(await h.api(`${DB}/keys/service/modify`, { keyId: 'adp-late-escrow', version: newest + 1, wrappedByKeychain: 'AAECAw==', escrowSealed: 'BAUGBw==' }), 'ACCESS_DENIED');
      expect((await h.ok<ServiceKeysLookupResponse>(`${DB}/keys/service/lookup`, {})).serviceKeys.some((k) => k.keyId === 'adp-late-escrow')).toBe(false);
      // Refused per record (CloudKit's batch shape) with the escrow's reason.
      const refused = JSON.stringify((await plaintextWrite('after-adp')).json());
      expect(refused).toContain('"serverErrorCode":"BAD_REQUEST"');
      expect(refused).toContain(ADP_PLAINTEXT_REFUSED);
    });

    it('refuses a second adp-on and deleting the last recovery method while ADP is on', async () => {
      expectError(await append(h, [log.fork().adp(true)], 2), 'BAD_REQUEST', /already on/);
      expectError(await h.api('/recovery/1/recovery-key/delete', {}), 'BAD_REQUEST', DeviceLogReasons.adpRequiresRecoveryMethod);
    });

    it('adp-off returns to Standard; the escrow serves plaintext writes again', async () => {
      expect((await append(h, [log.adp(false)], 2)).statusCode).toBe(200);
      expect((await status()).mode).toBe('standard');
      expectError(await append(h, [log.fork().adp(false)], 3), 'BAD_REQUEST', /already off/);
      // The device re-escrows (modelled here by the escrow creating a fresh key for a new zone).
      await h.ok(`${DB}/zones/modify`, { operations: [{ operationType: 'create', zone: { zoneID: { zoneName: 'notes2' } } }] });
      await h.ok('/recovery/1/recovery-key/delete', {});
    });

    it('reads the mode per account', async () => {
      const bob = await h.signUp('bob');
      expect((await h.ok<ProtectionStatusResponse>('/protection/1/status', undefined, { method: 'GET', user: bob })).mode).toBe('standard');
      expectError(await h.api('/protection/1/status', undefined, { method: 'GET', user: null }), 'AUTHENTICATION_REQUIRED');
    });
  });
}
