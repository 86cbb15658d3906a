/**
 * Change sync over HTTP: records/changes, changes/zone, zones/changes, changes/database
 * paging with syncToken/moreComing, expired and foreign tokens, and two clients that
 * interleave writes and deletes and both end equal to the server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ErrorEnvelope, RecordWire, RecordsChangesResponse, ZonesChangesResponse } from '@coffer/protocol';
import { testBackends } from '@coffer/storage';
import { openHarness, type Harness, type TestUser } from './record-harness.js';

/** A syncing client: applies every page of records/changes to its local copy. */
class SyncClient {
  readonly records = new Map<string, RecordWire>();
  private token: string | undefined;
  constructor(
    private readonly h: Harness,
    private readonly zoneName: string,
    private readonly pageSize: number,
    readonly user?: TestUser,
  ) {}

  async pull(): Promise<number> {
    let pages = 0;
    for (;;) {
      const page = await this.h.ok<RecordsChangesResponse>(
        'records/changes',
        { zoneID: { zoneName: this.zoneName }, resultsLimit: this.pageSize, ...(this.token ? { syncToken: this.token } : {}) },
        this.user ? { user: this.user } : {},
      );
      pages++;
      for (const r of page.records) {
        if (r.deleted) this.records.delete(r.recordName);
        else this.records.set(r.recordName, r);
      }
      this.token = page.syncToken;
      if (!page.moreComing) return pages;
    }
  }

  state(): Record<string, string | undefined> {
    const entries: [string, string | undefined][] = [...this.records].map(([n, r]) => [n, r.recordChangeTag]);
    return Object.fromEntries(entries.sort(([a], [b]) => a.localeCompare(b)));
  }
}

