/**
 * Bad input gets BAD_REQUEST (or LIMIT_EXCEEDED) with a clear reason in the CloudKit
 * envelope — never a 500, never Fastify's default error shape, never an echo of the body.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import type { ErrorEnvelope, RecordsModifyResponse } from '@coffer/protocol';
import { testBackends } from '@coffer/storage';
import { openHarness, type Harness } from './record-harness.js';

function expectEnvelope(response: LightMyRequestResponse, status: number, code: string, reason?: RegExp): ErrorEnvelope {
  expect(response.statusCode).toBe(status);
  const body = response.json<ErrorEnvelope>();
  expect(Object.keys(body).sort()).toEqual(['reason', 'serverErrorCode', 'uuid']);
  expect(body.serverErrorCode).toBe(code);
  if (reason) expect(body.reason).toMatch(reason);
  return body;
}

for (const backend of testBackends()) {
  describe(`bad input (${backend.name})`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await openHarness(backend);
    });
    afterAll(async () => {
      await h.close();
    });

    const perRecord = async (record: Record<string, unknown>) => {
      const body = await h.ok<RecordsModifyResponse>('records/modify', { operations: [{ operationType: 'create', record }] });
      return body.records[0] as ErrorEnvelope;
    };

    it('malformed JSON is BAD_REQUEST without quoting the body', async () => {
      const body = expectEnvelope(await h.call('records/modify', undefined, { raw: '{"operations": [secret-text' }), 400, 'BAD_REQUEST', /not valid JSON/);
      expect(body.reason).not.toContain('secret');
    });

    it('a body that is not an object is BAD_REQUEST', async () => {
      expectEnvelope(await h.call('records/modify', undefined, { raw: '[1,2]' }), 400, 'BAD_REQUEST', /JSON object/);
    });

    it('a wrong Content-Type is BAD_REQUEST; text/plain (CloudKit JS) is accepted', async () => {
      expectEnvelope(await h.call('records/query', undefined, { raw: '<xml/>', headers: { 'content-type': 'application/xml' } }), 400, 'BAD_REQUEST', /Content-Type/);
      const plain = await h.call('zones/list', {}, { headers: { 'content-type': 'text/plain' } });
      expect(plain.statusCode).toBe(200);
    });

    it('a body over the request limit is LIMIT_EXCEEDED', async () => {
      const raw = JSON.stringify({ operations: [{ operationType: 'create', record: { recordType: 'T', fields: { s: { value: 'x'.repeat(13 * 1024 * 1024), type: 'STRING' } } } }] });
      expectEnvelope(await h.call('records/modify', undefined, { raw }), 413, 'LIMIT_EXCEEDED', /larger than/);
    });

    it('unknown top-level members and operation types are BAD_REQUEST', async () => {
      expectEnvelope(await h.call('records/modify', { operations: [], bogus: 1 }), 400, 'BAD_REQUEST');
      expectEnvelope(await h.call('records/modify', { operations: [{ operationType: 'upsert', record: {} }] }), 400, 'BAD_REQUEST', /operationType/);
    });

    it('201 operations is BAD_REQUEST; 200 is fine', async () => {
      const ops = (count: number) => Array.from({ length: count }, (_, i) => ({ operationType: 'forceReplace', record: { recordName: `bulk-${i}`, recordType: 'Bulk' } }));
      expectEnvelope(await h.call('records/modify', { operations: ops(201) }), 400, 'BAD_REQUEST', /200/);
      expect((await h.call('records/modify', { operations: ops(200) })).statusCode).toBe(200);
    });

    it('an unknown field type, a wrong value for the type, or an unknown field key fail only that record', async () => {
      expect(await perRecord({ recordType: 'T', fields: { f: { value: 1, type: 'NUMBER' } } })).toMatchObject({ serverErrorCode: 'BAD_REQUEST', reason: expect.stringMatching(/unknown type/) as unknown });
      expect(await perRecord({ recordType: 'T', fields: { f: { value: 'one', type: 'INT64' } } })).toMatchObject({ reason: expect.stringMatching(/INT64/) as unknown });
      expect(await perRecord({ recordType: 'T', fields: { f: { value: 1.5, type: 'INT64' } } })).toMatchObject({ serverErrorCode: 'BAD_REQUEST' });
      expect(await perRecord({ recordType: 'T', fields: { f: { value: 'x', type: 'DOUBLE' } } })).toMatchObject({ serverErrorCode: 'BAD_REQUEST' });
      expect(await perRecord({ recordType: 'T', fields: { f: { value: '!!', type: 'BYTES' } } })).toMatchObject({ reason: expect.stringMatching(/base64/) as unknown });
      expect(await perRecord({ recordType: 'T', fields: { f: { value: { latitude: 91, longitude: 0 }, type: 'LOCATION' } } })).toMatchObject({ reason: expect.stringMatching(/latitude/) as unknown });
      expect(await perRecord({ recordType: 'T', fields: { f: { value: ['a', 2], type: 'STRING_LIST' } } })).toMatchObject({ reason: expect.stringMatching(/element 1/) as unknown });
      expect(await perRecord({ recordType: 'T', fields: { f: { value: 'x', type: 'STRING', extra: true } } })).toMatchObject({ reason: expect.stringMatching(/unknown key/) as unknown });
      expect(await perRecord({ recordType: 'T', unexpected: 1 })).toMatchObject({ reason: expect.stringMatching(/unknown key "unexpected"/) as unknown });
      expect(await perRecord({ recordType: 'T', fields: { r: { value: { recordName: 'x' }, type: 'REFERENCE', isEncrypted: true } } })).toMatchObject({ reason: expect.stringMatching(/cannot be encrypted/) as unknown });
    });

    it('names that are too long or malformed are BAD_REQUEST', async () => {
      const long = 'a'.repeat(256);
      expect(await perRecord({ recordName: long, recordType: 'T' })).toMatchObject({ reason: expect.stringMatching(/longer than 255/) as unknown });
      expect(await perRecord({ recordName: 'café', recordType: 'T' })).toMatchObject({ serverErrorCode: 'BAD_REQUEST' });
      expect(await perRecord({ recordType: long })).toMatchObject({ reason: expect.stringMatching(/recordType is longer/) as unknown });
      expect(await perRecord({ recordType: 'T', fields: { [long]: { value: 'x', type: 'STRING' } } })).toMatchObject({ reason: expect.stringMatching(/field name is longer/) as unknown });
      expect(await perRecord({ recordType: '1bad' })).toMatchObject({ serverErrorCode: 'BAD_REQUEST' });
      expectEnvelope(await h.call('zones/modify', { operations: [{ operationType: 'create', zone: { zoneID: { zoneName: 'z'.repeat(256) } } }] }), 400, 'BAD_REQUEST', /more than 255 characters/);
      const zone = await h.ok<{ zones: ErrorEnvelope[] }>('zones/modify', { operations: [{ operationType: 'create', zone: { zoneID: { zoneName: 'bad zone' } } }] });
      expect(zone.zones[0]).toMatchObject({ serverErrorCode: 'BAD_REQUEST', reason: expect.stringMatching(/zoneName is invalid/) as unknown });
      expectEnvelope(await h.call('zones/list', {}, { container: 'bad container!' }), 400, 'BAD_REQUEST');
      expectEnvelope(await h.call('zones/list', {}, { container: `iCloud.${'x'.repeat(300)}` }), 400, 'BAD_REQUEST');
    });

    it('a 2 MB record is refused with LIMIT_EXCEEDED and the rest of the batch is written', async () => {
      const body = await h.ok<RecordsModifyResponse>('records/modify', {
        operations: [
          { operationType: 'create', record: { recordName: 'huge', recordType: 'T', fields: { s: { value: 'x'.repeat(2 * 1024 * 1024), type: 'STRING' } } } },
          { operationType: 'create', record: { recordName: 'tiny', recordType: 'T' } },
        ],
      });
      expect(body.records[0]).toMatchObject({ recordName: 'huge', serverErrorCode: 'LIMIT_EXCEEDED', reason: expect.stringMatching(/limit is 1000000 bytes/) as unknown });
      expect(body.records[1]).toMatchObject({ recordName: 'tiny' });
    });

    it('unknown endpoints and environments answer in the CloudKit envelope', async () => {
      expectEnvelope(await h.call('records/frobnicate', {}), 404, 'NOT_FOUND');
      expectEnvelope(await h.call('zones/list', {}, { environment: 'staging' as 'production' }), 400, 'BAD_REQUEST', /environment/);
      expectEnvelope(await h.call('zones/list', {}, { database: 'team' as 'public' }), 400, 'BAD_REQUEST', /database/);
    });

    it('a tampered sync token or continuation marker is BAD_REQUEST', async () => {
      expectEnvelope(await h.call('records/changes', { zoneID: { zoneName: '_defaultZone' }, syncToken: 'eyJ2IjoxfQ.AAAA' }), 400, 'BAD_REQUEST', /syncToken is not valid/);
      expectEnvelope(await h.call('zones/changes', { syncToken: 'garbage' }), 400, 'BAD_REQUEST');
    });
  });
}
