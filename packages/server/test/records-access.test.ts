/**
 * Who may touch what: unauthenticated requests (421) and bad credentials (401) on every
 * endpoint; another user's private data is indistinguishable from data that does not
 * exist; the public database reads with a session or an API token and writes only with
 * a session; the shared database is empty.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiTokenCreateResponse, ErrorEnvelope, RecordsModifyResponse } from '@coffer/protocol';
import { testBackends } from '@coffer/storage';
import { CONTAINER, openHarness, type Harness, type TestUser } from './record-harness.js';

const ZONE = { zoneName: 'aliceZone' };

/** One request per endpoint; `zoneID` lets a test point it at someone else's zone. */
function endpoints(zoneID: Record<string, string>): [string, unknown][] {
  return [
    ['zones/list', {}],
    ['zones/lookup', { zones: [zoneID] }],
    ['zones/modify', { operations: [{ operationType: 'delete', zone: { zoneID } }] }],
    ['zones/changes', {}],
    ['changes/database', {}],
    ['changes/zone', { zones: [{ zoneID }] }],
    ['records/modify', { zoneID, operations: [{ operationType: 'forceDelete', record: { recordName: 'secret' } }] }],
    ['records/lookup', { zoneID, records: [{ recordName: 'secret' }] }],
    ['records/query', { zoneID, query: { recordType: 'Diary' } }],
    ['records/changes', { zoneID }],
    ['users/caller', {}],
    ['keys/service/lookup', {}],
    ['keys/service/modify', { keyId: 'k', version: 1, wrappedByKeychain: 'AAAA' }],
    ['keys/service/recover', { keyId: 'k' }],
  ];
}

/** A response without its per-call uuids, for comparing two answers. */
const withoutUuids = (body: string) => body.replace(/"uuid":"[^"]+"/g, '"uuid":"-"');

