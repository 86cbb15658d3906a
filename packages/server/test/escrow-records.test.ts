/**
 * The escrow through the real record API (buildServer with createEscrow): the seed's
 * plain web-services request with `isEncrypted` plaintext is stored only as ciphertext
 * (the database is scanned for the values), read back as plaintext by a plain client and
 * as ciphertext by an SDK client; under ADP such writes are refused.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordWire, RecordsLookupResponse, RecordsModifyResponse } from '@coffer/protocol';
import { testBackends, type TestStore } from '@coffer/storage';
import { buildServer } from '../src/app/build-server.js';
import { createEscrow, ADP_PLAINTEXT_REFUSED } from '../src/escrow/index.js';
import { findInDatabase, registerUser } from './auth-helpers.js';

const CONTAINER = 'iCloud.com.example.seed';
const base = `/database/1/${CONTAINER}/development/private`;
const SECRET_TEXT = 'Plaintext-Escrow-Probe-7f3a91';
const SECRET_DOUBLE = 0.5517283946;
const SECRET_INTS = [918273645, 564738291, 102938475];

for (const backend of testBackends()) {
  describe(`escrow through the record API (${backend.name})`, () => {
    let store: TestStore;
    let app: FastifyInstance;
    let token: string;
    let userRecordName: string;

    const call = (path: string, body: unknown, headers: Record<string, string> = {}) =>
      app.inject({ method: 'POST', url: `${base}/${path}`, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...headers }, payload: JSON.stringify(body) });

    beforeAll(async () => {
      store = await backend.open();
      const dataDir = store.testDatabase.dataDir;
      app = await buildServer({ dataDir, store, escrow: await createEscrow({ dataDir, store }) });
      ({ sessionToken: token, userRecordName } = await registerUser(app, 'seed@example.com', 'seed user password'));
      const zone = await call('zones/modify', { operations: [{ operationType: 'create', zone: { zoneID: { zoneName: 'myZone' } } }] });
      expect(zone.statusCode).toBe(200);
    });
    afterAll(async () => {
      await app.close();
      await store.close();
    });

    it('stores the seed request\'s isEncrypted plaintext only as ciphertext', async () => {
      // The seed document's request (000_…), with distinctive values.
      const response = await call('records/modify', {
        operations: [{
          operationType: 'create',
          record: {
            recordType: 'myRecordType',
            fields: {
              myDoubleField: { value: SECRET_DOUBLE, type: 'DOUBLE', isEncrypted: true },
              myIntListField: { value: SECRET_INTS, type: 'INT64_LIST', isEncrypted: true },
              myTextField: { value: SECRET_TEXT, type: 'STRING', isEncrypted: true },
            },
            recordName: 'recordWithEncryptedFields',
          },
        }],
        zoneID: { zoneName: 'myZone' },
      });
      expect(response.statusCode).toBe(200);
      const saved = response.json<RecordsModifyResponse>().records[0] as RecordWire;
      // A plain client gets its plaintext back.
      expect(saved.fields?.myDoubleField).toEqual({ value: SECRET_DOUBLE, type: 'DOUBLE', isEncrypted: true });

      for (const secret of [SECRET_TEXT, String(SECRET_DOUBLE), ...SECRET_INTS.map(String)]) {
        expect(await findInDatabase(store, secret)).toBeNull();
      }
      // The scanner does see plaintext fields.
      await call('records/modify', { operations: [{ operationType: 'create', record: { recordType: 'myRecordType', recordName: 'plain', fields: { t: { value: 'Visible-Plain-Probe', type: 'STRING' } } } }], zoneID: { zoneName: 'myZone' } });
      expect(await findInDatabase(store, 'Visible-Plain-Probe')).not.toBeNull();
    });

    it('reads back as plaintext for a plain client and as ciphertext for an SDK client', async () => {
      const lookup = { records: [{ recordName: 'recordWithEncryptedFields' }], zoneID: { zoneName: 'myZone' } };
      const plain = (await call('records/lookup', lookup)).json<RecordsLookupResponse>().records[0] as RecordWire;
      expect(plain.fields).toEqual({
        myDoubleField: { value: SECRET_DOUBLE, type: 'DOUBLE', isEncrypted: true },
        myIntListField: { value: SECRET_INTS, type: 'INT64_LIST', isEncrypted: true },
        myTextField: { value: SECRET_TEXT, type: 'STRING', isEncrypted: true },
      });
      expect(plain.zoneID).toEqual({ zoneName: 'myZone', ownerRecordName: userRecordName });

      const sdk = (await call('records/lookup', lookup, { 'x-coffer-client': 'sdk' })).json<RecordsLookupResponse>().records[0] as RecordWire;
      for (const field of Object.values(sdk.fields ?? {})) {
        expect(field.value).toBeUndefined();
        expect(field.isEncrypted).toBe(true);
        expect(field.ciphertext).toMatch(/^[A-Za-z0-9+/]+=*$/);
      }
      expect(sdk.protectionInfo?.zoneKeyVersion).toBe(1);
    });

    it('a merging update from a plain client keeps the other encrypted fields readable', async () => {
      const lookup = { records: [{ recordName: 'recordWithEncryptedFields' }], zoneID: { zoneName: 'myZone' } };
      const current = (await call('records/lookup', lookup)).json<RecordsLookupResponse>().records[0] as RecordWire;
      const update = await call('records/modify', {
        operations: [{ operationType: 'update', record: { recordType: 'myRecordType', recordName: 'recordWithEncryptedFields', recordChangeTag: current.recordChangeTag, fields: { myDoubleField: { value: 1.25, type: 'DOUBLE', isEncrypted: true } } } }],
        zoneID: { zoneName: 'myZone' },
      });
      expect(update.statusCode).toBe(200);
      const after = (await call('records/lookup', lookup)).json<RecordsLookupResponse>().records[0] as RecordWire;
      expect(after.fields?.myDoubleField?.value).toBe(1.25);
      expect(after.fields?.myTextField?.value).toBe(SECRET_TEXT);
    });

    it('under Advanced Data Protection the server refuses isEncrypted plaintext, and plain reads get ciphertext', async () => {
      await store.auth.accounts.setProtectionMode(userRecordName, 'advanced');
      try {
        const response = await call('records/modify', {
          operations: [{ operationType: 'create', record: { recordType: 'myRecordType', recordName: 'adp', fields: { x: { value: 1.5, type: 'DOUBLE', isEncrypted: true } } } }],
          zoneID: { zoneName: 'myZone' },
        });
        const body = JSON.stringify(response.json());
        expect(body).toContain('BAD_REQUEST');
        expect(body).toContain(ADP_PLAINTEXT_REFUSED);
        const plain = (await call('records/lookup', { records: [{ recordName: 'recordWithEncryptedFields' }], zoneID: { zoneName: 'myZone' } })).json<RecordsLookupResponse>().records[0] as RecordWire;
        expect(plain.fields?.myTextField?.value).toBeUndefined();
        expect(plain.fields?.myTextField?.ciphertext).toBeDefined();
      } finally {
        await store.auth.accounts.setProtectionMode(userRecordName, 'standard');
      }
    });

    it('keys/service/recover releases the escrowed app key to the signed-in user', async () => {
      const lookup = await call('keys/service/lookup', {});
      const keys = lookup.json<{ serviceKeys: { keyId: string; escrowed: boolean; category: string }[] }>().serviceKeys;
      expect(keys).toHaveLength(1);
      expect(keys[0]).toMatchObject({ escrowed: true, category: `app:${CONTAINER}` });
      const recover = await call('keys/service/recover', { keyId: keys[0]!.keyId });
      expect(recover.statusCode).toBe(200);
      expect(recover.json()).toMatchObject({ keyId: keys[0]!.keyId, version: 1 });
    });
  });
}
