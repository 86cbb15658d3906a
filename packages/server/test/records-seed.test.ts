/**
 * The CloudKit request of seed 000 ("Encrypting User Data", Use CloudKit Web Services):
 * a plain web-services client creates a record with encrypted DOUBLE and INT64_LIST
 * fields in zone `myZone`. The server seals the values under the zone's keys before
 * storing (Standard protection), returns and serves them decrypted to plain clients, and
 * gives SDK clients the ciphertext.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordWire, RecordsModifyResponse } from '@coffer/protocol';
import { testBackends } from '@coffer/storage';
import { databaseDump } from './auth-helpers.js';
import { openHarness, type Harness } from './record-harness.js';

/** The seed's request body, verbatim except for its missing closing brace after `fields`. */
const SEED_REQUEST = {
  operations: [
    {
      operationType: 'create',
      record: {
        recordType: 'myRecordType',
        fields: {
          myDoubleField: { value: 0.55, type: 'DOUBLE', isEncrypted: true },
          myIntListField: { value: [123, 456, 789], type: 'INT64_LIST', isEncrypted: true },
        },
        recordName: 'recordWithEncryptedFields',
      },
    },
  ],
  zoneID: { zoneName: 'myZone' },
};

const DECRYPTED_FIELDS = {
  myDoubleField: { value: 0.55, type: 'DOUBLE', isEncrypted: true },
  myIntListField: { value: [123, 456, 789], type: 'INT64_LIST', isEncrypted: true },
};

for (const backend of testBackends()) {
  describe(`seed 000 request (${backend.name})`, () => {
    let h: Harness;
    let created: RecordWire;
    beforeAll(async () => {
      h = await openHarness(backend);
      await h.ok('zones/modify', { operations: [{ operationType: 'create', zone: { zoneID: { zoneName: 'myZone' } } }] });
      created = (await h.ok<RecordsModifyResponse>('records/modify', SEED_REQUEST)).records[0] as RecordWire;
    });
    afterAll(async () => {
      await h.close();
    });

    it('creates the record and answers with the fields decrypted, as CloudKit Web Services do', () => {
      expect(created).toMatchObject({
        recordName: 'recordWithEncryptedFields',
        recordType: 'myRecordType',
        zoneID: { zoneName: 'myZone', ownerRecordName: h.alice.userRecordName },
        fields: DECRYPTED_FIELDS,
      });
    });

    it('round-trips through records/lookup, records/query and records/changes for a plain client', async () => {
      const lookup = await h.ok<{ records: RecordWire[] }>('records/lookup', { records: [{ recordName: 'recordWithEncryptedFields' }], zoneID: { zoneName: 'myZone' } });
      expect(lookup.records[0]!.fields).toEqual(DECRYPTED_FIELDS);
      const query = await h.ok<{ records: RecordWire[] }>('records/query', { query: { recordType: 'myRecordType' }, zoneID: { zoneName: 'myZone' } });
      expect(query.records[0]!.fields).toEqual(DECRYPTED_FIELDS);
      const changes = await h.ok<{ records: RecordWire[] }>('records/changes', { zoneID: { zoneName: 'myZone' } });
      expect(changes.records[0]!.fields).toEqual(DECRYPTED_FIELDS);
    });

    it('stores only ciphertext: no field value and no plaintext form anywhere in the database', async () => {
      const zone = await h.store.zones.find((await h.store.databases.find({ container: 'iCloud.com.example.app', environment: 'development', scope: 'private', owner: h.alice.userRecordName }))!.id, 'myZone');
      const stored = (await h.store.records.lookup(zone!.id, ['recordWithEncryptedFields'])).get('recordWithEncryptedFields')!;
      for (const field of Object.values(stored.fields)) {
        expect(field.encrypted).toBe(true);
        expect(field.value).toBeUndefined();
        expect(field.ciphertext).toMatch(/^[A-Za-z0-9+/]+=*$/);
      }
      expect(stored.protection).toMatchObject({ zoneKeyVersion: 1 });
      const dump = await databaseDump(h.store);
      for (const plaintext of ['0.55', '[123,456,789]', '"123","456","789"', '123,456,789']) expect(dump).not.toContain(plaintext);
    });

    it('gives SDK clients the ciphertext and protectionInfo instead', async () => {
      const sdk = await h.ok<{ records: RecordWire[] }>('records/lookup', { records: [{ recordName: 'recordWithEncryptedFields' }], zoneID: { zoneName: 'myZone' } }, { headers: { 'x-coffer-client': 'sdk' } });
      const record = sdk.records[0]!;
      expect(record.fields?.myDoubleField).toMatchObject({ type: 'DOUBLE', isEncrypted: true, ciphertext: expect.any(String) as unknown });
      expect(record.fields?.myDoubleField?.value).toBeUndefined();
      expect(record.protectionInfo).toMatchObject({ wrappedRecordKey: expect.any(String) as unknown, zoneKeyVersion: 1 });
    });

    it('a merging update of one encrypted field keeps the other readable', async () => {
      const update = await h.ok<RecordsModifyResponse>('records/modify', {
        zoneID: { zoneName: 'myZone' },
        operations: [{ operationType: 'update', record: { recordName: 'recordWithEncryptedFields', recordType: 'myRecordType', recordChangeTag: created.recordChangeTag, fields: { myDoubleField: { value: 0.75, type: 'DOUBLE', isEncrypted: true } } } }],
      });
      expect((update.records[0] as RecordWire).fields).toEqual({ ...DECRYPTED_FIELDS, myDoubleField: { value: 0.75, type: 'DOUBLE', isEncrypted: true } });
    });
  });
}
