/**
 * The seven operationTypes through the batch builder, with their CloudKit semantics,
 * plus conflicts (typed, with the decrypted server record), EXISTS, atomic batches
 * and the convenience methods.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AtomicError,
  CofferRecord,
  ConflictError,
  ExistsError,
  NotFoundError,
  PartialFailureError,
  type Database,
} from '../src/index.js';
import { newAccount, startTestServer, type TestServer } from './helpers/server.js';

const zoneID = { zoneName: 'ops' };
let server: TestServer;
let db: Database;

beforeAll(async () => {
  server = await startTestServer();
  const { client } = await newAccount(server.url);
  db = client.container('com.example.ops').privateDatabase;
  (await db.saveRecordZones(zoneID)).throwIfErrors();
});
afterAll(async () => {
  await server.close();
});

function note(name: string, title: string, secret: string): CofferRecord {
  const r = new CofferRecord({ recordType: 'Note', recordName: name, zoneID });
  r.fields.title = title;
  r.encryptedValues.secret = secret;
  return r;
}

async function fetchOne(name: string): Promise<CofferRecord> {
  return (await db.fetchRecords(name, { zoneID })).throwIfErrors().records[0]!;
}

describe('batch builder operation types', () => {
  it('create, then create again → EXISTS', async () => {
    const a = note('create-1', 'A', 's-a');
    const result = await db.newRecordsBatch(zoneID).create(a).commit();
    expect(result.hasErrors).toBe(false);
    expect(a.recordChangeTag).toBeTypeOf('string');
    const again = await db.newRecordsBatch(zoneID).create(note('create-1', 'A2', 'x')).commit();
    expect(again.errors[0]).toBeInstanceOf(ExistsError);
  });

  it('update merges fields and needs a current change tag', async () => {
    const r = note('update-1', 'T', 'secret-1');
    r.encryptedValues.other = 'keep me';
    await db.newRecordsBatch(zoneID).create(r).commit();
    const fetched = await fetchOne('update-1');
    const partial = new CofferRecord({ recordType: 'Note', recordName: 'update-1', zoneID, recordChangeTag: fetched.recordChangeTag! });
    partial.encryptedValues.secret = 'secret-2';
    (await db.newRecordsBatch(zoneID).update(partial).commit()).throwIfErrors();
    const after = await fetchOne('update-1');
    // Merged: the untouched title and encrypted `other` stay, under the same record key.
    expect(after.fields.title).toBe('T');
    expect(after.encryptedValues.other).toBe('keep me');
    expect(after.encryptedValues.secret).toBe('secret-2');

    // The stale tag now conflicts, and the conflict carries the server's record, decrypted.
    const stale = new CofferRecord({ recordType: 'Note', recordName: 'update-1', zoneID, recordChangeTag: fetched.recordChangeTag! });
    stale.fields.title = 'stale';
    const result = await db.newRecordsBatch(zoneID).update(stale).commit();
    const error = result.errors[0];
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as ConflictError).serverRecord?.encryptedValues.secret).toBe('secret-2');
    expect((error as ConflictError).serverRecord?.recordChangeTag).toBe(after.recordChangeTag);
    expect(() => result.throwIfErrors()).toThrow(PartialFailureError);
  });

  it('forceUpdate merges without a change tag', async () => {
    await db.newRecordsBatch(zoneID).create(note('fu-1', 'T', 's1')).commit();
    const blind = new CofferRecord({ recordType: 'Note', recordName: 'fu-1', zoneID });
    blind.encryptedValues.added = 'new encrypted field';
    (await db.newRecordsBatch(zoneID).forceUpdate(blind).commit()).throwIfErrors();
    const after = await fetchOne('fu-1');
    expect(after.fields.title).toBe('T');
    expect(after.encryptedValues.secret).toBe('s1');
    expect(after.encryptedValues.added).toBe('new encrypted field');
  });

  it('forceUpdate after another writer re-keyed the record keeps every field readable', async () => {
    (await db.saveRecords(note('rekey-1', 'T', 'v1'))).throwIfErrors();
    // Fetched without its encrypted field: the copy caches record key 1 but holds only `title`.
    const copy = (await db.fetchRecords('rekey-1', { zoneID, desiredKeys: ['title'] })).throwIfErrors().records[0]!;
    expect(copy.encryptedKeys()).toEqual([]);
    // Someone else replaces the record: a fresh record key.
    const theirs = new CofferRecord({ recordType: 'Note', recordName: 'rekey-1', zoneID });
    theirs.encryptedValues.secret = 'v2';
    theirs.fields.title = 'T2';
    (await db.saveRecords(theirs, { operationType: 'forceReplace' })).throwIfErrors();
    // A blind merge of a plain field must not resend the stale key…
    copy.fields.title = 'T3';
    (await db.saveRecords(copy, { operationType: 'forceUpdate' })).throwIfErrors();
    expect((await fetchOne('rekey-1')).encryptedValues.secret).toBe('v2');
    // …and a blind merge of an encrypted field must use the server's current key.
    copy.encryptedValues.other = 'added';
    (await db.saveRecords(copy, { operationType: 'forceUpdate' })).throwIfErrors();
    const after = await fetchOne('rekey-1');
    expect(after.encryptedValues.secret).toBe('v2');
    expect(after.encryptedValues.other).toBe('added');
    expect(after.fields.title).toBe('T3');
  });

  it('replace drops fields it does not mention; a stale tag conflicts', async () => {
    const r = note('rep-1', 'T', 's1');
    await db.newRecordsBatch(zoneID).create(r).commit();
    const replacement = new CofferRecord({ recordType: 'Note', recordName: 'rep-1', zoneID, recordChangeTag: r.recordChangeTag! });
    replacement.encryptedValues.only = 'only this';
    (await db.newRecordsBatch(zoneID).replace(replacement).commit()).throwIfErrors();
    const after = await fetchOne('rep-1');
    expect(after.fields.title).toBeUndefined();
    expect(after.encryptedValues.secret).toBeUndefined();
    expect(after.encryptedValues.only).toBe('only this');
    const stale = await db.newRecordsBatch(zoneID).replace(new CofferRecord({ recordType: 'Note', recordName: 'rep-1', zoneID, recordChangeTag: r.recordChangeTag ?? 'old' })).commit();
    // r was updated in place by its create; replacement's save moved the server on.
    expect(stale.errors[0]).toBeInstanceOf(ConflictError);
  });

  it('forceReplace replaces whatever the version', async () => {
    await db.newRecordsBatch(zoneID).create(note('frep-1', 'T', 's1')).commit();
    const replacement = new CofferRecord({ recordType: 'Note', recordName: 'frep-1', zoneID });
    replacement.fields.title = 'replaced';
    (await db.newRecordsBatch(zoneID).forceReplace(replacement).commit()).throwIfErrors();
    const after = await fetchOne('frep-1');
    expect(after.fields.title).toBe('replaced');
    expect(after.encryptedKeys()).toEqual([]);
  });

  it('delete needs the current tag; forceDelete does not', async () => {
    const r = note('del-1', 'T', 's');
    const f = note('fdel-1', 'T', 's');
    await db.newRecordsBatch(zoneID).create(r, f).commit();
    const staleCopy = new CofferRecord({ recordType: 'Note', recordName: 'del-1', zoneID, recordChangeTag: 'not-the-tag' });
    expect((await db.newRecordsBatch(zoneID).delete(staleCopy).commit()).errors[0]).toBeInstanceOf(ConflictError);
    (await db.newRecordsBatch(zoneID).delete(r).forceDelete('fdel-1').commit()).throwIfErrors();
    expect(r.deleted).toBe(true);
    const gone = await db.fetchRecords(['del-1', 'fdel-1'], { zoneID });
    expect(gone.errors).toHaveLength(2);
    for (const error of gone.errors) expect(error).toBeInstanceOf(NotFoundError);
  });

  it('mixes all seven operations in one batch', async () => {
    const seed = ['m-upd', 'm-fupd', 'm-rep', 'm-frep', 'm-del', 'm-fdel'].map((n) => note(n, n, `s-${n}`));
    (await db.newRecordsBatch(zoneID).create(...seed).commit()).throwIfErrors();
    const [upd, fupd, rep, frep, del] = seed as [CofferRecord, CofferRecord, CofferRecord, CofferRecord, CofferRecord];
    upd.encryptedValues.secret = 'updated';
    const fupdBlind = new CofferRecord({ recordType: 'Note', recordName: fupd.recordName, zoneID });
    fupdBlind.fields.title = 'force-updated';
    const repNew = new CofferRecord({ recordType: 'Note', recordName: rep.recordName, zoneID, recordChangeTag: rep.recordChangeTag! });
    repNew.fields.title = 'replaced';
    const frepNew = new CofferRecord({ recordType: 'Note', recordName: frep.recordName, zoneID });
    frepNew.encryptedValues.secret = 'force-replaced';
    const batch = db
      .newRecordsBatch(zoneID)
      .create(note('m-new', 'new', 's-new'))
      .update(upd)
      .forceUpdate(fupdBlind)
      .replace(repNew)
      .forceReplace(frepNew)
      .delete(del)
      .forceDelete('m-fdel');
    expect(batch.size).toBe(7);
    const result = await batch.commit({ atomic: true });
    expect(result.errors).toEqual([]);
    expect(result.outcomes).toHaveLength(7);
    const fetched = await db.fetchRecords(['m-new', 'm-upd', 'm-fupd', 'm-rep', 'm-frep', 'm-del', 'm-fdel'], { zoneID });
    const [n, u, fu, r, fr] = fetched.records;
    expect(n!.encryptedValues.secret).toBe('s-new');
    expect(u!.encryptedValues.secret).toBe('updated');
    expect(fu!.fields.title).toBe('force-updated');
    expect(fu!.encryptedValues.secret).toBe('s-m-fupd');
    expect(r!.fields.title).toBe('replaced');
    expect(r!.encryptedValues.secret).toBeUndefined();
    expect(fr!.encryptedValues.secret).toBe('force-replaced');
    expect(fr!.fields.title).toBeUndefined();
    expect(fetched.errors.map((e) => e.constructor)).toEqual([NotFoundError, NotFoundError]);
  });

  it('an atomic batch applies nothing when one operation fails', async () => {
    const existing = note('atomic-existing', 'T', 's');
    await db.saveRecords(existing);
    const result = await db
      .newRecordsBatch(zoneID)
      .create(note('atomic-new', 'T', 's'))
      .create(note('atomic-existing', 'dup', 's'))
      .commit({ atomic: true });
    expect(result.hasErrors).toBe(true);
    expect(result.errors.some((e) => e instanceof ExistsError)).toBe(true);
    expect(result.errors.some((e) => e instanceof AtomicError)).toBe(true);
    const lookup = await db.fetchRecords('atomic-new', { zoneID });
    expect(lookup.errors[0]).toBeInstanceOf(NotFoundError);
  });

  it('a batch can be committed once', async () => {
    const batch = db.newRecordsBatch(zoneID).create(note('once', 'T', 's'));
    await batch.commit();
    await expect(batch.commit()).rejects.toThrow(/already committed/);
  });
});

describe('convenience methods', () => {
  it('saveRecords creates, then updates with the tag it learned; removals are sent', async () => {
    const r = note('save-1', 'first', 'one');
    r.fields.extra = 'remove me';
    (await db.saveRecords(r)).throwIfErrors();
    r.fields.title = 'second';
    r.encryptedValues.secret = 'two';
    delete r.fields.extra;
    (await db.saveRecords(r)).throwIfErrors();
    const after = await fetchOne('save-1');
    expect(after.fields.title).toBe('second');
    expect(after.encryptedValues.secret).toBe('two');
    expect(after.fields.extra).toBeUndefined();
  });

  it('deleteRecords by record and by name', async () => {
    const a = note('d-a', 'T', 's');
    const b = note('d-b', 'T', 's');
    await db.saveRecords([a, b]);
    (await db.deleteRecords([a, 'd-b'], { zoneID })).throwIfErrors();
    expect((await db.fetchRecords(['d-a', 'd-b'], { zoneID })).errors).toHaveLength(2);
  });

  it('all typed values round-trip, plaintext and encrypted', async () => {
    (await db.saveRecords(new CofferRecord({ recordType: 'Kinds', recordName: 'kinds-parent', zoneID }))).throwIfErrors();
    const r = new CofferRecord({ recordType: 'Kinds', recordName: 'kinds', zoneID });
    const values = {
      s: 'text ✓',
      i: 9007199254740993n,
      d: -1.5,
      t: new Date(1_700_000_000_123),
      b: new Uint8Array([0, 1, 2, 255]),
      l: { latitude: 52.52, longitude: 13.4, altitude: 34 },
      sl: ['a', 'b'],
      tl: [new Date(1), new Date(2)],
    };
    for (const [k, v] of Object.entries(values)) r.encryptedValues[`e${k}`] = v;
    for (const [k, v] of Object.entries(values)) if (k !== 'i') r.fields[`p${k}`] = v;
    r.fields.pi = 42n;
    r.fields.ref = { recordName: 'kinds-parent', action: 'NONE' };
    (await db.saveRecords(r)).throwIfErrors();
    const back = await fetchOne('kinds');
    for (const [k, v] of Object.entries(values)) expect(back.encryptedValues[`e${k}`]).toEqual(v);
    for (const [k, v] of Object.entries(values)) if (k !== 'i') expect(back.fields[`p${k}`]).toEqual(v);
    expect(back.fields.pi).toBe(42n);
    expect(back.fields.ref).toMatchObject({ recordName: 'kinds-parent' });
  });
});
