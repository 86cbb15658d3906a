/**
 * Storage contract, record writes: the seven operation types, conflicts, atomic batches,
 * size and quota limits, usage accounting. Runs unchanged on SQLite and PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testBackends, type BatchOutcome, type StoredRecord, type TestStore } from '../src/index.js';
import { create, freshDb, int, str } from './contract-helpers.js';

const record = (o: BatchOutcome): StoredRecord => {
  if (!o.ok) throw new Error(`expected success, got ${o.code}: ${o.reason}`);
  return o.record;
};

for (const backend of testBackends()) {
  describe(`storage records (${backend.name})`, () => {
    let store: TestStore;
    beforeAll(async () => {
      store = await backend.open();
    });
    afterAll(async () => {
      await store.close();
    });

    it('create stores the record with a fresh change tag and fails EXISTS the second time', async () => {
      const db = await freshDb(store);
      const first = await db.batch([create('a', { title: str('hello') })]);
      const a = record(first.outcomes[0]!);
      expect(a).toMatchObject({ recordName: 'a', recordType: 'Item', deleted: false, fields: { title: str('hello') } });
      const again = await db.batch([create('a', { title: str('other') })]);
      expect(again.outcomes[0]).toMatchObject({ ok: false, code: 'EXISTS' });
    });

    it('update merges given fields, needs the current tag, and returns CONFLICT with the server record otherwise', async () => {
      const db = await freshDb(store);
      const a = record((await db.batch([create('a', { title: str('t'), count: int(1) })])).outcomes[0]!);
      const updated = record((await db.batch([{ kind: 'update', recordName: 'a', changeTag: a.changeTag, fields: { count: int(2) } }])).outcomes[0]!);
      expect(updated.fields).toEqual({ title: str('t'), count: int(2) });
      expect(updated.changeTag).not.toBe(a.changeTag);
      const stale = (await db.batch([{ kind: 'update', recordName: 'a', changeTag: a.changeTag, fields: { count: int(3) } }])).outcomes[0]!;
      expect(stale).toMatchObject({ ok: false, code: 'CONFLICT' });
      expect(!stale.ok && stale.serverRecord?.changeTag).toBe(updated.changeTag);
      const missingTag = (await db.batch([{ kind: 'update', recordName: 'a', fields: {} }])).outcomes[0]!;
      expect(missingTag).toMatchObject({ ok: false, code: 'BAD_REQUEST' });
      const missing = (await db.batch([{ kind: 'update', recordName: 'nope', changeTag: '1', fields: {} }])).outcomes[0]!;
      expect(missing).toMatchObject({ ok: false, code: 'NOT_FOUND' });
    });

    it('update with a null field removes it; forceUpdate merges without a tag and creates when missing', async () => {
      const db = await freshDb(store);
      const a = record((await db.batch([create('a', { x: str('1'), y: str('2') })])).outcomes[0]!);
      const removed = record((await db.batch([{ kind: 'update', recordName: 'a', changeTag: a.changeTag, fields: { x: null } }])).outcomes[0]!);
      expect(removed.fields).toEqual({ y: str('2') });
      const forced = record((await db.batch([{ kind: 'forceUpdate', recordName: 'a', fields: { z: str('3') } }])).outcomes[0]!);
      expect(forced.fields).toEqual({ y: str('2'), z: str('3') });
      const createdByForce = record((await db.batch([{ kind: 'forceUpdate', recordName: 'b', recordType: 'Item', fields: { z: str('3') } }])).outcomes[0]!);
      expect(createdByForce.recordName).toBe('b');
    });

    it('replace drops unspecified fields and needs the tag; forceReplace does not', async () => {
      const db = await freshDb(store);
      const a = record((await db.batch([create('a', { x: str('1'), y: str('2') })])).outcomes[0]!);
      const replaced = record((await db.batch([{ kind: 'replace', recordName: 'a', changeTag: a.changeTag, fields: { x: str('9') } }])).outcomes[0]!);
      expect(replaced.fields).toEqual({ x: str('9') });
      expect((await db.batch([{ kind: 'replace', recordName: 'a', changeTag: a.changeTag, fields: {} }])).outcomes[0]).toMatchObject({ ok: false, code: 'CONFLICT' });
      const forced = record((await db.batch([{ kind: 'forceReplace', recordName: 'a', fields: { y: str('0') } }])).outcomes[0]!);
      expect(forced.fields).toEqual({ y: str('0') });
      expect(forced.created).toEqual(a.created);
    });

    it('delete needs the tag and leaves a tombstone; forceDelete does not; deleting twice is NOT_FOUND', async () => {
      const db = await freshDb(store);
      const a = record((await db.batch([create('a', { x: str('1') }), create('b', { x: str('2') })])).outcomes[0]!);
      expect((await db.batch([{ kind: 'delete', recordName: 'a', changeTag: 'stale' }])).outcomes[0]).toMatchObject({ ok: false, code: 'CONFLICT' });
      const deleted = record((await db.batch([{ kind: 'delete', recordName: 'a', changeTag: a.changeTag }])).outcomes[0]!);
      expect(deleted).toMatchObject({ deleted: true, fields: {}, size: 0 });
      record((await db.batch([{ kind: 'forceDelete', recordName: 'b' }])).outcomes[0]!);
      expect((await db.batch([{ kind: 'forceDelete', recordName: 'b' }])).outcomes[0]).toMatchObject({ ok: false, code: 'NOT_FOUND' });
      const found = await store.records.lookup(await db.zoneId(), ['a', 'b']);
      expect(found.get('a')?.deleted).toBe(true);
      // A tombstone does not block creating the name again.
      record((await db.batch([create('a', { x: str('new') })])).outcomes[0]!);
    });

    it('a record type cannot change', async () => {
      const db = await freshDb(store);
      record((await db.batch([create('a', {})])).outcomes[0]!);
      const changed = (await db.batch([{ kind: 'forceReplace', recordName: 'a', recordType: 'Other', fields: {} }])).outcomes[0]!;
      expect(changed).toMatchObject({ ok: false, code: 'BAD_REQUEST' });
    });

    it('an atomic batch with one failure writes nothing and marks the rest ATOMIC_ERROR', async () => {
      const db = await freshDb(store);
      record((await db.batch([create('existing', {})])).outcomes[0]!);
      const result = await db.batch([create('new1', {}), create('existing', {}), create('new2', {})], { atomic: true });
      expect(result.outcomes.map((o) => (o.ok ? 'ok' : o.code))).toEqual(['ATOMIC_ERROR', 'EXISTS', 'ATOMIC_ERROR']);
      const found = await store.records.lookup(await db.zoneId(), ['new1', 'new2']);
      expect(found.size).toBe(0);
      const changes = await store.records.changes(await db.zoneId(), 0, 100);
      expect(changes.records.map((r) => r.recordName)).toEqual(['existing']);
    });

    it('a non-atomic batch applies the operations that succeed, in order, even on the same record', async () => {
      const db = await freshDb(store);
      const result = await db.batch([create('a', { v: int(1) }), create('a', {}), { kind: 'forceUpdate', recordName: 'a', fields: { v: int(2) } }]);
      expect(result.outcomes.map((o) => (o.ok ? 'ok' : o.code))).toEqual(['ok', 'EXISTS', 'ok']);
      expect((await store.records.lookup(await db.zoneId(), ['a'])).get('a')?.fields).toEqual({ v: int(2) });
    });

    it('refuses a record over the size limit with LIMIT_EXCEEDED', async () => {
      const db = await freshDb(store);
      const result = await db.batch([create('big', { blob: str('x'.repeat(2_000_000)) }), create('small', { s: str('ok') })]);
      expect(result.outcomes[0]).toMatchObject({ ok: false, code: 'LIMIT_EXCEEDED' });
      expect(result.outcomes[1]!.ok).toBe(true);
    });

    it('charges record bytes to the quota subject and refuses writes past the quota', async () => {
      const db = await freshDb(store);
      const subject = `user:${db.ref.owner}`;
      const quota = { subject, limitBytes: 2000 };
      const a = record((await db.batch([create('a', { s: str('x'.repeat(1000)) })], { quota })).outcomes[0]!);
      expect(await store.usage.bytesUsed(subject)).toBe(a.size);
      const over = await db.batch([create('b', { s: str('y'.repeat(1500)) })], { quota });
      expect(over.outcomes[0]).toMatchObject({ ok: false, code: 'QUOTA_EXCEEDED' });
      // Shrinking is always allowed, and deletes give the bytes back.
      const smaller = record((await db.batch([{ kind: 'forceReplace', recordName: 'a', fields: { s: str('x') } }], { quota })).outcomes[0]!);
      expect(await store.usage.bytesUsed(subject)).toBe(smaller.size);
      record((await db.batch([{ kind: 'forceDelete', recordName: 'a' }], { quota })).outcomes[0]!);
      expect(await store.usage.bytesUsed(subject)).toBe(0);
    });

    it('a missing zone fails the whole batch with ZONE_NOT_FOUND', async () => {
      const db = await freshDb(store);
      await expect(db.batch([create('a', {})], { zoneName: 'nope' })).rejects.toMatchObject({ code: 'ZONE_NOT_FOUND' });
    });

    it('the validate hook refuses a record by its merged state', async () => {
      const db = await freshDb(store);
      const result = await db.batch([create('a', { secret: { type: 'STRING', encrypted: true, ciphertext: 'AAAA' } })], {
        validate: (r) => (r.protection === null ? 'needs protectionInfo' : null),
      });
      expect(result.outcomes[0]).toMatchObject({ ok: false, code: 'BAD_REQUEST', reason: 'needs protectionInfo' });
    });

    it('the authorize hook refuses changes to existing records with ACCESS_DENIED, but not creates', async () => {
      const db = await freshDb(store);
      record((await db.batch([create('mine', {})])).outcomes[0]!);
      const authorize = (current: StoredRecord) => (current.created.by === 'someone else' ? null : 'not yours');
      const result = await db.batch([{ kind: 'forceDelete', recordName: 'mine' }, create('fresh', {})], { authorize });
      expect(result.outcomes.map((o) => (o.ok ? 'ok' : o.code))).toEqual(['ACCESS_DENIED', 'ok']);
    });

    it('keeps protectionInfo on a merging update unless it is replaced', async () => {
      const db = await freshDb(store);
      const protection = { wrappedRecordKey: 'AAAA', zoneKeyVersion: 1 };
      record((await db.batch([{ ...create('a', {}), protection }])).outcomes[0]!);
      const merged = record((await db.batch([{ kind: 'forceUpdate', recordName: 'a', fields: { x: str('1') } }])).outcomes[0]!);
      expect(merged.protection).toEqual(protection);
      const replaced = record((await db.batch([{ kind: 'forceReplace', recordName: 'a', fields: {} }])).outcomes[0]!);
      expect(replaced.protection).toBeNull();
    });
  });
}
