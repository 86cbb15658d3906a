/** performQuery and fetchZoneChanges / fetchDatabaseChanges paging through async iterators. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BadRequestError, CofferRecord, type Database } from '../src/index.js';
import { newAccount, startTestServer, type TestServer } from './helpers/server.js';

const zoneID = { zoneName: 'pages' };
let server: TestServer;
let db: Database;

beforeAll(async () => {
  server = await startTestServer();
  const { client } = await newAccount(server.url);
  db = client.container('com.example.pages').privateDatabase;
  (await db.saveRecordZones(zoneID)).throwIfErrors();
  const records = Array.from({ length: 7 }, (_, i) => {
    const r = new CofferRecord({ recordType: 'Item', recordName: `item-${i}`, zoneID });
    r.fields.rank = BigInt(i);
    r.fields.label = i % 2 === 0 ? 'even' : 'odd';
    r.encryptedValues.secret = `secret-${i}`;
    return r;
  });
  (await db.saveRecords(records)).throwIfErrors();
});
afterAll(async () => {
  await server.close();
});

describe('performQuery', () => {
  it('pages with continuationMarker and decrypts every record', async () => {
    const pages = await db.performQuery({ recordType: 'Item', sortBy: [{ fieldName: 'rank', ascending: true }] }, { zoneID, resultsLimit: 3 }).all();
    expect(pages.map((p) => p.records.length)).toEqual([3, 3, 1]);
    expect(pages[0]!.continuationMarker).toBeTypeOf('string');
    expect(pages[2]!.continuationMarker).toBeUndefined();
    const all = pages.flatMap((p) => p.records);
    expect(all.map((r) => r.recordName)).toEqual(Array.from({ length: 7 }, (_, i) => `item-${i}`));
    expect(all.map((r) => r.encryptedValues.secret)).toEqual(Array.from({ length: 7 }, (_, i) => `secret-${i}`));
  });

  it('filters with device values (bigint, strings) and sorts descending', async () => {
    const records: CofferRecord[] = [];
    for await (const page of db.performQuery(
      {
        recordType: 'Item',
        filterBy: [
          { fieldName: 'label', comparator: 'EQUALS', fieldValue: 'even' },
          { fieldName: 'rank', comparator: 'GREATER_THAN', fieldValue: 1n },
        ],
        sortBy: [{ fieldName: 'rank', ascending: false }],
      },
      { zoneID, resultsLimit: 1 },
    )) {
      records.push(...page.records);
    }
    expect(records.map((r) => r.fields.rank)).toEqual([6n, 4n, 2n]);
  });

  it('refuses to filter on an encrypted field with BAD_REQUEST', async () => {
    const pages = db.performQuery({ recordType: 'Item', filterBy: [{ fieldName: 'secret', comparator: 'EQUALS', fieldValue: 'secret-1' }] }, { zoneID });
    const error = await pages.all().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadRequestError);
    expect((error as BadRequestError).reason).toMatch(/encrypted/i);
  });
});

describe('fetchZoneChanges', () => {
  it('pages with moreComing and ends on the server state', async () => {
    const pages = await db.fetchZoneChanges(zoneID, { resultsLimit: 2 }).all();
    expect(pages.length).toBeGreaterThanOrEqual(4);
    expect(pages.slice(0, -1).every((p) => p.moreComing)).toBe(true);
    expect(pages.at(-1)!.moreComing).toBe(false);
    const names = new Set(pages.flatMap((p) => p.changed.map((r) => r.recordName)));
    expect(names.size).toBe(7);
    expect(pages.flatMap((p) => p.changed).every((r) => typeof r.encryptedValues.secret === 'string')).toBe(true);
  });

  it('resumes from a token: only later changes, deletions by name', async () => {
    const first = await db.fetchZoneChanges(zoneID).all();
    const token = first.at(-1)!.syncToken;
    const changed = new CofferRecord({ recordType: 'Item', recordName: 'item-1', zoneID });
    changed.encryptedValues.secret = 'changed';
    (await db.saveRecords(changed, { operationType: 'forceUpdate' })).throwIfErrors();
    (await db.deleteRecords('item-2', { zoneID })).throwIfErrors();
    const next = await db.fetchZoneChanges(zoneID, { syncToken: token }).all();
    expect(next.flatMap((p) => p.changed.map((r) => [r.recordName, r.encryptedValues.secret]))).toEqual([['item-1', 'changed']]);
    expect(next.flatMap((p) => p.deleted)).toEqual(['item-2']);
    const none = await db.fetchZoneChanges(zoneID, { syncToken: next.at(-1)!.syncToken }).all();
    expect(none.flatMap((p) => p.records)).toEqual([]);
  });
});

describe('fetchRecordZoneChanges (several zones, one request)', () => {
  it('returns one page per zone and a typed error for a missing zone', async () => {
    const outcomes = await db.fetchRecordZoneChanges([{ zoneID }, { zoneID: { zoneName: 'no-such-zone' } }]);
    expect(outcomes).toHaveLength(2);
    const [ok, missing] = outcomes;
    if (!ok?.ok) throw new Error('expected the first zone to succeed');
    expect(ok.value.changed.length).toBeGreaterThan(0);
    expect(ok.value.changed.every((r) => typeof r.encryptedValues.secret === 'string')).toBe(true);
    expect(missing?.ok).toBe(false);
    if (missing?.ok === false) expect(missing.error.serverErrorCode).toBe('ZONE_NOT_FOUND');
  });
});

describe('fetchDatabaseChanges', () => {
  it('lists changed zones and pages to the end', async () => {
    (await db.saveRecordZones(['extraA', 'extraB'])).throwIfErrors();
    const pages = await db.fetchDatabaseChanges({ resultsLimit: 1 }).all();
    const names = pages.flatMap((p) => p.zones.map((z) => z.zoneID.zoneName));
    expect(names).toEqual(expect.arrayContaining(['pages', 'extraA', 'extraB']));
    expect(pages.at(-1)!.moreComing).toBe(false);
    const token = pages.at(-1)!.syncToken;
    (await db.deleteRecordZones('extraB')).throwIfErrors();
    const after = await db.fetchDatabaseChanges({ syncToken: token }).all();
    const zones = after.flatMap((p) => p.zones);
    expect(zones.map((z) => z.zoneID.zoneName)).toContain('extraB');
    expect(zones.find((z) => z.zoneID.zoneName === 'extraB')?.deleted).toBe(true);
  });

  it('fetchAllRecordZones / fetchRecordZones', async () => {
    const all = await db.fetchAllRecordZones();
    expect(all.map((z) => z.zoneID.zoneName)).toEqual(expect.arrayContaining(['_defaultZone', 'pages', 'extraA']));
    const lookup = await db.fetchRecordZones(['pages', 'missing-zone']);
    expect(lookup.zones.map((z) => z.zoneID.zoneName)).toEqual(['pages']);
    expect(lookup.errors[0]?.serverErrorCode).toBe('ZONE_NOT_FOUND');
  });
});
