/**
 * Sync convergence: two devices of one account (separate keychains) interleave
 * creates, updates and deletes in one zone; each keeps a local cache fed only by
 * fetchZoneChanges from its own token. Both must end equal to the server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CofferRecord, type CofferClient, type Database } from '../src/index.js';
import { PASSWORD, newAccount, newClient, startTestServer, type TestServer } from './helpers/server.js';

const CONTAINER = 'com.example.sync';
const zoneID = { zoneName: 'shared-notes' };
let server: TestServer;
let deviceA: CofferClient;
let deviceB: CofferClient;

beforeAll(async () => {
  server = await startTestServer();
  const account = await newAccount(server.url);
  deviceA = account.client;
  deviceB = newClient(server.url);
  await deviceB.signIn(account.email, PASSWORD);
  (await deviceA.container(CONTAINER).privateDatabase.saveRecordZones(zoneID)).throwIfErrors();
});
afterAll(async () => {
  await server.close();
});

/** A device's local replica: record name → (encrypted body, plain title). */
class Replica {
  readonly cache = new Map<string, { title: unknown; body: unknown }>();
  private token: string | undefined;
  constructor(readonly db: Database) {}
  async sync(resultsLimit: number): Promise<void> {
    for await (const page of this.db.fetchZoneChanges(zoneID, { ...(this.token === undefined ? {} : { syncToken: this.token }), resultsLimit })) {
      for (const r of page.changed) this.cache.set(r.recordName, { title: r.fields.title, body: r.encryptedValues.body });
      for (const name of page.deleted) this.cache.delete(name);
      this.token = page.syncToken;
    }
  }
}

async function serverState(db: Database): Promise<Map<string, { title: unknown; body: unknown }>> {
  const state = new Map<string, { title: unknown; body: unknown }>();
  for await (const page of db.performQuery({ recordType: 'Note' }, { zoneID, resultsLimit: 50 })) {
    for (const r of page.records) state.set(r.recordName, { title: r.fields.title, body: r.encryptedValues.body });
  }
  return state;
}

function sorted(map: Map<string, unknown>): [string, unknown][] {
  return [...map.entries()].sort(([a], [b]) => a.localeCompare(b));
}

describe('two writers converge', () => {
  it('interleaved writes and deletes, partial syncs in between', async () => {
    const a = new Replica(deviceA.container(CONTAINER).privateDatabase);
    const b = new Replica(deviceB.container(CONTAINER).privateDatabase);
    // Deterministic pseudo-random choices (the interleaving of concurrent requests is not).
    let seed = 7;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const act = async (writer: Replica, step: number): Promise<void> => {
      const name = `note-${rand(12)}`;
      if (rand(4) === 3) {
        await writer.db.deleteRecords(name, { zoneID });
        return;
      }
      const r = new CofferRecord({ recordType: 'Note', recordName: name, zoneID });
      r.fields.title = `t${step}`;
      r.encryptedValues.body = `body written at step ${step}`;
      const result = await writer.db.saveRecords(r, { operationType: 'forceReplace' });
      expect(result.errors).toEqual([]);
    };
    for (let step = 0; step < 40; step++) {
      // Both devices write at the same time, sometimes to the same record.
      await Promise.all([act(a, step), act(b, step)]);
      if (rand(4) === 0) await Promise.all([a.sync(1 + rand(4)), b.sync(1 + rand(4))]);
    }
    await a.sync(3);
    await b.sync(5);
    const truth = await serverState(a.db);
    expect(truth.size).toBeGreaterThan(0);
    expect(sorted(a.cache)).toEqual(sorted(truth));
    expect(sorted(b.cache)).toEqual(sorted(truth));
  });
});
