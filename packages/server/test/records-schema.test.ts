/**
 * Schema rules: development learns types and fields on save, production only through
 * promoteSchema; a field keeps its type and is plaintext or encrypted forever; the public
 * database takes no encrypted fields.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ErrorEnvelope, RecordWire, RecordsModifyResponse } from '@coffer/protocol';
import { testBackends } from '@coffer/storage';
import { promoteSchema, SchemaPromoteError } from '../src/index.js';
import { CONTAINER, openHarness, type Harness } from './record-harness.js';

for (const backend of testBackends()) {
  describe(`schema (${backend.name})`, () => {
    let h: Harness;
    let n = 0;
    const save = async (fields: Record<string, unknown>, options: { environment?: 'production'; database?: 'public'; recordType?: string; extra?: Record<string, unknown> } = {}) => {
      const body = await h.ok<RecordsModifyResponse>(
        'records/modify',
        { operations: [{ operationType: 'create', record: { recordName: `s${++n}`, recordType: options.recordType ?? 'Song', fields, ...options.extra } }] },
        { environment: options.environment ?? 'development', database: options.database ?? 'private' },
      );
      return body.records[0]!;
    };

    beforeAll(async () => {
      h = await openHarness(backend);
    });
    afterAll(async () => {
      await h.close();
    });

    it('development learns new types and fields just-in-time; production refuses them until promoted', async () => {
      expect(await save({ title: { value: 'a', type: 'STRING' } })).toMatchObject({ recordType: 'Song' });
      expect(await save({ title: { value: 'a', type: 'STRING' } }, { environment: 'production' })).toMatchObject({
        serverErrorCode: 'BAD_REQUEST',
        reason: expect.stringMatching(/record type Song is not in the production schema/) as unknown,
      });
      const promoted = await promoteSchema(h.store, CONTAINER);
      expect(promoted.addedTypes).toContain('Song');
      expect(await save({ title: { value: 'a', type: 'STRING' } }, { environment: 'production' })).toMatchObject({ recordType: 'Song' });
      expect(await save({ genre: { value: 'jazz', type: 'STRING' } }, { environment: 'production' })).toMatchObject({
        reason: expect.stringMatching(/field Song.genre is not in the production schema/) as unknown,
      });
      const query = await h.call('records/query', { query: { recordType: 'Unpromoted' } }, { environment: 'production' });
      expect(query.statusCode).toBe(400);
    });

    it('queryable fields: development indexes a field on its first query, production only after promote (with a backfill)', async () => {
      const rt = 'Gig';
      expect(await save({ city: { value: 'Oslo', type: 'STRING' } }, { recordType: rt })).toMatchObject({ recordType: rt });
      await promoteSchema(h.store, CONTAINER);
      // Saved in production before the field is queryable there.
      expect(await save({ city: { value: 'Bergen', type: 'STRING' } }, { recordType: rt, environment: 'production' })).toMatchObject({ recordType: rt });
      const cityQuery = { query: { recordType: rt, filterBy: [{ comparator: 'EQUALS', fieldName: 'city', fieldValue: { value: 'Bergen' } }] } };
      const refused = await h.call('records/query', cityQuery, { environment: 'production' });
      expect(refused.json<ErrorEnvelope>()).toMatchObject({ serverErrorCode: 'BAD_REQUEST', reason: expect.stringMatching(/not queryable in production/) as unknown });
      // Development: the first query indexes the field, including records saved before it.
      const dev = await h.ok<{ records: RecordWire[] }>('records/query', { query: { recordType: rt, filterBy: [{ comparator: 'EQUALS', fieldName: 'city', fieldValue: { value: 'Oslo' } }] } });
      expect(dev.records).toHaveLength(1);
      const promoted = await promoteSchema(h.store, CONTAINER);
      expect(promoted.addedIndexes).toContainEqual({ recordType: rt, fieldName: 'city' });
      const prod = await h.ok<{ records: RecordWire[] }>('records/query', cityQuery, { environment: 'production' });
      expect(prod.records.map((r) => r.fields?.city?.value)).toEqual(['Bergen']);
    });

    it('a field keeps the type it was first saved with', async () => {
      await save({ plays: { value: 1, type: 'INT64' } });
      expect(await save({ plays: { value: 'many', type: 'STRING' } })).toMatchObject({ reason: expect.stringMatching(/has type INT64 in the schema/) as unknown });
    });

    it('two concurrent first writes of a field with different types: one type wins, the other write is refused', async () => {
      const results = await Promise.all([
        save({ racer: { value: 1, type: 'INT64' } }, { recordType: 'Race' }),
        save({ racer: { value: 'one', type: 'STRING' } }, { recordType: 'Race' }),
        save({ racer: { value: 2, type: 'INT64' } }, { recordType: 'Race' }),
      ]);
      const refused = results.filter((r) => 'serverErrorCode' in r);
      expect(refused.length === 1 || refused.length === 2).toBe(true);
      const schema = await h.store.schema.get(CONTAINER, 'development', ['Race']);
      const winner = schema.get('Race')!.fields.get('racer')!.fieldType;
      for (const r of results) {
        if (!('serverErrorCode' in r)) expect((r).fields?.racer?.type).toBe(winner);
      }
    });

    it('a plaintext field cannot be written encrypted, nor an encrypted one in plaintext', async () => {
      await save({ lyric: { value: 'la', type: 'STRING' } });
      expect(await save({ lyric: { value: 'la', type: 'STRING', isEncrypted: true } })).toMatchObject({
        reason: expect.stringMatching(/plaintext in the schema and cannot be written encrypted/) as unknown,
      });
      await save({ note: { value: 'hidden', type: 'STRING', isEncrypted: true } });
      expect(await save({ note: { value: 'open', type: 'STRING' } })).toMatchObject({
        reason: expect.stringMatching(/encrypted in the schema and cannot be written plaintext/) as unknown,
      });
    });

    it('promote refuses when production disagrees with development, and changes nothing', async () => {
      await h.store.schema.learn(CONTAINER, 'production', [{ recordType: 'Clash', fields: [{ fieldName: 'f', fieldType: 'STRING', encrypted: false }] }]);
      await save({ f: { value: 1, type: 'INT64' } }, { recordType: 'Clash' });
      await expect(promoteSchema(h.store, CONTAINER)).rejects.toBeInstanceOf(SchemaPromoteError);
    });

    it('encrypted fields are refused in the public database, in both encrypted forms', async () => {
      expect(await save({ t: { value: 'x', type: 'STRING', isEncrypted: true } }, { database: 'public', recordType: 'Pub' })).toMatchObject({
        reason: expect.stringMatching(/not allowed in the public database/) as unknown,
      });
      expect(
        await save({ t: { type: 'STRING', isEncrypted: true, ciphertext: 'AAAA' } }, { database: 'public', recordType: 'Pub', extra: { protectionInfo: { wrappedRecordKey: 'AAAA', zoneKeyVersion: 1 } } }),
      ).toMatchObject({ serverErrorCode: 'BAD_REQUEST' });
    });

    it('device-encrypted fields are stored opaquely with protectionInfo and returned as sent to SDK clients', async () => {
      const protectionInfo = { wrappedRecordKey: 'AQIDBA==', zoneKeyVersion: 1 };
      const fields = { secret: { type: 'DOUBLE', isEncrypted: true, ciphertext: 'AAECAwQFBgc=' } };
      const saved = (await save(fields, { recordType: 'Vault', extra: { protectionInfo } })) as RecordWire;
      expect(saved.fields).toEqual(fields);
      expect(saved.protectionInfo).toEqual(protectionInfo);
      const sdk = await h.ok<{ records: RecordWire[] }>('records/lookup', { records: [{ recordName: saved.recordName }] }, { headers: { 'x-coffer-client': 'sdk' } });
      expect(sdk.records[0]).toMatchObject({ fields, protectionInfo });
      // A plain client cannot get plaintext of a device-made key it cannot open: it gets the ciphertext form.
      const plain = await h.ok<{ records: RecordWire[] }>('records/lookup', { records: [{ recordName: saved.recordName }] });
      expect(plain.records[0]!.fields).toEqual(fields);
    });

    it('encrypted fields without protectionInfo are refused', async () => {
      expect(await save({ secret: { type: 'DOUBLE', isEncrypted: true, ciphertext: 'AAECAwQFBgc=' } }, { recordType: 'Vault' })).toMatchObject({
        reason: expect.stringMatching(/no protectionInfo/) as unknown,
      });
      const mixed = (await save({ secret: { type: 'DOUBLE', isEncrypted: true, ciphertext: 'AAECAwQFBgc=' }, other: { type: 'STRING', isEncrypted: true, value: 'x' } }, { recordType: 'Vault', extra: { protectionInfo: { wrappedRecordKey: 'AQIDBA==', zoneKeyVersion: 1 } } })) as ErrorEnvelope;
      expect(mixed.serverErrorCode).toBe('BAD_REQUEST');
    });
  });
}
