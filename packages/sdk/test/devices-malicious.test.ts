/**
 * A malicious server: the test edits the server's store directly (SQL on its SQLite file)
 * to inject a device, drop or rewrite a log entry, swap a wrapped key, or flip the ADP
 * flag. Every client refuses: a typed error, never a silent acceptance.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createLogEntry, decodeLogEntry, encodeLogEntry, fromBase64, generateDeviceIdentity, generateKey, Labels, publicIdentity, sealKeyTo, toBase64,
} from '@coffer/crypto';
import { DeviceLogTamperedError, type CofferClient } from '../src/index.js';
import { account, CONTAINER, joinByApproval, readSecret, signedIn, sqliteExec, startHarness, writeSecret, type Harness } from './devices-harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

interface Pair {
  a: CofferClient;
  b: CofferClient;
  owner: string;
  email: string;
}

async function twoDevices(adp = false): Promise<Pair> {
  const { client: a, email } = await account(h.url, 'laptop');
  const b = await signedIn(h.url, email, 'phone');
  await joinByApproval(a, b);
  if (adp) {
    await a.recovery.createRecoveryKey();
    await a.protection.enableAdp();
  }
  // Both devices have verified (and pinned) the current log.
  await a.devices.list();
  await b.devices.list();
  return { a, b, owner: a.session!.userRecordName, email };
}

async function logRows(owner: string): Promise<{ seq: number; entry: string }[]> {
  return sqliteExec<{ seq: number; entry: string }>(h.sqliteFile, 'select seq, entry from device_log where owner = ? order by seq', owner);
}

async function appendRow(owner: string, entry: string): Promise<void> {
  const rows = await logRows(owner);
  await sqliteExec(h.sqliteFile, 'insert into device_log (owner, seq, entry, created_at) values (?, ?, ?, ?)', owner, rows.length, entry, Date.now());
  await sqliteExec(h.sqliteFile, 'update device_account_state set log_length = ? where owner = ?', rows.length + 1, owner);
}

async function expectAllRefuse(p: Pair, reason?: string): Promise<void> {
  for (const client of [p.a, p.b]) {
    const error: unknown = await client.devices.list().then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(DeviceLogTamperedError);
    if (reason !== undefined) expect((error as DeviceLogTamperedError).logReason).toBe(reason);
    // And nothing that depends on the log goes ahead.
    await expect(client.protection.status()).rejects.toBeInstanceOf(DeviceLogTamperedError);
  }
}

describe('a malicious server', () => {
  it('injects a device (an entry signed by a device of its own) → refused', async () => {
    const p = await twoDevices();
    const rows = await logRows(p.owner);
    const last = decodeLogEntry(fromBase64(rows.at(-1)!.entry));
    const intruder = generateDeviceIdentity('server-made');
    const forged = createLogEntry(intruder, last, { kind: 'add-device', subject: publicIdentity(intruder) });
    await appendRow(p.owner, toBase64(encodeLogEntry(forged)));
    await expectAllRefuse(p, 'unknown-signer');
    // A device that never saw the log (fresh sign-in) refuses too.
    await expect(signedIn(h.url, p.email, 'new')).rejects.toBeInstanceOf(DeviceLogTamperedError);
  });

  it('drops the last entry (history the devices already saw) → refused', async () => {
    const p = await twoDevices();
    const rows = await logRows(p.owner);
    await sqliteExec(h.sqliteFile, 'delete from device_log where owner = ? and seq = ?', p.owner, rows.length - 1);
    await sqliteExec(h.sqliteFile, 'update device_account_state set log_length = ? where owner = ?', rows.length - 1, p.owner);
    await expectAllRefuse(p, 'history-rewritten');
  });

  it('drops an entry in the middle → refused', async () => {
    const p = await twoDevices();
    const rows = await logRows(p.owner);
    await sqliteExec(h.sqliteFile, 'delete from device_log where owner = ? and seq = ?', p.owner, 1);
    await sqliteExec(h.sqliteFile, 'update device_log set seq = seq - 1 where owner = ? and seq > 1', p.owner);
    await sqliteExec(h.sqliteFile, 'update device_account_state set log_length = ? where owner = ?', rows.length - 1, p.owner);
    await expectAllRefuse(p);
  });

  it('forges an adp-off (or rewrites an entry) → refused', async () => {
    const p = await twoDevices(true);
    const rows = await logRows(p.owner);
    const last = decodeLogEntry(fromBase64(rows.at(-1)!.entry));
    const forged = createLogEntry(generateDeviceIdentity('x'), last, { kind: 'adp-off', subject: null });
    // Keep the real signer id, so only the signature is wrong.
    const bytes = encodeLogEntry({ ...forged, signerId: last.signerId });
    await appendRow(p.owner, toBase64(bytes));
    await expectAllRefuse(p, 'bad-signature');
  });

  it('swaps a device\'s sealed keychain key (another device\'s copy, or one the server made) → refused', async () => {
    const p = await twoDevices();
    const bId = p.b.devices.currentDeviceId!;
    const aId = p.a.devices.currentDeviceId!;
    const copies = await sqliteExec<{ device_id: string; sealed_key: string }>(h.sqliteFile, 'select device_id, sealed_key from device_keychain_copies where owner = ?', p.owner);
    const aCopy = copies.find((c) => c.device_id === aId)!;
    // b loses its local keychain key (e.g. a new process after a rotation) and must fetch its copy.
    const fresh = async (): Promise<CofferClient> => {
      const { CofferClient: Client, memoryKeychains } = await import('../src/index.js');
      const states = (p.b as unknown as { deviceStates: unknown }).deviceStates;
      const c = new Client({ serverUrl: h.url, keychains: memoryKeychains(), deviceStates: states as never, session: p.b.session! });
      return c;
    };
    await sqliteExec(h.sqliteFile, 'update device_keychain_copies set sealed_key = ? where owner = ? and device_id = ?', aCopy.sealed_key, p.owner, bId);
    await expect((await fresh()).devices.currentKeychainKey()).rejects.toMatchObject({ code: 'SERVER_MISBEHAVED' });
    // A keychain key of the server's own making, sealed to b's public key: opens, but is not the one the log names.
    const bPublic = (await p.a.devices.fetchLog()).state!.devices.find((d) => d.id === bId)!;
    const forged = await sealKeyTo(bPublic.hpkePublicKey, generateKey('keychain'), Labels.deviceKeychain);
    await sqliteExec(h.sqliteFile, 'update device_keychain_copies set sealed_key = ? where owner = ? and device_id = ?', toBase64(forged), p.owner, bId);
    await expect((await fresh()).devices.currentKeychainKey()).rejects.toMatchObject({ code: 'SERVER_MISBEHAVED' });
  });

  it('swaps two wrapped service keys → reads fail loudly, never with the wrong key', async () => {
    const p = await twoDevices(true);
    const where = await writeSecret(p.a, 'swap me');
    await writeSecret(p.a, 'other', undefined);
    // A second category, so there are two keychain-wrapped keys to swap.
    const other = p.a.container(`${CONTAINER}.other`).privateDatabase;
    (await other.saveRecordZones('z')).throwIfErrors();
    const { CofferRecord } = await import('../src/index.js');
    (await other.saveRecords(new CofferRecord({ recordType: 'N', zoneID: { zoneName: 'z' }, encryptedValues: { body: 'x' } }))).throwIfErrors();
    const keys = await sqliteExec<{ key_id: string; wrapped_by_keychain: string; category: string }>(h.sqliteFile, 'select key_id, wrapped_by_keychain, category from service_keys where owner = ?', p.owner);
    const mine = keys.filter((k) => k.category === `app:${CONTAINER}`);
    const theirs = keys.find((k) => k.category === `app:${CONTAINER}.other`)!;
    for (const k of mine) await sqliteExec(h.sqliteFile, 'update service_keys set wrapped_by_keychain = ? where owner = ? and key_id = ?', theirs.wrapped_by_keychain, p.owner, k.key_id);
    // A device that must fetch the service key (nothing cached) refuses.
    const { CofferClient: Client, memoryKeychains } = await import('../src/index.js');
    const c = new Client({ serverUrl: h.url, keychains: memoryKeychains(), deviceStates: (p.b as unknown as { deviceStates: never }).deviceStates, session: p.b.session! });
    await expect(readSecret(c, where)).rejects.toThrow();
  });

  it('flips the ADP flag in its database → the signed log wins: status refuses, and nothing is escrowed', async () => {
    const p = await twoDevices(true);
    await sqliteExec(h.sqliteFile, "update accounts set protection_mode = 'standard' where user_record_name = ?", p.owner);
    for (const client of [p.a, p.b]) {
      await expect(client.protection.status()).rejects.toMatchObject({ code: 'SERVER_MISBEHAVED' });
      expect(await client.devices.protectionMode()).toBe('advanced');
    }
    // A new category's first key: the server now claims Standard, the client still escrows nothing.
    const db = p.b.container(`${CONTAINER}.flip`).privateDatabase;
    (await db.saveRecordZones('z')).throwIfErrors();
    const { CofferRecord } = await import('../src/index.js');
    (await db.saveRecords(new CofferRecord({ recordType: 'N', zoneID: { zoneName: 'z' }, encryptedValues: { body: 'never escrowed' } }))).throwIfErrors();
    const rows = await sqliteExec<{ escrow_sealed: string | null; category: string }>(h.sqliteFile, 'select escrow_sealed, category from service_keys where owner = ?', p.owner);
    expect(rows.find((r) => r.category === `app:${CONTAINER}.flip`)?.escrow_sealed).toBeNull();
    // The other way round: the log says Standard, the server says advanced.
    const q = await twoDevices(false);
    await sqliteExec(h.sqliteFile, "update accounts set protection_mode = 'advanced' where user_record_name = ?", q.owner);
    await expect(q.a.protection.status()).rejects.toMatchObject({ code: 'SERVER_MISBEHAVED' });
  });
});