for (const backend of testBackends()) {
  describe(`access control (${backend.name})`, () => {
    let h: Harness;
    let bob: TestUser;
    beforeAll(async () => {
      h = await openHarness(backend);
      bob = await h.signUp(`bob-${backend.name}@example.com`);
      await h.ok('zones/modify', { operations: [{ operationType: 'create', zone: { zoneID: ZONE } }] });
      await h.ok('records/modify', { zoneID: ZONE, operations: [{ operationType: 'create', record: { recordName: 'secret', recordType: 'Diary', fields: { text: { value: 'dear diary', type: 'STRING' } } } }] });
    });
    afterAll(async () => {
      await h.close();
    });

    it('every endpoint answers 421 AUTHENTICATION_REQUIRED without credentials', async () => {
      for (const [operation, body] of endpoints(ZONE)) {
        const response = await h.call(operation, body, { user: null });
        expect([operation, response.statusCode, response.json<ErrorEnvelope>().serverErrorCode]).toEqual([operation, 421, 'AUTHENTICATION_REQUIRED']);
      }
    });

    it('every endpoint answers 401 AUTHENTICATION_FAILED for a bad session token, in the header or ckWebAuthToken', async () => {
      const forged = { token: 'A'.repeat(43), userRecordName: '_x' };
      for (const [operation, body] of endpoints(ZONE)) {
        const viaHeader = await h.call(operation, body, { user: forged });
        expect([operation, viaHeader.statusCode, viaHeader.json<ErrorEnvelope>().serverErrorCode]).toEqual([operation, 401, 'AUTHENTICATION_FAILED']);
      }
      const viaQuery = await h.call('zones/list', {}, { user: null, query: { ckWebAuthToken: 'B'.repeat(43) } });
      expect(viaQuery.statusCode).toBe(401);
    });

    it('ckWebAuthToken authenticates like the Authorization header', async () => {
      const response = await h.call('users/caller', undefined, { user: null, method: 'GET', query: { ckWebAuthToken: h.alice.token } });
      expect(response.json()).toMatchObject({ userRecordName: h.alice.userRecordName, protectionMode: 'standard' });
    });

    it("another user's zone answers exactly like a zone that does not exist, on every endpoint", async () => {
      const foreign = { ...ZONE, ownerRecordName: h.alice.userRecordName };
      const missing = { zoneName: 'neverCreated', ownerRecordName: h.alice.userRecordName };
      for (const [[operation, foreignBody], [, missingBody]] of endpoints(foreign).map((e, i) => [e, endpoints(missing)[i]!] as const)) {
        const a = await h.call(operation, foreignBody, { user: bob });
        const b = await h.call(operation, missingBody, { user: bob });
        expect([operation, a.statusCode]).toEqual([operation, b.statusCode]);
        expect(withoutUuids(a.body).replaceAll('aliceZone', 'Z')).toEqual(withoutUuids(b.body).replaceAll('neverCreated', 'Z'));
      }
    });

    it("bob's private database never shows alice's data", async () => {
      const zones = await h.ok<{ zones: { zoneID: { zoneName: string } }[] }>('zones/list', {}, { user: bob });
      expect(zones.zones.map((z) => z.zoneID.zoneName)).toEqual(['_defaultZone']);
      const lookup = await h.ok<{ records: ErrorEnvelope[] }>('records/lookup', { zoneID: ZONE, records: [{ recordName: 'secret' }] }, { user: bob });
      expect(lookup.records[0]!.serverErrorCode).toBe('ZONE_NOT_FOUND');
      const own = await h.ok<{ records: ErrorEnvelope[] }>('records/lookup', { records: [{ recordName: 'secret' }] }, { user: bob });
      expect(own.records[0]!.serverErrorCode).toBe('NOT_FOUND');
      // Bob creating a zone of the same name gets his own, empty zone.
      await h.ok('zones/modify', { operations: [{ operationType: 'create', zone: { zoneID: ZONE } }] }, { user: bob });
      const changes = await h.ok<{ records: unknown[] }>('records/changes', { zoneID: ZONE }, { user: bob });
      expect(changes.records).toEqual([]);
    });

    it('a sync token of one user is refused for another', async () => {
      const aliceToken = (await h.ok<{ syncToken: string }>('records/changes', { zoneID: ZONE })).syncToken;
      const response = await h.call('records/changes', { zoneID: ZONE, syncToken: aliceToken }, { user: bob });
      expect(response.statusCode).toBe(410);
      expect(response.json<ErrorEnvelope>()).toMatchObject({ serverErrorCode: 'CHANGE_TOKEN_EXPIRED', reason: expect.stringMatching(/another zone or database/) as unknown });
    });

    it('the public database: sessions read and write, an API token only reads, a bad API token fails', async () => {
      const write = await h.ok<RecordsModifyResponse>('records/modify', { operations: [{ operationType: 'create', record: { recordName: 'poster', recordType: 'Post', fields: { t: { value: 'hi', type: 'STRING' } } } }] }, { database: 'public' });
      expect(write.records[0]).toMatchObject({ recordName: 'poster', zoneID: { zoneName: '_defaultZone', ownerRecordName: '_defaultOwner' } });
      const asBob = await h.ok<{ records: { recordName: string }[] }>('records/query', { query: { recordType: 'Post' } }, { database: 'public', user: bob });
      expect(asBob.records.map((r) => r.recordName)).toEqual(['poster']);

      const token = await h.app.inject({ method: 'POST', url: '/auth/1/tokens/create', headers: { authorization: `Bearer ${h.alice.token}`, 'content-type': 'application/json' }, payload: JSON.stringify({ container: CONTAINER }) });
      const { apiToken } = token.json<ApiTokenCreateResponse>();
      const anon = await h.ok<{ records: { recordName: string }[] }>('records/query', { query: { recordType: 'Post' } }, { database: 'public', user: null, query: { ckAPIToken: apiToken } });
      expect(anon.records.map((r) => r.recordName)).toEqual(['poster']);
      const anonWrite = await h.call('records/modify', { operations: [{ operationType: 'forceDelete', record: { recordName: 'poster' } }] }, { database: 'public', user: null, query: { ckAPIToken: apiToken } });
      expect(anonWrite.statusCode).toBe(421);
      const anonPrivate = await h.call('records/query', { query: { recordType: 'Diary' } }, { user: null, query: { ckAPIToken: apiToken } });
      expect(anonPrivate.statusCode).toBe(421);
      const otherContainer = await h.call('records/query', { query: { recordType: 'Post' } }, { database: 'public', user: null, container: 'iCloud.other', query: { ckAPIToken: apiToken } });
      expect(otherContainer.statusCode).toBe(401);
      const bobWrite = await h.ok<RecordsModifyResponse>('records/modify', { operations: [{ operationType: 'forceDelete', record: { recordName: 'poster' } }] }, { database: 'public', user: bob });
      expect(bobWrite.records[0]).toMatchObject({ serverErrorCode: 'ACCESS_DENIED', recordName: 'poster' });
      const bogus = await h.call('records/query', { query: { recordType: 'Post' } }, { database: 'public', user: null, query: { ckAPIToken: 'nope' } });
      expect(bogus.statusCode).toBe(401);
    });

    it('custom zones are refused in the public database', async () => {
      const result = await h.ok<{ zones: ErrorEnvelope[] }>('zones/modify', { operations: [{ operationType: 'create', zone: { zoneID: { zoneName: 'pub' } } }] }, { database: 'public' });
      expect(result.zones[0]).toMatchObject({ serverErrorCode: 'BAD_REQUEST', reason: expect.stringMatching(/only in the private database/) as unknown });
    });

    it('the shared database is empty until sharing lands', async () => {
      expect(await h.ok('zones/list', {}, { database: 'shared' })).toEqual({ zones: [] });
      const query = await h.call('records/query', { query: { recordType: 'Diary' } }, { database: 'shared' });
      expect(query.json<ErrorEnvelope>().serverErrorCode).toBe('ZONE_NOT_FOUND');
      const changes = await h.ok<{ zones: unknown[]; moreComing: boolean }>('changes/database', {}, { database: 'shared' });
      expect(changes).toMatchObject({ zones: [], moreComing: false });
    });
  });
}
