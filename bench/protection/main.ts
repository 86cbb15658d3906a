/**
 * `npm run bench -- protection`: the cost of the device features on a real server (SQLite,
 * in this process):
 *  - enabling ADP with key rotation for an account with 1,000 zones (a new service-key
 *    version and a new zone-key version on every zone), against a plain listing of the
 *    same 1,000 zones on the same server;
 *  - a new device joining by approval (request, nonce exchange, approval, keychain key)
 *    and decrypting its first record, against one plain record fetch.
 * Flags: --zones N (default 1000), --quick (200 zones).
 * Last line: {"bench":"protection", …, "ratios": {"enable_adp_vs_list_zones", "join_and_read_vs_fetch"}}.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '@coffer/server';
import { CofferClient, CofferRecord, memoryDeviceStates, memoryKeychains } from '@coffer/sdk';

const args = process.argv.slice(2);
const flag = (name: string, fallback: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const ZONES = args.includes('--quick') ? 200 : flag('zones', 1000);
const CONTAINER = 'iCloud.bench.protection';
const PASSWORD = 'bench password, not secret';

function device(url: string, name: string): CofferClient {
  return new CofferClient({ serverUrl: url, keychains: memoryKeychains(), deviceStates: memoryDeviceStates(), deviceName: name });
}

async function ms<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t = performance.now();
  const value = await work();
  return { ms: Math.round((performance.now() - t) * 10) / 10, value };
}

async function median(runs: number, work: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push((await ms(work)).ms);
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

const dataDir = mkdtempSync(join(tmpdir(), 'coffer-bench-protection-'));
const server = await startServer({ port: 0, dataDir });
try {
  const email = `bench-${Date.now()}@example.com`;
  const first = device(server.url, 'bench laptop');
  await first.register(email, PASSWORD);
  const db = first.container(CONTAINER).privateDatabase;
  const names = Array.from({ length: ZONES }, (_, i) => `zone-${String(i).padStart(4, '0')}`);
  for (let i = 0; i < names.length; i += 200) (await db.saveRecordZones(names.slice(i, i + 200))).throwIfErrors();
  const record = new CofferRecord({ recordType: 'Note', zoneID: { zoneName: names[0]! }, fields: { title: 'plain' }, encryptedValues: { body: 'the first secret a new device reads' } });
  (await db.saveRecords(record)).throwIfErrors();
  await first.recovery.createRecoveryKey();

  const listZones = await median(5, async () => {
    const zones = await first.container(CONTAINER).privateDatabase.fetchAllRecordZones();
    if (zones.length < ZONES) throw new Error('listing lost zones');
  });
  const fetchOne = await median(5, () => first.container(CONTAINER).privateDatabase.fetchRecords(record.recordName, { zoneID: { zoneName: names[0]! } }));

  const enable = await ms(() => first.protection.enableAdp());
  process.stdout.write(`enable ADP with rotation, ${ZONES} zones: ${enable.ms} ms (${enable.value.newServiceKeys} service key(s) rotated, ${enable.value.zonesRekeyed} zone(s) re-keyed)\n`);
  process.stdout.write(`plain listing of the ${ZONES} zones: ${listZones} ms (median of 5)\n`);

  const join = await ms(async () => {
    const phone = device(server.url, 'bench phone');
    await phone.signIn(email, PASSWORD);
    const ticket = await phone.devices.requestJoin();
    let shown: (code: string) => void = () => undefined;
    const code = new Promise<string>((resolve) => {
      shown = resolve;
    });
    const waiting = phone.devices.waitForApproval(ticket.requestId, { pollMs: 10, timeoutMs: 60_000, onCode: shown });
    await first.devices.pendingJoins();
    await first.devices.approveJoinByCode(await code, { waitMs: 10_000, pollMs: 10 });
    await waiting;
    const fetched = await phone.container(CONTAINER).privateDatabase.fetchRecords(record.recordName, { zoneID: { zoneName: names[0]! } });
    const body = fetched.throwIfErrors().records[0]?.encryptedValues.body;
    if (body !== 'the first secret a new device reads') throw new Error('the new device read the wrong thing');
  });
  process.stdout.write(`new device: sign in, join by approval, decrypt its first record: ${join.ms} ms (one plain fetch: ${fetchOne} ms)\n`);

  const ratios = {
    enable_adp_vs_list_zones: Math.round((enable.ms / listZones) * 100) / 100,
    join_and_read_vs_fetch: Math.round((join.ms / fetchOne) * 100) / 100,
  };
  process.stdout.write(
    `${JSON.stringify({
      bench: 'protection',
      zones: ZONES,
      enable_adp_ms: enable.ms,
      list_zones_ms: listZones,
      join_and_first_read_ms: join.ms,
      fetch_record_ms: fetchOne,
      rotated_service_keys: enable.value.newServiceKeys,
      rekeyed_zones: enable.value.zonesRekeyed,
      ratios,
    })}\n`,
  );
} finally {
  await server.close();
  rmSync(dataDir, { recursive: true, force: true });
}
