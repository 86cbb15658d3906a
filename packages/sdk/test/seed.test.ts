/**
 * The CloudKit request of seed 000 ("Encrypting User Data"): a record with an
 * encrypted DOUBLE and an encrypted INT64_LIST in zone `myZone`, written through the
 * SDK (so encrypted on the device) and read back — by the same device, by a second
 * device of the same account (service key from escrow, Standard protection), and by a
 * plain web-services client, for which the server decrypts with its escrow key.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CofferRecord, type CofferClient } from '../src/index.js';
import { PASSWORD, newAccount, newClient, rawPost, startTestServer, type TestServer } from './helpers/server.js';

const CONTAINER = 'iCloud.com.example.seed';
let server: TestServer;
let client: CofferClient;
let email: string;

beforeAll(async () => {
  server = await startTestServer();
  ({ client, email } = await newAccount(server.url));
});
afterAll(async () => {
  await server.close();
});

describe('seed 000: encrypted DOUBLE and INT64_LIST in myZone', () => {
  it('round-trips through the SDK', async () => {
    const db = client.container(CONTAINER).privateDatabase;
    (await db.saveRecordZones('myZone')).throwIfErrors();

    const record = new CofferRecord({ recordType: 'myRecordType', recordName: 'recordWithEncryptedFields', zoneID: { zoneName: 'myZone' } });
    record.encryptedValues.myDoubleField = 0.55;
    record.setType('myIntListField', 'INT64_LIST');
    record.encryptedValues.myIntListField = [123, 456, 789];
    const saved = (await db.saveRecords(record)).throwIfErrors();
    expect(saved.records[0]!.recordChangeTag).toBeTypeOf('string');

    const fetched = (await db.fetchRecords('recordWithEncryptedFields', { zoneID: { zoneName: 'myZone' } })).throwIfErrors().records[0]!;
    expect(fetched.recordType).toBe('myRecordType');
    expect(fetched.encryptedValues.myDoubleField).toBe(0.55);
    expect(fetched.encryptedValues.myIntListField).toEqual([123n, 456n, 789n]);
    expect(fetched.typeOf('myIntListField')).toBe('INT64_LIST');
    expect(fetched.encryptedKeys().sort()).toEqual(['myDoubleField', 'myIntListField']);
  });

  it('stores only ciphertext: the SDK view of the wire has no plaintext values', async () => {
    const lookup = await rawPost(
      server.url,
      `/database/1/${CONTAINER}/development/private/records/lookup`,
      { records: [{ recordName: 'recordWithEncryptedFields' }], zoneID: { zoneName: 'myZone' } },
      { authorization: `Bearer ${client.session!.sessionToken}`, 'x-coffer-client': 'sdk' },
    );
    expect(lookup.status).toBe(200);
    const fields = (lookup.json as { records: { fields: Record<string, { value?: unknown; ciphertext?: string; isEncrypted?: boolean }> }[] }).records[0]!.fields;
    expect(fields.myDoubleField!.isEncrypted).toBe(true);
    expect(fields.myDoubleField!.value).toBeUndefined();
    expect(fields.myDoubleField!.ciphertext).toBeTypeOf('string');
    expect(fields.myIntListField!.value).toBeUndefined();
  });

  it('opens on a second device of the same account (service key recovered from escrow)', async () => {
    const device2 = newClient(server.url);
    await device2.signIn(email, PASSWORD);
    const fetched = (await device2.container(CONTAINER).privateDatabase.fetchRecords('recordWithEncryptedFields', { zoneID: { zoneName: 'myZone' } })).throwIfErrors().records[0]!;
    expect(fetched.encryptedValues.myDoubleField).toBe(0.55);
    expect(fetched.encryptedValues.myIntListField).toEqual([123n, 456n, 789n]);
  });

  it('reads back as plaintext for a plain web-services client (Standard protection escrow)', async () => {
    const lookup = await rawPost(
      server.url,
      `/database/1/${CONTAINER}/development/private/records/lookup`,
      { records: [{ recordName: 'recordWithEncryptedFields' }], zoneID: { zoneName: 'myZone' } },
      { authorization: `Bearer ${client.session!.sessionToken}` },
    );
    expect(lookup.status).toBe(200);
    const fields = (lookup.json as { records: { fields: Record<string, { value?: unknown; isEncrypted?: boolean }> }[] }).records[0]!.fields;
    expect(fields.myDoubleField).toMatchObject({ value: 0.55, type: 'DOUBLE', isEncrypted: true });
    expect(fields.myIntListField).toMatchObject({ value: [123, 456, 789], type: 'INT64_LIST', isEncrypted: true });
  });

  it('and the reverse: a plain client writes the seed request, the SDK decrypts it', async () => {
    const { status, json } = await rawPost(
      server.url,
      `/database/1/${CONTAINER}/development/private/records/modify`,
      {
        operations: [{
          operationType: 'create',
          record: {
            recordType: 'myRecordType',
            recordName: 'fromPlainClient',
            fields: {
              myDoubleField: { value: 0.55, type: 'DOUBLE', isEncrypted: true },
              myIntListField: { value: [123, 456, 789], type: 'INT64_LIST', isEncrypted: true },
            },
          },
        }],
        zoneID: { zoneName: 'myZone' },
      },
      { authorization: `Bearer ${client.session!.sessionToken}` },
    );
    expect(status, JSON.stringify(json)).toBe(200);
    const fetched = (await client.container(CONTAINER).privateDatabase.fetchRecords('fromPlainClient', { zoneID: { zoneName: 'myZone' } })).throwIfErrors().records[0]!;
    expect(fetched.encryptedValues.myDoubleField).toBe(0.55);
    expect(fetched.encryptedValues.myIntListField).toEqual([123n, 456n, 789n]);
  });
});
