/**
 * Storage contract: schema learning and promotion, service keys, server meta, and the
 * migrations themselves (idempotent re-open, one query layer for both engines).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, testBackends, type TestStore } from '../src/index.js';

for (const backend of testBackends()) {
  describe(`storage schema, keys, meta (${backend.name})`, () => {
    let store: TestStore;
    beforeAll(async () => {
      store = await backend.open();
    });
    afterAll(async () => {
      await store.close();
    });

    it('re-opening an migrated database runs no migration twice and keeps the data', async () => {
      await store.meta.getOrCreate('probe', () => 'kept');
      const again = await openStore(store.testDatabase.config);
      expect(await again.meta.get('probe')).toBe('kept');
      await again.close();
    });

    it('learns types and fields insert-if-absent; the first writer of a field decides its type', async () => {
      const c = 'iCloud.schema.learn';
      await store.schema.learn(c, 'development', [{ recordType: 'Note', fields: [{ fieldName: 'title', fieldType: 'STRING', encrypted: false }] }]);
      const after = await store.schema.learn(c, 'development', [
        { recordType: 'Note', fields: [{ fieldName: 'title', fieldType: 'INT64', encrypted: true }, { fieldName: 'body', fieldType: 'STRING', encrypted: true }] },
      ]);
      expect(after.get('Note')?.fields.get('title')).toEqual({ fieldName: 'title', fieldType: 'STRING', encrypted: false, indexed: false });
      expect(after.get('Note')?.fields.get('body')).toEqual({ fieldName: 'body', fieldType: 'STRING', encrypted: true, indexed: false });
      expect((await store.schema.get(c, 'production')).size).toBe(0);
      expect(await store.schema.containers()).toContain(c);
    });

    it('promote copies development to production additively and is idempotent', async () => {
      const c = 'iCloud.schema.promote';
      await store.schema.learn(c, 'development', [{ recordType: 'A', fields: [{ fieldName: 'x', fieldType: 'DOUBLE', encrypted: true }] }, { recordType: 'B', fields: [] }]);
      const first = await store.schema.promote(c);
      expect(first).toEqual({ addedTypes: ['A', 'B'], addedFields: [{ recordType: 'A', fieldName: 'x' }], addedIndexes: [], conflicts: [] });
      const prod = await store.schema.get(c, 'production');
      expect(prod.get('A')?.fields.get('x')).toEqual({ fieldName: 'x', fieldType: 'DOUBLE', encrypted: true, indexed: false });
      expect(await store.schema.promote(c)).toEqual({ addedTypes: [], addedFields: [], addedIndexes: [], conflicts: [] });
    });

    it('queryable flags: markIndexed once, never for encrypted fields, promoted additively', async () => {
      const c = 'iCloud.schema.indexed';
      await store.schema.learn(c, 'development', [{ recordType: 'A', fields: [{ fieldName: 'q', fieldType: 'INT64', encrypted: false }, { fieldName: 'e', fieldType: 'STRING', encrypted: true }] }]);
      await store.schema.promote(c);
      expect(await store.schema.markIndexed(c, 'development', 'A', 'q')).toBe(true);
      expect(await store.schema.markIndexed(c, 'development', 'A', 'q')).toBe(false);
      expect(await store.schema.markIndexed(c, 'development', 'A', 'e')).toBe(false);
      expect((await store.schema.get(c, 'production')).get('A')?.fields.get('q')?.indexed).toBe(false);
      const promoted = await store.schema.promote(c);
      expect(promoted).toMatchObject({ addedFields: [], addedIndexes: [{ recordType: 'A', fieldName: 'q' }] });
      expect((await store.schema.get(c, 'production')).get('A')?.fields.get('q')?.indexed).toBe(true);
    });

    it('promote refuses (and changes nothing) when a field differs between environments', async () => {
      const c = 'iCloud.schema.conflict';
      await store.schema.learn(c, 'production', [{ recordType: 'A', fields: [{ fieldName: 'x', fieldType: 'STRING', encrypted: false }] }]);
      await store.schema.learn(c, 'development', [{ recordType: 'A', fields: [{ fieldName: 'x', fieldType: 'STRING', encrypted: true }, { fieldName: 'y', fieldType: 'INT64', encrypted: false }] }]);
      const result = await store.schema.promote(c);
      expect(result.conflicts).toHaveLength(1);
      expect(result.addedFields).toEqual([]);
      expect((await store.schema.get(c, 'production')).get('A')?.fields.has('y')).toBe(false);
    });

    it('service keys: put replaces blobs, putIfAbsent lets one key win a category version', async () => {
      const owner = '_keys';
      const key = { owner, keyId: 'k1', version: 1, category: 'app:x', wrappedByKeychain: 'AAAA', escrowSealed: 'BBBB' };
      expect(await store.serviceKeys.putIfAbsent(key)).toMatchObject({ keyId: 'k1' });
      const racer = await store.serviceKeys.putIfAbsent({ ...key, keyId: 'k2' });
      expect(racer.keyId).toBe('k1');
      expect(await store.serviceKeys.get(owner, 'k2')).toBeNull();
      await store.serviceKeys.put({ ...key, escrowSealed: null });
      expect(await store.serviceKeys.get(owner, 'k1')).toMatchObject({ escrowSealed: null, wrappedByKeychain: 'AAAA' });
      await store.serviceKeys.putIfAbsent({ ...key, keyId: 'k3', version: 2 });
      expect((await store.serviceKeys.list(owner)).map((k) => [k.keyId, k.version])).toEqual([['k1', 1], ['k3', 2]]);
    });

    it('meta getOrCreate keeps the first value under concurrent callers', async () => {
      const values = await Promise.all(Array.from({ length: 4 }, (_, i) => store.meta.getOrCreate('race', () => `v${i}`)));
      expect(new Set(values).size).toBe(1);
    });
  });
}

describe('test backends', () => {
  it('a PostgreSQL test database is created fresh and dropped on close', async () => {
    const pgBackend = testBackends().find((b) => b.name === 'postgres')!;
    const database = await pgBackend.provision();
    expect(database.databaseUrl).toMatch(/\/coffer_t_[0-9a-f]{12}$/);
    await database.drop();
    await expect(openStore({ kind: 'postgres', url: database.databaseUrl! })).rejects.toThrow(/does not exist/);
  });
});
