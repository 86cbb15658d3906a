/**
 * Storage contract, change history: the per-database sequence, record and zone change
 * paging, tombstones, history purging, and convergence under concurrent writers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testBackends, type StoredRecord, type TestStore } from '../src/index.js';
import { create, freshDb, int, str, type Db } from './contract-helpers.js';

/** Applies every page from `after` on a client-side copy, like a syncing device. */
async function sync(store: TestStore, zoneId: number, copy: Map<string, StoredRecord>, after: number, pageSize: number): Promise<number> {
  let position = after;
  for (;;) {
    const page = await store.records.changes(zoneId, position, pageSize);
    for (const r of page.records) {
      if (r.deleted) copy.delete(r.recordName);
      else copy.set(r.recordName, r);
    }
    position = page.lastSeq;
    if (!page.moreComing) return position;
  }
}

async function serverState(store: TestStore, db: Db): Promise<Map<string, string>> {
  const all = await store.records.changes(await db.zoneId(), 0, 100_000);
  return new Map(all.records.filter((r) => !r.deleted).map((r) => [r.recordName, r.changeTag]));
}

const tags = (copy: Map<string, StoredRecord>) => new Map([...copy].map(([name, r]) => [name, r.changeTag]));

for (const backend of testBackends()) {
  describe(`storage changes (${backend.name})`, () => {
    let store: TestStore;
    beforeAll(async () => {
      store = await backend.open();
    });
    afterAll(async () => {
      await store.close();
    });

    it('allocates one database-wide sequence number per write, strictly increasing', async () => {
      const db = await freshDb(store);
      const zone = await store.zones.create(db.databaseId, 'other', { atomic: true, zoneKeys: null });
      const r1 = await db.batch([create('a', {}), create('b', {})]);
      const r2 = await db.batch([create('c', {})], { zoneName: 'other' });
      const seqs = [...r1.outcomes, ...r2.outcomes].map((o) => (o.ok ? o.record.changeSeq : -1));
      expect(seqs).toEqual([zone.zone.changeSeq + 1, zone.zone.changeSeq + 2, zone.zone.changeSeq + 3]);
    });

    it('pages record changes oldest first, reports deletions, and ends with moreComing false', async () => {
      const db = await freshDb(store);
      await db.batch(Array.from({ length: 7 }, (_, i) => create(`r${i}`, { i: int(i) })));
      await db.batch([{ kind: 'forceDelete', recordName: 'r2' }, { kind: 'forceUpdate', recordName: 'r0', fields: { i: int(100) } }]);
      const zoneId = await db.zoneId();
      const page1 = await store.records.changes(zoneId, 0, 3);
      expect(page1.records.map((r) => r.recordName)).toEqual(['r1', 'r3', 'r4']);
      expect(page1.moreComing).toBe(true);
      const page2 = await store.records.changes(zoneId, page1.lastSeq, 3);
      expect(page2.records.map((r) => r.recordName)).toEqual(['r5', 'r6', 'r2']);
      const page3 = await store.records.changes(zoneId, page2.lastSeq, 3);
      expect(page3.records.map((r) => [r.recordName, r.deleted])).toEqual([['r0', false]]);
      expect(page3.moreComing).toBe(false);
      expect(page2.records[2]!.deleted).toBe(true);
      const empty = await store.records.changes(zoneId, page3.lastSeq, 3);
      expect(empty).toEqual({ records: [], lastSeq: page3.lastSeq, moreComing: false });
    });

    it('a record changed while a client pages shows up again later, so the client converges', async () => {
      const db = await freshDb(store);
      await db.batch(Array.from({ length: 10 }, (_, i) => create(`r${i}`, { v: int(0) })));
      const zoneId = await db.zoneId();
      const copy = new Map<string, StoredRecord>();
      const first = await store.records.changes(zoneId, 0, 4);
      for (const r of first.records) copy.set(r.recordName, r);
      // Between pages: change an already-seen record, delete an unseen one.
      await db.batch([{ kind: 'forceUpdate', recordName: 'r0', fields: { v: int(1) } }, { kind: 'forceDelete', recordName: 'r9' }]);
      await sync(store, zoneId, copy, first.lastSeq, 4);
      expect(tags(copy)).toEqual(await serverState(store, db));
    });

    it('two concurrent writers interleaving writes and deletes: syncing clients end equal to the server', async () => {
      const db = await freshDb(store);
      const zoneId = await db.zoneId();
      const names = Array.from({ length: 12 }, (_, i) => `n${i}`);
      const writer = async (seed: number) => {
        for (let round = 0; round < 15; round++) {
          const name = names[(seed * 7 + round * 5) % names.length]!;
          const other = names[(seed * 3 + round * 11) % names.length]!;
          await db.batch([
            { kind: 'forceReplace', recordName: name, recordType: 'Item', fields: { by: str(`w${seed}`), round: int(round) } },
            ...(round % 3 === 0 ? [{ kind: 'forceDelete' as const, recordName: other }] : []),
          ]);
        }
      };
      const clientA = new Map<string, StoredRecord>();
      const clientB = new Map<string, StoredRecord>();
      let posA = 0;
      let posB = 0;
      const reader = async () => {
        for (let i = 0; i < 10; i++) {
          posA = await sync(store, zoneId, clientA, posA, 3);
          posB = await sync(store, zoneId, clientB, posB, 5);
        }
      };
      await Promise.all([writer(1), writer(2), reader()]);
      posA = await sync(store, zoneId, clientA, posA, 3);
      posB = await sync(store, zoneId, clientB, posB, 5);
      const server = await serverState(store, db);
      expect(tags(clientA)).toEqual(server);
      expect(tags(clientB)).toEqual(server);
    });

    it('concurrent batches on PostgreSQL commit in sequence order (no gaps seen by readers)', async () => {
      const db = await freshDb(store);
      const zoneId = await db.zoneId();
      const writes = Array.from({ length: 20 }, (_, i) => db.batch([create(`p${i}`, { i: int(i) })]));
      const seen: number[] = [];
      const watcher = (async () => {
        let position = 0;
        for (let i = 0; i < 40; i++) {
          const page = await store.records.changes(zoneId, position, 1000);
          seen.push(...page.records.map((r) => r.changeSeq));
          position = page.lastSeq;
        }
      })();
      await Promise.all([...writes, watcher]);
      // Every sequence a reader saw is seen once, in order; a reader never skipped one that committed later.
      expect([...seen].sort((a, b) => a - b)).toEqual(seen);
      expect(new Set(seen).size).toBe(seen.length);
      const all = await store.records.changes(zoneId, 0, 1000);
      const seqs = all.records.map((r) => r.changeSeq);
      expect(seqs.every((s, i) => i === 0 || s > seqs[i - 1]!)).toBe(true);
      expect(all.records).toHaveLength(20);
    });

    it('zones: create is idempotent, delete leaves a tombstone and removes records, re-create bumps the incarnation', async () => {
      const db = await freshDb(store);
      const first = await store.zones.create(db.databaseId, 'z', { atomic: true, zoneKeys: [{ version: 1 }] });
      expect(first.created).toBe(true);
      const again = await store.zones.create(db.databaseId, 'z', { atomic: true, zoneKeys: null });
      expect(again).toMatchObject({ created: false, zone: { zoneKeys: [{ version: 1 }] } });
      await db.batch([create('a', { s: str('x') })], { zoneName: 'z' });
      const subject = `user:${db.ref.owner}`;
      expect(await store.usage.bytesUsed(subject)).toBeGreaterThan(0);
      const deleted = await store.zones.delete(db.databaseId, 'z', subject);
      expect(deleted?.deleted).toBe(true);
      expect(await store.usage.bytesUsed(subject)).toBe(0);
      expect(await store.zones.delete(db.databaseId, 'z', subject)).toBeNull();
      expect((await store.zones.list(db.databaseId)).map((z) => z.zoneName)).toEqual(['_defaultZone']);
      const recreated = await store.zones.create(db.databaseId, 'z', { atomic: true, zoneKeys: null });
      expect(recreated.zone.incarnation).toBe(first.zone.incarnation + 1);
      expect((await store.records.changes(recreated.zone.id, 0, 10)).records).toEqual([]);
    });

    it('zone changes page by sequence and include record activity and deletions', async () => {
      const db = await freshDb(store);
      await store.zones.create(db.databaseId, 'z1', { atomic: true, zoneKeys: null });
      await store.zones.create(db.databaseId, 'z2', { atomic: true, zoneKeys: null });
      const p1 = await store.zones.changes(db.databaseId, 0, 10);
      expect(p1.zones.map((z) => z.zoneName)).toEqual(['z1', 'z2']);
      await db.batch([create('a', {})], { zoneName: 'z1' });
      await store.zones.delete(db.databaseId, 'z2', `user:${db.ref.owner}`);
      const p2 = await store.zones.changes(db.databaseId, p1.lastSeq, 1);
      expect(p2).toMatchObject({ moreComing: true, zones: [{ zoneName: 'z1', deleted: false }] });
      const p3 = await store.zones.changes(db.databaseId, p2.lastSeq, 1);
      expect(p3).toMatchObject({ moreComing: false, zones: [{ zoneName: 'z2', deleted: true }] });
    });

    it('zone keys update through a merge function, and a refusing merge changes nothing', async () => {
      const db = await freshDb(store);
      await store.zones.create(db.databaseId, 'z', { atomic: true, zoneKeys: [1] });
      const updated = await store.zones.updateKeys(db.databaseId, 'z', (current) => [...(current as number[]), 2]);
      expect(updated?.zoneKeys).toEqual([1, 2]);
      await expect(store.zones.updateKeys(db.databaseId, 'z', () => new Error('no'))).rejects.toThrow('no');
      expect((await store.zones.find(db.databaseId, 'z'))?.zoneKeys).toEqual([1, 2]);
      expect(await store.zones.updateKeys(db.databaseId, 'missing', () => [])).toBeNull();
    });

    it('purging history drops old tombstones and raises the floor', async () => {
      const db = await freshDb(store);
      await db.batch([create('a', {}), create('b', {})]);
      const del = await db.batch([{ kind: 'forceDelete', recordName: 'a' }]);
      const outcome = del.outcomes[0]!;
      const seq = outcome.ok ? outcome.record.changeSeq : 0;
      expect(await store.databases.purgeHistory(db.databaseId, seq + 100)).toBe(1);
      const info = await store.databases.find(db.ref);
      // The floor never passes the database's own counter.
      expect(info?.historyFloor).toBe(seq);
      expect((await store.records.lookup(await db.zoneId(), ['a'])).size).toBe(0);
    });

    it('ensure() is idempotent under concurrent first use', async () => {
      const { ref } = await freshDb(store);
      const other = { ...ref, owner: `${ref.owner}x` };
      const infos = await Promise.all(Array.from({ length: 5 }, () => store.databases.ensure(other)));
      expect(new Set(infos.map((i) => i.id)).size).toBe(1);
      expect((await store.zones.list(infos[0]!.id)).map((z) => z.zoneName)).toEqual(['_defaultZone']);
    });
  });
}
