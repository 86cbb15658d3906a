/**
 * One request per endpoint, modelled on the examples of Apple's CloudKit Web Services
 * Reference and CloudKit JS (Artists/Artwork), sent exactly as a CloudKit client would —
 * including fields without `type`, references, and `GET` for zones/list and users/caller.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordWire, RecordsChangesResponse, ZonesChangesResponse } from '@coffer/protocol';
import { testBackends } from '@coffer/storage';
import { openHarness, type Harness } from './record-harness.js';

for (const backend of testBackends()) {
  describe(`CloudKit documentation examples (${backend.name})`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await openHarness(backend);
    });
    afterAll(async () => {
      await h.close();
    });

    it('zones/modify: create a zone', async () => {
      const body = await h.ok<{ zones: unknown[] }>('zones/modify', { operations: [{ operationType: 'create', zone: { zoneID: { zoneName: 'Artists' } } }] });
      expect(body.zones).toEqual([{ zoneID: { zoneName: 'Artists', ownerRecordName: h.alice.userRecordName }, atomic: true }]);
    });

    it('records/modify: create an Artist (types inferred) and an Artwork referencing it', async () => {
      const body = await h.ok<{ records: RecordWire[] }>('records/modify', {
        operations: [
          { operationType: 'create', record: { recordType: 'Artist', recordName: 'Mei Chen', fields: { firstName: { value: 'Mei' }, lastName: { value: 'Chen' } } } },
          {
            operationType: 'create',
            record: {
              recordType: 'Artwork',
              recordName: 'Lost in Thought',
              fields: {
                title: { value: 'Lost in Thought' },
                artist: { value: { recordName: 'Mei Chen', action: 'NONE' }, type: 'REFERENCE' },
                address: { value: { latitude: 37.7749, longitude: -122.4194 }, type: 'LOCATION' },
                price: { value: 250.5 },
              },
            },
          },
        ],
        zoneID: { zoneName: 'Artists' },
      });
      expect(body.records.map((r) => r.recordName)).toEqual(['Mei Chen', 'Lost in Thought']);
      expect(body.records[0]!.fields).toEqual({ firstName: { value: 'Mei', type: 'STRING' }, lastName: { value: 'Chen', type: 'STRING' } });
    });

    it('records/lookup: fetch by recordName', async () => {
      const body = await h.ok<{ records: RecordWire[] }>('records/lookup', { records: [{ recordName: 'Mei Chen' }], zoneID: { zoneName: 'Artists' } });
      expect(body.records[0]).toMatchObject({ recordName: 'Mei Chen', recordType: 'Artist' });
    });

    it('records/query: Artwork by artist reference, sorted by title', async () => {
      const body = await h.ok<{ records: RecordWire[] }>('records/query', {
        zoneID: { zoneName: 'Artists' },
        query: {
          recordType: 'Artwork',
          filterBy: [{ comparator: 'EQUALS', fieldName: 'artist', fieldValue: { value: { recordName: 'Mei Chen', action: 'NONE' } } }],
          sortBy: [{ fieldName: 'title', ascending: true }],
        },
        resultsLimit: 10,
        desiredKeys: ['title', 'artist'],
      });
      expect(body.records.map((r) => [r.recordName, Object.keys(r.fields ?? {}).sort()])).toEqual([['Lost in Thought', ['artist', 'title']]]);
    });

    it('records/changes: everything in the zone, then nothing new', async () => {
      const first = await h.ok<RecordsChangesResponse>('records/changes', { zoneID: { zoneName: 'Artists' }, resultsLimit: 10 });
      expect(first.records.map((r) => r.recordName)).toEqual(['Mei Chen', 'Lost in Thought']);
      const second = await h.ok<RecordsChangesResponse>('records/changes', { zoneID: { zoneName: 'Artists' }, syncToken: first.syncToken });
      expect(second).toMatchObject({ records: [], moreComing: false });
    });

    it('zones/list (GET) and zones/lookup', async () => {
      const list = await h.ok<{ zones: { zoneID: { zoneName: string } }[] }>('zones/list', undefined, { method: 'GET' });
      expect(list.zones.map((z) => z.zoneID.zoneName)).toEqual(['_defaultZone', 'Artists']);
      const lookup = await h.ok<{ zones: unknown[] }>('zones/lookup', { zones: [{ zoneName: 'Artists' }] });
      expect(lookup.zones).toEqual([{ zoneID: { zoneName: 'Artists', ownerRecordName: h.alice.userRecordName }, atomic: true }]);
    });

    it('zones/changes and changes/database (CloudKit JS fetchDatabaseChanges)', async () => {
      const zones = await h.ok<ZonesChangesResponse>('zones/changes', {});
      expect(zones.zones.map((z) => z.zoneID.zoneName)).toEqual(['Artists']);
      const database = await h.ok<ZonesChangesResponse>('changes/database', { syncToken: zones.syncToken });
      expect(database).toMatchObject({ zones: [], moreComing: false });
    });

    it('changes/zone (CloudKit JS fetchRecordZoneChanges)', async () => {
      const body = await h.ok<{ zones: RecordsChangesResponse[] }>('changes/zone', { zones: [{ zoneID: { zoneName: 'Artists' }, desiredKeys: ['title'] }] });
      expect(body.zones[0]!.records.map((r) => [r.recordName, Object.keys(r.fields ?? {})])).toEqual([['Mei Chen', []], ['Lost in Thought', ['title']]]);
    });

    it('users/caller (GET)', async () => {
      const body = await h.ok('users/caller', undefined, { method: 'GET' });
      expect(body).toEqual({ userRecordName: h.alice.userRecordName, emailAddress: expect.stringMatching(/@example.com$/) as unknown, protectionMode: 'standard' });
    });

    it('GET /escrow/1/public-key serves the escrow public key', async () => {
      const response = await h.app.inject({ method: 'GET', url: '/escrow/1/public-key' });
      expect(Buffer.from(response.json<{ publicKey: string }>().publicKey, 'base64')).toHaveLength(32);
    });
  });
}