for (const backend of testBackends()) {
  describe(`sync (${backend.name})`, () => {
    let h: Harness;
    const zone = (zoneName: string) => h.ok('zones/modify', { operations: [{ operationType: 'create', zone: { zoneID: { zoneName } } }] });
    const write = (zoneName: string, operations: unknown[]) => h.ok('records/modify', { zoneID: { zoneName }, operations });
    const put = (recordName: string, value: number) => ({ operationType: 'forceReplace', record: { recordName, recordType: 'Item', fields: { v: { value, type: 'INT64' } } } });
    const del = (recordName: string) => ({ operationType: 'forceDelete', record: { recordName } });

    beforeAll(async () => {
      h = await openHarness(backend);
    });
    afterAll(async () => {
      await h.close();
    });

    it('records/changes pages with moreComing and reports deletions as deleted: true', async () => {
      await zone('paging');
      await write('paging', Array.from({ length: 5 }, (_, i) => put(`r${i}`, i)));
      await write('paging', [del('r1')]);
      const first = await h.ok<RecordsChangesResponse>('records/changes', { zoneID: { zoneName: 'paging' }, resultsLimit: 2 });
      expect(first.records.map((r) => r.recordName)).toEqual(['r0', 'r2']);
      expect(first.moreComing).toBe(true);
      const second = await h.ok<RecordsChangesResponse>('records/changes', { zoneID: { zoneName: 'paging' }, resultsLimit: 2, syncToken: first.syncToken });
      const third = await h.ok<RecordsChangesResponse>('records/changes', { zoneID: { zoneName: 'paging' }, resultsLimit: 2, syncToken: second.syncToken });
      expect([...second.records, ...third.records].map((r) => [r.recordName, r.deleted])).toEqual([['r3', false], ['r4', false], ['r1', true]]);
      expect(third.moreComing).toBe(false);
      const idle = await h.ok<RecordsChangesResponse>('records/changes', { zoneID: { zoneName: 'paging' }, syncToken: third.syncToken });
      expect(idle).toMatchObject({ records: [], moreComing: false });
    });

    it('a token of another zone, or of a zone deleted and created again, is CHANGE_TOKEN_EXPIRED', async () => {
      await zone('tokA');
      await zone('tokB');
      const tokenA = (await h.ok<RecordsChangesResponse>('records/changes', { zoneID: { zoneName: 'tokA' } })).syncToken;
      const foreign = await h.call('records/changes', { zoneID: { zoneName: 'tokB' }, syncToken: tokenA });
      expect([foreign.statusCode, foreign.json<ErrorEnvelope>().serverErrorCode]).toEqual([410, 'CHANGE_TOKEN_EXPIRED']);
      await h.ok('zones/modify', { operations: [{ operationType: 'delete', zone: { zoneID: { zoneName: 'tokA' } } }] });
      await zone('tokA');
      const reborn = await h.call('records/changes', { zoneID: { zoneName: 'tokA' }, syncToken: tokenA });
      expect(reborn.json<ErrorEnvelope>()).toMatchObject({ serverErrorCode: 'CHANGE_TOKEN_EXPIRED', reason: expect.stringMatching(/deleted and created again/) as unknown });
      const dbToken = (await h.ok<ZonesChangesResponse>('changes/database', {})).syncToken;
      const wrongKind = await h.call('records/changes', { zoneID: { zoneName: 'tokB' }, syncToken: dbToken });
      expect(wrongKind.statusCode).toBe(410);
    });

    it('a token from before purged history is CHANGE_TOKEN_EXPIRED', async () => {
      await zone('purge');
      await write('purge', [put('a', 1)]);
      const token = (await h.ok<RecordsChangesResponse>('records/changes', { zoneID: { zoneName: 'purge' } })).syncToken;
      await write('purge', [del('a')]);
      const database = await h.store.databases.find({ container: 'iCloud.com.example.app', environment: 'development', scope: 'private', owner: h.alice.userRecordName });
      await h.store.databases.purgeHistory(database!.id, Number.MAX_SAFE_INTEGER);
      const expired = await h.call('records/changes', { zoneID: { zoneName: 'purge' }, syncToken: token });
      expect(expired.json<ErrorEnvelope>()).toMatchObject({ serverErrorCode: 'CHANGE_TOKEN_EXPIRED', reason: expect.stringMatching(/purged/) as unknown });
    });

    it('changes/database and zones/changes list changed zones, deletions included, with paging', async () => {
      const bob = await h.signUp(`bob-sync-${backend.name}@example.com`);
      const start = await h.ok<ZonesChangesResponse>('changes/database', {}, { user: bob });
      for (const name of ['z1', 'z2', 'z3']) await h.ok('zones/modify', { operations: [{ operationType: 'create', zone: { zoneID: { zoneName: name } } }] }, { user: bob });
      const page1 = await h.ok<ZonesChangesResponse>('changes/database', { syncToken: start.syncToken, resultsLimit: 2 }, { user: bob });
      expect(page1.zones.map((z) => z.zoneID.zoneName)).toEqual(['z1', 'z2']);
      expect(page1.moreComing).toBe(true);
      await h.ok('records/modify', { zoneID: { zoneName: 'z1' }, operations: [put('x', 1)] }, { user: bob });
      await h.ok('zones/modify', { operations: [{ operationType: 'delete', zone: { zoneID: { zoneName: 'z2' } } }] }, { user: bob });
      const page2 = await h.ok<ZonesChangesResponse>('zones/changes', { syncToken: page1.syncToken }, { user: bob });
      expect(page2.zones.map((z) => [z.zoneID.zoneName, z.deleted ?? false])).toEqual([['z3', false], ['z1', false], ['z2', true]]);
      expect(page2.moreComing).toBe(false);
    });

    it('changes/zone fetches several zones at once and reports a missing one in place', async () => {
      await zone('multi1');
      await write('multi1', [put('m', 1)]);
      const result = await h.ok<{ zones: (RecordsChangesResponse | ErrorEnvelope)[] }>('changes/zone', {
        zones: [{ zoneID: { zoneName: 'multi1' } }, { zoneID: { zoneName: 'nope' } }],
      });
      expect((result.zones[0] as RecordsChangesResponse).records.map((r) => r.recordName)).toEqual(['m']);
      expect(result.zones[1]).toMatchObject({ serverErrorCode: 'ZONE_NOT_FOUND', zoneID: { zoneName: 'nope' } });
    });

    it('two clients interleaving writes and deletes both end equal to the server', async () => {
      await zone('converge');
      const a = new SyncClient(h, 'converge', 3);
      const b = new SyncClient(h, 'converge', 7);
      const names = Array.from({ length: 10 }, (_, i) => `c${i}`);
      const writer = async (seed: number) => {
        for (let round = 0; round < 12; round++) {
          const ops: unknown[] = [put(names[(seed * 3 + round * 7) % names.length]!, seed * 100 + round)];
          if (round % 4 === seed % 4) ops.push(del(names[(seed + round * 3) % names.length]!));
          await write('converge', ops);
          if (round % 3 === 0) await (seed === 1 ? a : b).pull();
        }
      };
      await Promise.all([writer(1), writer(2), a.pull(), b.pull()]);
      await a.pull();
      await b.pull();
      const server = new SyncClient(h, 'converge', 200);
      await server.pull();
      expect(Object.keys(server.state()).length).toBeGreaterThan(0);
      expect(a.state()).toEqual(server.state());
      expect(b.state()).toEqual(server.state());
      // And a lookup of every name agrees with the clients' view.
      const lookup = await h.ok<{ records: (RecordWire | ErrorEnvelope)[] }>('records/lookup', { zoneID: { zoneName: 'converge' }, records: names.map((recordName) => ({ recordName })) });
      const live = lookup.records.filter((r): r is RecordWire => !('serverErrorCode' in r)).map((r) => r.recordName).sort();
      expect(live).toEqual(Object.keys(server.state()));
    });
  });
}
