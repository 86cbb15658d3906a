/**
 * records/modify over HTTP: the seven operationTypes with CloudKit's semantics, CONFLICT
 * carrying the server's record, atomic batches, desiredKeys and numbersAsStrings.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ErrorEnvelope, RecordWire, RecordsModifyResponse } from '@coffer/protocol';
import { testBackends } from '@coffer/storage';
import { isErrorResult, openHarness, type Harness } from './record-harness.js';

type Op = { operationType: string; record: Record<string, unknown>; desiredKeys?: string[] };

for (const backend of testBackends()) {
  describe(`records/modify (${backend.name})`, () => {
    let h: Harness;
    let n = 0;
    const name = () => `rec-${++n}`;
    const modify = async (operations: Op[], extra: Record<string, unknown> = {}) =>
      (await h.ok<RecordsModifyResponse>('records/modify', { operations, ...extra })).records;
    const one = async (op: Op, extra: Record<string, unknown> = {}) => (await modify([op], extra))[0]!;
    const saved = async (op: Op) => {
      const result = await one(op);
      if (isErrorResult(result)) throw new Error(`${result.serverErrorCode}: ${result.reason}`);
      return result;
    };
    const title = (value: string) => ({ title: { value, type: 'STRING' } });

    beforeAll(async () => {
      h = await openHarness(backend);
    });
    afterAll(async () => {
      await h.close();
    });

    it('create returns the record in CloudKit form and fails EXISTS for a taken name', async () => {
      const recordName = name();
      const record = await saved({ operationType: 'create', record: { recordName, recordType: 'Note', fields: title('a') } });
      expect(record).toMatchObject({
        recordName,
        recordType: 'Note',
        fields: { title: { value: 'a', type: 'STRING' } },
        zoneID: { zoneName: '_defaultZone', ownerRecordName: h.alice.userRecordName },
        created: { userRecordName: h.alice.userRecordName, deviceID: 'web' },
        deleted: false,
      });
      expect(typeof record.recordChangeTag).toBe('string');
      expect(typeof record.created?.timestamp).toBe('number');
      const again = (await one({ operationType: 'create', record: { recordName, recordType: 'Note' } })) as ErrorEnvelope;
      expect(again).toMatchObject({ serverErrorCode: 'EXISTS', recordName });
      expect(typeof again.uuid).toBe('string');
    });

    it('create without a recordName gets a server-assigned UUID', async () => {
      const record = await saved({ operationType: 'create', record: { recordType: 'Note' } });
      expect(record.recordName).toMatch(/^[0-9A-F-]{36}$/);
    });

    it('update merges fields and needs the current tag; a stale tag is CONFLICT with serverRecord', async () => {
      const recordName = name();
      const a = await saved({ operationType: 'create', record: { recordName, recordType: 'Note', fields: { ...title('t'), n: { value: 1, type: 'INT64' } } } });
      const b = await saved({ operationType: 'update', record: { recordName, recordType: 'Note', recordChangeTag: a.recordChangeTag, fields: { n: { value: 2, type: 'INT64' } } } });
      expect(b.fields).toEqual({ title: { value: 't', type: 'STRING' }, n: { value: 2, type: 'INT64' } });
      expect(b.recordChangeTag).not.toBe(a.recordChangeTag);
      const conflict = (await one({ operationType: 'update', record: { recordName, recordType: 'Note', recordChangeTag: a.recordChangeTag, fields: title('x') } })) as ErrorEnvelope;
      expect(conflict.serverErrorCode).toBe('CONFLICT');
      expect((conflict.serverRecord as RecordWire).recordChangeTag).toBe(b.recordChangeTag);
      expect((conflict.serverRecord as RecordWire).fields?.title).toEqual({ value: 't', type: 'STRING' });
    });

    it('forceUpdate merges without a tag check', async () => {
      const recordName = name();
      await saved({ operationType: 'create', record: { recordName, recordType: 'Note', fields: title('t') } });
      const forced = await saved({ operationType: 'forceUpdate', record: { recordName, recordType: 'Note', recordChangeTag: 'stale', fields: { n: { value: 5, type: 'INT64' } } } });
      expect(Object.keys(forced.fields ?? {}).sort()).toEqual(['n', 'title']);
    });

    it('replace removes unspecified fields and needs the tag; forceReplace skips the check', async () => {
      const recordName = name();
      const a = await saved({ operationType: 'create', record: { recordName, recordType: 'Note', fields: { ...title('t'), n: { value: 1, type: 'INT64' } } } });
      const replaced = await saved({ operationType: 'replace', record: { recordName, recordType: 'Note', recordChangeTag: a.recordChangeTag, fields: { n: { value: 9, type: 'INT64' } } } });
      expect(replaced.fields).toEqual({ n: { value: 9, type: 'INT64' } });
      expect(await one({ operationType: 'replace', record: { recordName, recordType: 'Note', recordChangeTag: a.recordChangeTag, fields: {} } })).toMatchObject({ serverErrorCode: 'CONFLICT' });
      const forced = await saved({ operationType: 'forceReplace', record: { recordName, recordType: 'Note', fields: title('only') } });
      expect(forced.fields).toEqual({ title: { value: 'only', type: 'STRING' } });
    });

    it('delete needs the tag and answers deleted: true; forceDelete skips it; a deleted record is NOT_FOUND', async () => {
      const recordName = name();
      const a = await saved({ operationType: 'create', record: { recordName, recordType: 'Note' } });
      expect(await one({ operationType: 'delete', record: { recordName, recordChangeTag: 'stale' } })).toMatchObject({ serverErrorCode: 'CONFLICT' });
      expect(await one({ operationType: 'delete', record: { recordName } })).toMatchObject({ serverErrorCode: 'BAD_REQUEST' });
      expect(await saved({ operationType: 'delete', record: { recordName, recordChangeTag: a.recordChangeTag } })).toMatchObject({ recordName, deleted: true });
      const other = name();
      await saved({ operationType: 'create', record: { recordName: other, recordType: 'Note' } });
      expect(await saved({ operationType: 'forceDelete', record: { recordName: other } })).toMatchObject({ deleted: true });
      const lookup = await h.ok<{ records: ErrorEnvelope[] }>('records/lookup', { records: [{ recordName }, { recordName: other }] });
      expect(lookup.records.map((r) => r.serverErrorCode)).toEqual(['NOT_FOUND', 'NOT_FOUND']);
    });

    it('concurrent updates carrying the same tag: exactly one wins, the others get CONFLICT', async () => {
      const recordName = name();
      const a = await saved({ operationType: 'create', record: { recordName, recordType: 'Note', fields: { n: { value: 0, type: 'INT64' } } } });
      const results = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          one({ operationType: 'update', record: { recordName, recordType: 'Note', recordChangeTag: a.recordChangeTag, fields: { n: { value: i + 1, type: 'INT64' } } } }),
        ),
      );
      const winners = results.filter((r) => !isErrorResult(r));
      expect(winners).toHaveLength(1);
      expect(results.filter((r) => isErrorResult(r)).map((r) => (r).serverErrorCode)).toEqual(Array(5).fill('CONFLICT'));
    });

    it('atomic: true writes nothing when one operation fails; the others report ATOMIC_ERROR', async () => {
      const taken = name();
      await saved({ operationType: 'create', record: { recordName: taken, recordType: 'Note' } });
      const fresh = name();
      const results = await modify(
        [
          { operationType: 'create', record: { recordName: fresh, recordType: 'Note' } },
          { operationType: 'create', record: { recordName: taken, recordType: 'Note' } },
        ],
        { atomic: true },
      );
      expect(results.map((r) => (r as ErrorEnvelope).serverErrorCode)).toEqual(['ATOMIC_ERROR', 'EXISTS']);
      const lookup = await h.ok<{ records: ErrorEnvelope[] }>('records/lookup', { records: [{ recordName: fresh }] });
      expect(lookup.records[0]!.serverErrorCode).toBe('NOT_FOUND');
      // A validation failure counts too.
      const invalid = await modify(
        [
          { operationType: 'create', record: { recordName: name(), recordType: 'Note' } },
          { operationType: 'create', record: { recordName: name(), recordType: 'Note', fields: { n: { value: 'x', type: 'INT64' } } } },
        ],
        { atomic: true },
      );
      expect(invalid.map((r) => (r as ErrorEnvelope).serverErrorCode)).toEqual(['ATOMIC_ERROR', 'BAD_REQUEST']);
    });

    it('without atomic, good operations are written next to failing ones', async () => {
      const ok = name();
      const results = await modify([
        { operationType: 'create', record: { recordName: ok, recordType: 'Note' } },
        { operationType: 'update', record: { recordName: name(), recordType: 'Note', recordChangeTag: 'x' } },
      ]);
      expect(isErrorResult(results[0])).toBe(false);
      expect(results[1]).toMatchObject({ serverErrorCode: 'NOT_FOUND' });
    });

    it('desiredKeys limits the fields returned (per operation or per request)', async () => {
      const fields = { ...title('t'), n: { value: 1, type: 'INT64' } };
      const perOp = await saved({ operationType: 'create', record: { recordName: name(), recordType: 'Note', fields }, desiredKeys: ['n'] });
      expect(Object.keys(perOp.fields ?? {})).toEqual(['n']);
      const perRequest = (await one({ operationType: 'create', record: { recordName: name(), recordType: 'Note', fields } }, { desiredKeys: [] })) as RecordWire;
      expect(perRequest.fields).toEqual({});
    });

    it('INT64 beyond 2^53 round-trips exactly: as a decimal string with numbersAsStrings, as a bare JSON number otherwise', async () => {
      const recordName = name();
      const big = '9223372036854775807';
      await saved({ operationType: 'create', record: { recordName, recordType: 'Big', fields: { n: { value: big, type: 'INT64' }, l: { value: ['-9223372036854775808', 1], type: 'INT64_LIST' } } } });
      const asStrings = await h.ok<{ records: RecordWire[] }>('records/lookup', { records: [{ recordName }], numbersAsStrings: true });
      expect(asStrings.records[0]!.fields?.n?.value).toBe(big);
      expect(asStrings.records[0]!.fields?.l?.value).toEqual(['-9223372036854775808', '1']);
      const raw = await h.call('records/lookup', { records: [{ recordName }] });
      expect(raw.body).toContain(`"value":${big},"type":"INT64"`);
      expect(raw.body).toContain('"value":[-9223372036854775808,1]');
      const unsafe = await one({ operationType: 'create', record: { recordName: name(), recordType: 'Big', fields: { n: { value: 2 ** 60, type: 'INT64' } } } });
      expect(unsafe).toMatchObject({ serverErrorCode: 'BAD_REQUEST' });
    });

    it('accepts every non-asset field type with a valid value (assets: assets-api tests) and infers a missing type from the schema', async () => {
      const fields = {
        s: { value: 'x', type: 'STRING' },
        i: { value: -3, type: 'INT64' },
        d: { value: 2.5, type: 'DOUBLE' },
        t: { value: 1700000000000, type: 'TIMESTAMP' },
        b: { value: 'AAEC', type: 'BYTES' },
        r: { value: { recordName: 'other', action: 'NONE' }, type: 'REFERENCE' },
        loc: { value: { latitude: 48.85, longitude: 2.35, altitude: 35 }, type: 'LOCATION' },
        sl: { value: ['a', 'b'], type: 'STRING_LIST' },
        dl: { value: [1, 2.5], type: 'DOUBLE_LIST' },
        tl: { value: [1, 2], type: 'TIMESTAMP_LIST' },
        rl: { value: [{ recordName: 'x' }], type: 'REFERENCE_LIST' },
        ll: { value: [{ latitude: 1, longitude: 2 }], type: 'LOCATION_LIST' },
      };
      const record = await saved({ operationType: 'create', record: { recordName: name(), recordType: 'AllTypes', fields } });
      expect(record.fields).toEqual(fields);
      const inferred = await saved({ operationType: 'create', record: { recordName: name(), recordType: 'AllTypes', fields: { d: { value: 3 } } } });
      expect(inferred.fields?.d).toEqual({ value: 3, type: 'DOUBLE' });
    });
  });
}
