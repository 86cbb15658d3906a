/**
 * A server (or anyone with write access to its database) that moves ciphertext around
 * is caught on the device: the field envelope's associated data binds field name,
 * record name, zone, owner, database, container, type and record key id. The test
 * rewrites stored records through the raw HTTP API (as the SDK would send them, with
 * ciphertext) and expects `DecryptionError` on fetch.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CofferClient, CofferRecord, DecryptionError, type Database } from '../src/index.js';
import { newAccount, rawPost, startTestServer, type TestServer } from './helpers/server.js';

const CONTAINER = 'com.example.tamper';
const zoneID = { zoneName: 'vault' };
let server: TestServer;
let client: CofferClient;
let db: Database;

interface WireRecord {
  recordName: string;
  recordType: string;
  fields: Record<string, { type: string; isEncrypted?: boolean; ciphertext?: string; value?: unknown }>;
  protectionInfo?: unknown;
}

beforeAll(async () => {
  server = await startTestServer();
  ({ client } = await newAccount(server.url));
  db = client.container(CONTAINER).privateDatabase;
  (await db.saveRecordZones([zoneID, { zoneName: 'vault2' }])).throwIfErrors();
});
afterAll(async () => {
  await server.close();
});

function path(op: string): string {
  return `/database/1/${CONTAINER}/development/private/${op}`;
}
function headers(): Record<string, string> {
  return { authorization: `Bearer ${client.session!.sessionToken}`, 'x-coffer-client': 'sdk' };
}
async function rawLookup(names: string[], zone = zoneID): Promise<WireRecord[]> {
  const { status, json } = await rawPost(server.url, path('records/lookup'), { records: names.map((recordName) => ({ recordName })), zoneID: zone }, headers());
  expect(status).toBe(200);
  return (json as { records: WireRecord[] }).records;
}
async function rawForceReplace(records: WireRecord[], zone = zoneID): Promise<void> {
  const operations = records.map((r) => ({
    operationType: 'forceReplace',
    record: { recordName: r.recordName, recordType: r.recordType, fields: r.fields, protectionInfo: r.protectionInfo },
  }));
  const { status, json } = await rawPost(server.url, path('records/modify'), { operations, zoneID: zone }, headers());
  expect(status, JSON.stringify(json)).toBe(200);
  for (const r of (json as { records: { serverErrorCode?: string }[] }).records) expect(r.serverErrorCode).toBeUndefined();
}
async function save(name: string, values: Record<string, string>, zone = zoneID): Promise<void> {
  const r = new CofferRecord({ recordType: 'Secret', recordName: name, zoneID: zone });
  for (const [k, v] of Object.entries(values)) r.encryptedValues[k] = v;
  (await db.saveRecords(r)).throwIfErrors();
}

describe('tampering is detected', () => {
  it('swapping the ciphertexts of two fields of one record', async () => {
    await save('two-fields', { a: 'alpha', b: 'bravo' });
    expect((await db.fetchRecords('two-fields', { zoneID })).records[0]!.encryptedValues.a).toBe('alpha');
    const [wire] = await rawLookup(['two-fields']);
    const { a, b } = wire!.fields;
    wire!.fields = { a: b!, b: a! };
    await rawForceReplace([wire!]);
    await expect(db.fetchRecords('two-fields', { zoneID })).rejects.toBeInstanceOf(DecryptionError);
  });

  it('swapping a field between two records (with their protectionInfo)', async () => {
    await save('rec-1', { secret: 'one' });
    await save('rec-2', { secret: 'two' });
    const [r1, r2] = await rawLookup(['rec-1', 'rec-2']);
    // Move record 1's ciphertext and wrapped key into record 2: the key opens, the AD does not.
    await rawForceReplace([{ ...r2!, fields: r1!.fields, protectionInfo: r1!.protectionInfo }]);
    await expect(db.fetchRecords('rec-2', { zoneID })).rejects.toBeInstanceOf(DecryptionError);
    // The untouched record still opens.
    expect((await db.fetchRecords('rec-1', { zoneID })).records[0]!.encryptedValues.secret).toBe('one');
  });

  it('swapping ciphertext between records keeping each record key', async () => {
    await save('k-1', { secret: 'one' });
    await save('k-2', { secret: 'two' });
    const [k1, k2] = await rawLookup(['k-1', 'k-2']);
    await rawForceReplace([{ ...k2!, fields: k1!.fields }]);
    await expect(db.fetchRecords('k-2', { zoneID })).rejects.toBeInstanceOf(DecryptionError);
  });

  it('moving a record to another zone', async () => {
    await save('mover', { secret: 'zone one' });
    const [wire] = await rawLookup(['mover']);
    // Zone vault2 has its own zone key; even carrying the wrapped record key along fails.
    await rawForceReplace([wire!], { zoneName: 'vault2' });
    await expect(db.fetchRecords('mover', { zoneID: { zoneName: 'vault2' } })).rejects.toBeInstanceOf(DecryptionError);
  });

  it('flipping one bit of a ciphertext', async () => {
    await save('bitflip', { secret: 'exact' });
    const [wire] = await rawLookup(['bitflip']);
    const bytes = Buffer.from(wire!.fields.secret!.ciphertext!, 'base64');
    bytes[bytes.length - 1]! ^= 1;
    wire!.fields.secret!.ciphertext = bytes.toString('base64');
    await rawForceReplace([wire!]);
    await expect(db.fetchRecords('bitflip', { zoneID })).rejects.toBeInstanceOf(DecryptionError);
  });

  it('a server answering an encrypted field with plaintext of its choosing', async () => {
    await save('downgrade', { secret: 'real' });
    const [wire] = await rawLookup(['downgrade']);
    const fetchImpl = async (input: string, init: RequestInit): Promise<Response> => {
      const response = await fetch(input, init);
      if (!input.endsWith('records/lookup')) return response;
      const body = (await response.json()) as { records: WireRecord[] };
      for (const r of body.records) r.fields.secret = { type: 'STRING', isEncrypted: true, value: 'forged' };
      return new Response(JSON.stringify(body), { status: response.status, headers: { 'content-type': 'application/json' } });
    };
    const forged = new CofferClient({ serverUrl: server.url, fetch: fetchImpl, keychains: () => client.keychain(), session: client.session! });
    expect(wire!.fields.secret!.ciphertext).toBeTypeOf('string');
    await expect(forged.container(CONTAINER).privateDatabase.fetchRecords('downgrade', { zoneID })).rejects.toBeInstanceOf(DecryptionError);
  });

  it('changing the declared field type', async () => {
    await save('retype', { secret: 'string' });
    const [wire] = await rawLookup(['retype']);
    wire!.fields.secret2 = { ...wire!.fields.secret!, type: 'BYTES' };
    delete wire!.fields.secret;
    await rawForceReplace([wire!]);
    await expect(db.fetchRecords('retype', { zoneID })).rejects.toBeInstanceOf(DecryptionError);
  });
});
