/**
 * recovery/1/keychain/reset and the ZONE_NOT_FOUND reasons: after a reset, zones whose
 * keys are wrapped by a service key the server holds no escrow copy of answer
 * `userDidResetEncryptedDataKey` on records/*, changes/* and zones/lookup; escrowed
 * (Standard) zones stay readable; a user-deleted zone answers `userDeletedZone`; deleting
 * and recreating under a new key brings the zone back. The reset wipes the log and the
 * recovery records, and needs the TOTP code when TOTP is on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthReasons, ErrorReasons, type ErrorEnvelope, type KeychainResetResponse, type ZonesLookupResponse } from '@coffer/protocol';
import { testBackends } from '@coffer/storage';
import { base32Decode, totpAt } from '../src/auth/totp.js';
import { TestLog, append, expectError, openDevicesHarness, putRecoveryKey, randomB64, type DevicesHarness } from './devices-harness.js';

const DB = '/database/1/iCloud.com.example.reset/development/private';

for (const backend of testBackends()) {
  describe(`keychain reset (${backend.name})`, () => {
    let h: DevicesHarness;
    const db = (op: string, body: unknown) => h.api(`${DB}/${op}`, body);

    async function serviceKey(keyId: string, category: string, escrowed: boolean, version = 1): Promise<void> {
      await h.ok(`${DB}/keys/service/modify`, { keyId, version, category, wrappedByKeychain: randomB64(80), ...(escrowed ? { escrowSealed: randomB64(120) } : {}) });
    }
    async function zone(zoneName: string, serviceKeyId: string | null): Promise<void> {
      const zoneKeys = serviceKeyId === null ? undefined : [{ version: 1, serviceKeyId, wrappedKey: randomB64(80) }];
      await h.ok(`${DB}/zones/modify`, { operations: [{ operationType: 'create', zone: { zoneID: { zoneName }, ...(zoneKeys ? { zoneKeys } : {}) } }] });
      await h.ok(`${DB}/records/modify`, { operations: [{ operationType: 'create', record: { recordType: 'Item', recordName: 'r1', fields: { n: { value: 1, type: 'INT64' } } } }], zoneID: { zoneName } });
    }
    /** The reason of a top-level or per-item ZONE_NOT_FOUND. */
    function zoneReason(body: unknown): string | undefined {
      const b = body as ErrorEnvelope & { records?: ErrorEnvelope[]; zones?: ErrorEnvelope[] };
      const e = b.serverErrorCode !== undefined ? b : (b.records?.[0] ?? b.zones?.[0]);
      return e?.serverErrorCode === 'ZONE_NOT_FOUND' ? e.reason : undefined;
    }
    async function reasonsFor(zoneName: string): Promise<(string | undefined)[]> {
      const zoneID = { zoneName };
      return Promise.all([
        db('records/modify', { operations: [{ operationType: 'create', record: { recordType: 'Item', fields: {} } }], zoneID }),
        db('records/lookup', { records: [{ recordName: 'r1' }], zoneID }),
        db('records/query', { query: { recordType: 'Item' }, zoneID }),
        db('records/changes', { zoneID }),
        db('zones/lookup', { zones: [zoneID] }),
      ].map(async (p) => zoneReason((await p).json())));
    }

    beforeAll(async () => {
      h = await openDevicesHarness(backend);
      await serviceKey('svc-photos-1', 'photos', false);
      await serviceKey('svc-notes-1', 'notes', true);
      await zone('photos', 'svc-photos-1');
      await zone('notes', 'svc-notes-1');
      await zone('plain', null);
      await zone('gone', 'svc-photos-1');
      await h.ok(`${DB}/zones/modify`, { operations: [{ operationType: 'delete', zone: { zoneID: { zoneName: 'gone' } } }] });
      expect((await append(h, [new TestLog().genesis()], 0)).statusCode).toBe(200);
      await putRecoveryKey(h);
    });
    afterAll(async () => {
      await h.close();
    });

    it('a deleted zone answers userDeletedZone everywhere, before any reset', async () => {
      expect(await reasonsFor('gone')).toEqual(Array(5).fill(ErrorReasons.userDeletedZone));
      expect(await reasonsFor('photos')).toEqual(Array(5).fill(undefined));
    });

    it('resets: zones under retired keys answer userDidResetEncryptedDataKey; escrowed and keyless zones stay', async () => {
      expect(await h.ok<KeychainResetResponse>('/recovery/1/keychain/reset', {})).toEqual({ resetGeneration: 1 });
      expect(await reasonsFor('photos')).toEqual(Array(5).fill(ErrorReasons.userDidResetEncryptedDataKey));
      const lookup = (await db('zones/lookup', { zones: [{ zoneName: 'photos' }] })).json<ZonesLookupResponse>();
      expect(lookup.zones[0]).toMatchObject({ serverErrorCode: 'ZONE_NOT_FOUND', zoneID: { zoneName: 'photos' } });
      expect(await reasonsFor('notes')).toEqual(Array(5).fill(undefined));
      expect(await reasonsFor('plain')).toEqual(Array(5).fill(undefined));
      expect(await reasonsFor('gone')).toEqual(Array(5).fill(ErrorReasons.userDeletedZone));
      expect(await reasonsFor('never-existed')).toEqual(Array(5).fill(expect.not.stringMatching(/^user/)));
    });

    it('wiped what belonged to the old keychain: log, recovery key, passcode; back to Standard', async () => {
      expect((await h.ok<{ entries: string[] }>('/devices/1/log', undefined, { method: 'GET' })).entries).toEqual([]);
      expectError(await h.api('/recovery/1/recovery-key/get', {}), 'NOT_FOUND');
      expect(await h.ok('/recovery/1/passcode/status', {})).toEqual({ enrolled: false });
      expect((await h.ok<{ mode: string }>('/protection/1/status', undefined, { method: 'GET' })).mode).toBe('standard');
      // A new first device starts a new log.
      expect((await append(h, [new TestLog().genesis()], 0)).statusCode).toBe(200);
    });

    it('the SDK\'s helper path: delete (→ userDeletedZone), recreate under a new key, re-upload', async () => {
      await h.ok(`${DB}/zones/modify`, { operations: [{ operationType: 'delete', zone: { zoneID: { zoneName: 'photos' } } }] });
      expect(await reasonsFor('photos')).toEqual(Array(5).fill(ErrorReasons.userDeletedZone));
      // Retired keys keep their versions: the new key of the category is the next version.
      await serviceKey('svc-photos-2', 'photos', false, 2);
      await zone('photos', 'svc-photos-2');
      expect(await reasonsFor('photos')).toEqual(Array(5).fill(undefined));
      expect((await db('records/lookup', { records: [{ recordName: 'r1' }], zoneID: { zoneName: 'photos' } })).json()).toMatchObject({ records: [{ recordName: 'r1' }] });
    });

    it('a second reset retires the new key too and counts generations; another account is untouched', async () => {
      const bob = await h.signUp('bob');
      expect(await h.ok<KeychainResetResponse>('/recovery/1/keychain/reset', {})).toEqual({ resetGeneration: 2 });
      expect(await reasonsFor('photos')).toEqual(Array(5).fill(ErrorReasons.userDidResetEncryptedDataKey));
      const bobZone = await h.api(`/database/1/iCloud.com.example.reset/development/private/zones/lookup`, { zones: [{ zoneName: 'photos' }] }, { user: bob });
      expect(zoneReason(bobZone.json())).not.toBe(ErrorReasons.userDidResetEncryptedDataKey);
    });

    it('needs the TOTP code when TOTP is on', async () => {
      const carol = await h.signUp('carol');
      const setup = await h.ok<{ secret: string }>('/auth/1/totp/setup', {}, { user: carol });
      const secret = base32Decode(setup.secret);
      await h.ok('/auth/1/totp/confirm', { code: totpAt(secret, Date.now()) }, { user: carol });
      expectError(await h.api('/recovery/1/keychain/reset', {}, { user: carol }), 'AUTHENTICATION_FAILED', AuthReasons.totpRequired);
      expectError(await h.api('/recovery/1/keychain/reset', { totpCode: 12 }, { user: carol }), 'BAD_REQUEST', /totpCode/);
      // The confirm above used this step's code; the next step's code is fresh.
      expect(await h.ok<KeychainResetResponse>('/recovery/1/keychain/reset', { totpCode: totpAt(secret, Date.now() + 30_000) }, { user: carol })).toEqual({ resetGeneration: 1 });
    });
  });
}
