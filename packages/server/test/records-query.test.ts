/**
 * records/query over HTTP: filterBy with each comparator, sortBy, resultsLimit paging
 * with continuationMarker, desiredKeys, and the refusals (encrypted fields, unknown
 * fields/types, comparators that do not fit, markers of another query).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ErrorEnvelope, RecordWire, RecordsQueryResponse } from '@coffer/protocol';
import { testBackends } from '@coffer/storage';
import { openHarness, type Harness } from './record-harness.js';

const PEOPLE = [
  { name: 'ada', age: 36, height: 1.65, city: 'London', tags: ['math', 'code'] },
  { name: 'bob', age: 25, height: 1.8, city: 'Berlin', tags: ['music'] },
  { name: 'cy', age: 41, height: 1.7, city: 'Bern', tags: [] },
  { name: 'dee', age: 25, height: 1.6, city: 'Lyon', tags: ['code'] },
  { name: 'eve', age: 30, height: 1.75, city: 'London', tags: ['crypto', 'code'] },
];

for (const backend of testBackends()) {
  describe(`records/query (${backend.name})`, () => {
    let h: Harness;
    const query = async (q: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
      h.ok<RecordsQueryResponse>('records/query', { query: { recordType: 'Person', ...q }, ...extra });
    const names = async (q: Record<string, unknown>, extra: Record<string, unknown> = {}) => (await query(q, extra)).records.map((r) => (r as RecordWire).recordName);
    const filter = (fieldName: string, comparator: string, value: unknown, type?: string) => ({ fieldName, comparator, fieldValue: { value, ...(type ? { type } : {}) } });
    const refused = async (q: Record<string, unknown>, reason: RegExp) => {
      const response = await h.call('records/query', { query: { recordType: 'Person', ...q } });
      expect(response.statusCode).toBe(400);
      expect(response.json<ErrorEnvelope>().reason).toMatch(reason);
    };

    beforeAll(async () => {
      h = await openHarness(backend);
      await h.ok('records/modify', {
        operations: PEOPLE.map((p) => ({
          operationType: 'create',
          record: {
            recordName: p.name,
            recordType: 'Person',
            fields: {
              age: { value: p.age, type: 'INT64' },
              height: { value: p.height, type: 'DOUBLE' },
              city: { value: p.city, type: 'STRING' },
              tags: { value: p.tags, type: 'STRING_LIST' },
              diary: { type: 'STRING', isEncrypted: true, value: `secret of ${p.name}` },
            },
          },
        })),
      });
    });
    afterAll(async () => {
      await h.close();
    });

    it('EQUALS, NOT_EQUALS, IN and NOT_IN', async () => {
      expect(await names({ filterBy: [filter('age', 'EQUALS', 25, 'INT64')] })).toEqual(['bob', 'dee']);
      expect(await names({ filterBy: [filter('city', 'NOT_EQUALS', 'London')] })).toEqual(['bob', 'cy', 'dee']);
      expect(await names({ filterBy: [filter('city', 'IN', ['Bern', 'Lyon'])] })).toEqual(['cy', 'dee']);
      expect(await names({ filterBy: [filter('age', 'NOT_IN', [25, 36])] })).toEqual(['cy', 'eve']);
    });

    it('LESS_THAN[_OR_EQUALS], GREATER_THAN[_OR_EQUALS], combined with AND', async () => {
      expect(await names({ filterBy: [filter('age', 'LESS_THAN', 30)] })).toEqual(['bob', 'dee']);
      expect(await names({ filterBy: [filter('age', 'LESS_THAN_OR_EQUALS', 30)] })).toEqual(['bob', 'dee', 'eve']);
      expect(await names({ filterBy: [filter('height', 'GREATER_THAN', 1.7)] })).toEqual(['bob', 'eve']);
      expect(await names({ filterBy: [filter('height', 'GREATER_THAN_OR_EQUALS', 1.7), filter('age', 'GREATER_THAN', 30)] })).toEqual(['cy']);
    });

    it('BEGINS_WITH and LIST_CONTAINS', async () => {
      expect(await names({ filterBy: [filter('city', 'BEGINS_WITH', 'Ber')] })).toEqual(['bob', 'cy']);
      expect(await names({ filterBy: [filter('tags', 'LIST_CONTAINS', 'code')] })).toEqual(['ada', 'dee', 'eve']);
    });

    it('sortBy, several keys, ascending and descending', async () => {
      expect(await names({ sortBy: [{ fieldName: 'age', ascending: false }] })).toEqual(['cy', 'ada', 'eve', 'bob', 'dee']);
      expect(await names({ sortBy: [{ fieldName: 'city' }, { fieldName: 'height', ascending: false }] })).toEqual(['bob', 'cy', 'eve', 'ada', 'dee']);
      expect(await names({ sortBy: [{ fieldName: '___recordID', ascending: false }] })).toEqual(['eve', 'dee', 'cy', 'bob', 'ada']);
    });

    it('resultsLimit pages with an opaque continuationMarker until it is absent', async () => {
      const q = { sortBy: [{ fieldName: 'age' }] };
      const seen: string[] = [];
      let marker: string | undefined;
      let pages = 0;
      do {
        const page = await query(q, { resultsLimit: 2, ...(marker ? { continuationMarker: marker } : {}) });
        seen.push(...page.records.map((r) => (r as RecordWire).recordName));
        marker = page.continuationMarker;
        pages++;
      } while (marker);
      expect(pages).toBe(3);
      expect(seen).toEqual(await names(q));
    });

    it('refuses a continuationMarker with another query, and a tampered one', async () => {
      const first = await query({ sortBy: [{ fieldName: 'age' }] }, { resultsLimit: 1 });
      const other = await h.call('records/query', { query: { recordType: 'Person', sortBy: [{ fieldName: 'city' }] }, continuationMarker: first.continuationMarker });
      expect(other.json<ErrorEnvelope>()).toMatchObject({ serverErrorCode: 'BAD_REQUEST', reason: expect.stringMatching(/another query/) as unknown });
      const tampered = `${first.continuationMarker!.slice(0, -2)}xx`;
      const bad = await h.call('records/query', { query: { recordType: 'Person', sortBy: [{ fieldName: 'age' }] }, continuationMarker: tampered });
      expect(bad.json<ErrorEnvelope>()).toMatchObject({ serverErrorCode: 'BAD_REQUEST', reason: expect.stringMatching(/continuationMarker is not valid/) as unknown });
    });

    it('desiredKeys returns only the named fields; encrypted fields come back decrypted for a plain client', async () => {
      const page = await query({ filterBy: [filter('___recordID', 'EQUALS', { recordName: 'ada' }, 'REFERENCE')] }, { desiredKeys: ['city', 'diary'] });
      expect((page.records[0] as RecordWire).fields).toEqual({ city: { value: 'London', type: 'STRING' }, diary: { value: 'secret of ada', type: 'STRING', isEncrypted: true } });
    });

    it('querying or sorting on an encrypted field is BAD_REQUEST saying why', async () => {
      await refused({ filterBy: [filter('diary', 'EQUALS', 'x')] }, /diary is encrypted and cannot be queried/);
      await refused({ sortBy: [{ fieldName: 'diary' }] }, /diary is encrypted and cannot be sorted on/);
    });

    it('unknown record types and fields, and comparators that do not fit the field, are BAD_REQUEST', async () => {
      const unknownType = await h.call('records/query', { query: { recordType: 'Nobody' } });
      expect(unknownType.json<ErrorEnvelope>()).toMatchObject({ serverErrorCode: 'BAD_REQUEST', reason: 'Did not find record type: Nobody' });
      await refused({ filterBy: [filter('shoeSize', 'EQUALS', 1)] }, /not in the schema/);
      await refused({ filterBy: [filter('age', 'LIST_CONTAINS', 1)] }, /needs a list field/);
      await refused({ filterBy: [filter('tags', 'EQUALS', 'code')] }, /is a list/);
      await refused({ filterBy: [filter('age', 'BEGINS_WITH', '2')] }, /BEGINS_WITH needs a STRING/);
      await refused({ filterBy: [filter('age', 'EQUALS', 'old')] }, /INT64/);
      await refused({ filterBy: [filter('age', 'EQUALS', 1, 'STRING')] }, /the field is INT64/);
      await refused({ sortBy: [{ fieldName: 'tags' }] }, /list and cannot be sorted/);
      const badComparator = await h.call('records/query', { query: { recordType: 'Person', filterBy: [filter('age', 'NEAR', 1)] } });
      expect(badComparator.statusCode).toBe(400);
    });

    it('a missing zone is a top-level ZONE_NOT_FOUND', async () => {
      const response = await h.call('records/query', { zoneID: { zoneName: 'nope' }, query: { recordType: 'Person' } });
      expect([response.statusCode, response.json<ErrorEnvelope>().serverErrorCode]).toEqual([404, 'ZONE_NOT_FOUND']);
    });
  });
}
