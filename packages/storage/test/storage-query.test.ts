/**
 * Storage contract, queries: every comparator in SQL on both engines (INT64 beyond 2^53,
 * doubles, code-point string order, lists, system fields), sorts with missing values,
 * and keyset paging that neither skips nor repeats.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testBackends, type QueryFilterSpec, type QueryOperand, type QuerySortSpec, type QuerySpec, type TestStore } from '../src/index.js';
import { create, dbl, freshDb, int, str, type Db } from './contract-helpers.js';

const field = (fieldName: string, column: 'text' | 'int' | 'real', list = false): QueryOperand => ({ source: 'field', fieldName, column, list });
const f = (operand: QueryOperand, comparator: QueryFilterSpec['comparator'], ...values: (string | number)[]): QueryFilterSpec => ({ operand, comparator, values });

for (const backend of testBackends()) {
  describe(`storage query (${backend.name})`, () => {
    let store: TestStore;
    let db: Db;
    let zoneId: number;
    const names = async (spec: Partial<QuerySpec>) =>
      (await store.records.query(zoneId, { recordType: 'Item', filters: [], sorts: [], limit: 200, ...spec })).records.map((r) => r.recordName);

    beforeAll(async () => {
      store = await backend.open();
      db = await freshDb(store);
      zoneId = await db.zoneId();
      await db.batch([
        create('a', { n: int('9007199254740993'), d: dbl(1.5), s: str('apple'), tags: { type: 'STRING_LIST', value: ['red', 'green'] } }),
        create('b', { n: int('9007199254740992'), d: dbl(-2), s: str('Banana'), tags: { type: 'STRING_LIST', value: ['yellow'] } }),
        create('c', { n: int(-5), d: dbl(1.5), s: str('éclair') }),
        create('d', { n: int(0), s: str('apricot'), nums: { type: 'INT64_LIST', value: ['1', '2', '3'] } }),
        create('e', { d: dbl(100), s: str('a'.repeat(300)) }),
        create('x', { n: int(1) }, 'Other'),
        { kind: 'create', recordName: 'hidden', recordType: 'Item', fields: { s: { type: 'STRING', encrypted: true, ciphertext: 'YXBwbGU=' } } },
      ]);
      await db.batch([create('gone', { n: int(7) }), { kind: 'forceDelete', recordName: 'gone' }]);
    });
    afterAll(async () => {
      await store.close();
    });

    it('matches the record type only and never returns tombstones', async () => {
      expect((await names({})).sort()).toEqual(['a', 'b', 'c', 'd', 'e', 'hidden']);
    });

    it('compares INT64 exactly, beyond 2^53', async () => {
      expect(await names({ filters: [f(field('n', 'int'), 'GREATER_THAN', '9007199254740992')] })).toEqual(['a']);
      expect(await names({ filters: [f(field('n', 'int'), 'EQUALS', '9007199254740992')] })).toEqual(['b']);
      expect(await names({ filters: [f(field('n', 'int'), 'LESS_THAN_OR_EQUALS', '0')] })).toEqual(['c', 'd']);
      expect(await names({ filters: [f(field('n', 'int'), 'IN', '-5', '1', '0')] })).toEqual(['c', 'd']);
    });

    it('compares doubles numerically', async () => {
      expect(await names({ filters: [f(field('d', 'real'), 'GREATER_THAN_OR_EQUALS', 1.5)] })).toEqual(['a', 'c', 'e']);
      expect(await names({ filters: [f(field('d', 'real'), 'LESS_THAN', 0)] })).toEqual(['b']);
    });

    it('NOT_EQUALS and NOT_IN include records without the field', async () => {
      expect(await names({ filters: [f(field('d', 'real'), 'NOT_EQUALS', 1.5)] })).toEqual(['b', 'd', 'hidden', 'e'].sort());
      expect((await names({ filters: [f(field('n', 'int'), 'NOT_IN', '-5', '0')] })).sort()).toEqual(['a', 'b', 'e', 'hidden']);
    });

    it('orders strings by code point on both engines and matches BEGINS_WITH case-sensitively', async () => {
      expect(await names({ filters: [f(field('s', 'text'), 'BEGINS_WITH', 'ap')] })).toEqual(['a', 'd']);
      expect(await names({ filters: [f(field('s', 'text'), 'BEGINS_WITH', 'Ap')] })).toEqual([]);
      expect(await names({ filters: [f(field('s', 'text'), 'GREATER_THAN', 'b')] })).toEqual(['c']);
      expect(await names({ sorts: [{ operand: field('s', 'text'), ascending: true }], filters: [f(field('s', 'text'), 'LESS_THAN', 'z')] })).toEqual(['b', 'e', 'a', 'd']);
    });

    it('compares long strings in full, past the indexed prefix', async () => {
      expect(await names({ filters: [f(field('s', 'text'), 'EQUALS', 'a'.repeat(300))] })).toEqual(['e']);
      expect(await names({ filters: [f(field('s', 'text'), 'EQUALS', 'a'.repeat(299))] })).toEqual([]);
      expect(await names({ filters: [f(field('s', 'text'), 'IN', 'a'.repeat(300), 'apple')] })).toEqual(['a', 'e']);
    });

    it('LIST_CONTAINS matches any element of a list', async () => {
      expect(await names({ filters: [f(field('tags', 'text', true), 'LIST_CONTAINS', 'green')] })).toEqual(['a']);
      expect(await names({ filters: [f(field('nums', 'int', true), 'LIST_CONTAINS', '3')] })).toEqual(['d']);
    });

    it('never indexes encrypted fields', async () => {
      expect(await names({ filters: [f(field('s', 'text'), 'EQUALS', 'YXBwbGU=')] })).toEqual([]);
    });

    it('filters and sorts on system fields', async () => {
      const byName: QueryOperand = { source: 'system', column: 'recordName' };
      expect(await names({ filters: [f(byName, 'IN', 'b', 'c')] })).toEqual(['b', 'c']);
      expect(await names({ filters: [f({ source: 'system', column: 'createdAt' }, 'GREATER_THAN', 0)], sorts: [{ operand: byName, ascending: false }] })).toEqual(['hidden', 'e', 'd', 'c', 'b', 'a']);
    });

    it('sorts descending with missing values first, ascending with them last', async () => {
      const sortN = (ascending: boolean): QuerySortSpec[] => [{ operand: field('n', 'int'), ascending }];
      expect(await names({ sorts: sortN(true) })).toEqual(['c', 'd', 'b', 'a', 'e', 'hidden']);
      expect(await names({ sorts: sortN(false) })).toEqual(['e', 'hidden', 'a', 'b', 'd', 'c']);
    });

    for (const sorts of [[], [{ operand: field('d', 'real'), ascending: false }, { operand: field('s', 'text'), ascending: true }], [{ operand: field('n', 'int'), ascending: true }]] as QuerySortSpec[][]) {
      it(`pages with a seek cursor without skipping or repeating (${sorts.length} sort keys)`, async () => {
        const all = await names({ sorts });
        const paged: string[] = [];
        let after: QuerySpec['after'];
        for (let i = 0; i < 10; i++) {
          const page = await store.records.query(zoneId, { recordType: 'Item', filters: [], sorts, limit: 2, ...(after ? { after } : {}) });
          paged.push(...page.records.map((r) => r.recordName));
          if (!page.next) break;
          after = page.next;
        }
        expect(paged).toEqual(all);
      });
    }

    it('with index scoping, writes index only queryable fields; backfill indexes the rest later', async () => {
      const scoped = await freshDb(store);
      const scope = { container: scoped.ref.container, environment: scoped.ref.environment };
      const type = `Scoped${backend.name}`;
      await store.schema.learn(scope.container, scope.environment, [{ recordType: type, fields: [{ fieldName: 'a', fieldType: 'INT64', encrypted: false, indexed: true }, { fieldName: 'b', fieldType: 'INT64', encrypted: false }] }]);
      await scoped.batch([create('one', { a: int(1), b: int(1) }, type), create('two', { a: int(2), b: int(2) }, type)], { index: scope });
      const zone = await scoped.zoneId();
      const q = async (fieldName: string) =>
        (await store.records.query(zone, { recordType: type, filters: [f(field(fieldName, 'int'), 'GREATER_THAN', '0')], sorts: [], limit: 10 })).records.map((r) => r.recordName);
      expect(await q('a')).toEqual(['one', 'two']);
      expect(await q('b')).toEqual([]);
      expect(await store.schema.markIndexed(scope.container, scope.environment, type, 'b')).toBe(true);
      expect(await store.records.backfillIndex({ ...scope, recordType: type, fieldName: 'b' })).toBe(2);
      expect(await q('b')).toEqual(['one', 'two']);
      // Idempotent, and later writes index the field themselves.
      await store.records.backfillIndex({ ...scope, recordType: type, fieldName: 'b' });
      await scoped.batch([create('three', { b: int(3) }, type)], { index: scope });
      expect(await q('b')).toEqual(['one', 'two', 'three']);
    });

    it('a cursor of an INT64 sort key keeps all 64 bits', async () => {
      const page = await store.records.query(zoneId, { recordType: 'Item', filters: [], sorts: [{ operand: field('n', 'int'), ascending: true }], limit: 3 });
      expect(page.records.map((r) => r.recordName)).toEqual(['c', 'd', 'b']);
      expect(page.next?.keys).toEqual(['9007199254740992']);
      const next = await store.records.query(zoneId, { recordType: 'Item', filters: [], sorts: [{ operand: field('n', 'int'), ascending: true }], limit: 3, after: page.next! });
      expect(next.records.map((r) => r.recordName)).toEqual(['a', 'e', 'hidden']);
    });
  });
}
