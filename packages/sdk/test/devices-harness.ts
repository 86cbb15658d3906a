/**
 * Issue-4 test harness: a real server on a temp data dir (SQLite) and "devices" — SDK
 * clients each with their own keychain and device state (so each has its own identity),
 * plus direct access to the server's SQLite file for the malicious-server tests.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, SQLITE_FILE_NAME } from '@coffer/server';
import { CofferClient, CofferRecord, memoryDeviceStates, memoryKeychains } from '../src/index.js';

export const PASSWORD = 'correct horse battery staple';
export const CONTAINER = 'iCloud.org.coffer.devicetests';

export interface Harness {
  url: string;
  dataDir: string;
  sqliteFile: string;
  close(): Promise<void>;
}

export async function startHarness(): Promise<Harness> {
  const dataDir = mkdtempSync(join(tmpdir(), 'coffer-issue4-'));
  const server = await startServer({ port: 0, dataDir });
  return {
    url: server.url,
    dataDir,
    sqliteFile: join(dataDir, SQLITE_FILE_NAME),
    async close() {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function uniqueEmail(prefix = 'ann'): string {
  return `${prefix}-${randomBytes(5).toString('hex')}@example.com`;
}

/** A separate device: its own keychain and device state, never shared with another client. */
export function device(url: string, name = 'device'): CofferClient {
  return new CofferClient({ serverUrl: url, keychains: memoryKeychains(), deviceStates: memoryDeviceStates(), deviceName: name, retry: { sleep: () => Promise.resolve() } });
}

/** A new account; its first device is returned signed in and trusted. */
export async function account(url: string, name = 'first'): Promise<{ client: CofferClient; email: string }> {
  const email = uniqueEmail();
  const client = device(url, name);
  await client.register(email, PASSWORD);
  return { client, email };
}

/** A second device of the account, signed in but not joined. */
export async function signedIn(url: string, email: string, name = 'second'): Promise<CofferClient> {
  const client = device(url, name);
  await client.signIn(email, PASSWORD);
  return client;
}

/** Saves a record with an encrypted field in its own zone; returns the zone and record name. */
export async function writeSecret(client: CofferClient, secret: string, zoneName = `z-${randomBytes(3).toString('hex')}`): Promise<{ zoneName: string; recordName: string }> {
  const db = client.container(CONTAINER).privateDatabase;
  (await db.saveRecordZones(zoneName)).throwIfErrors();
  const record = new CofferRecord({ recordType: 'Note', zoneID: { zoneName }, fields: { title: 'public title' }, encryptedValues: { body: secret } });
  (await db.saveRecords(record)).throwIfErrors();
  return { zoneName, recordName: record.recordName };
}

/** Reads the encrypted field back (throws if it cannot be decrypted). */
export async function readSecret(client: CofferClient, where: { zoneName: string; recordName: string }): Promise<unknown> {
  const db = client.container(CONTAINER).privateDatabase;
  const result = await db.fetchRecords(where.recordName, { zoneID: { zoneName: where.zoneName } });
  const [record] = result.throwIfErrors().records;
  return record?.encryptedValues.body;
}

/**
 * Runs approval end to end: `newDevice` asks (committing to its nonce), `trusted` answers
 * with its nonce, `newDevice` reveals and shows the code, `trusted` approves by that code.
 * Returns the code both showed.
 */
export async function joinByApproval(trusted: CofferClient, newDevice: CofferClient, approveCode?: (code: string) => string): Promise<string> {
  const ticket = await newDevice.devices.requestJoin();
  let shown: (code: string) => void = () => undefined;
  const code = new Promise<string>((resolve) => {
    shown = resolve;
  });
  const waiting = newDevice.devices.waitForApproval(ticket.requestId, { pollMs: 20, timeoutMs: 20_000, onCode: shown });
  waiting.catch(() => undefined);
  await trusted.devices.pendingJoins(); // answers with this device's nonce
  const seen = await code;
  await trusted.devices.approveJoinByCode(approveCode === undefined ? seen : approveCode(seen), { waitMs: 5000, pollMs: 20 });
  await waiting;
  return seen;
}

/** Raw JSON POST/GET as the client's session, bypassing the SDK (to see what the server stores). */
export async function raw<T>(client: CofferClient, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${client.serverUrl}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json', 'x-coffer-client': 'sdk', authorization: `Bearer ${client.session!.sessionToken}` },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const json = (await response.json()) as T;
  if (!response.ok) throw new Error(`${path}: ${JSON.stringify(json)}`);
  return json;
}

export function dbPath(op: string, container = CONTAINER): string {
  return `/database/1/${container}/development/private/${op}`;
}

/**
 * Tries to open a record's encrypted field with ONLY the given keys (as a thief holding a
 * device's key store would): service keys → the zone key the record names → its record key.
 * True if the record key opens.
 */
export async function opensWith(client: CofferClient, where: { zoneName: string; recordName: string }, keys: readonly SymmetricKeyLike[]): Promise<boolean> {
  const { unwrapKey, fromBase64 } = await import('@coffer/crypto');
  const records = await raw<{ records: { protectionInfo?: { wrappedRecordKey: string; zoneKeyVersion: number } }[] }>(client, dbPath('records/lookup'), { records: [{ recordName: where.recordName }], zoneID: { zoneName: where.zoneName } });
  const info = records.records[0]?.protectionInfo;
  if (info === undefined) throw new Error('record has no protectionInfo');
  const zones = await raw<{ zones: { zoneKeys?: { version: number; serviceKeyId: string; wrappedKey: string }[] }[] }>(client, dbPath('zones/lookup'), { zones: [{ zoneName: where.zoneName }] });
  const zk = zones.zones[0]?.zoneKeys?.find((k) => k.version === info.zoneKeyVersion);
  if (zk === undefined) throw new Error('zone key version missing');
  const services = keys.filter((k) => k.kind === 'service');
  for (const s of services) {
    try {
      const zoneKey = unwrapKey(s as never, fromBase64(zk.wrappedKey), 'zone');
      unwrapKey(zoneKey, fromBase64(info.wrappedRecordKey), 'record');
      return true;
    } catch {
      // next
    }
  }
  return false;
}

export interface SymmetricKeyLike {
  kind: string;
  id: string;
  version: number;
  bytes: Uint8Array;
}

/** Every key a device's keychain holds (keychain key and service keys), as a thief would find them. */
export function storedKeys(client: CofferClient): SymmetricKeyLike[] {
  const doc = (client.keychain() as unknown as { toDocument(): { keychainKey?: string; serviceKeys: { key: string }[] } }).toDocument();
  return [doc.keychainKey, ...doc.serviceKeys.map((s) => s.key)].filter((t): t is string => t !== undefined).map((t) => importKeySync(t));
}

function importKeySync(text: string): SymmetricKeyLike {
  const [, kind, id, version, b64] = text.split(':') as [string, string, string, string, string];
  return { kind, id, version: Number(version), bytes: Uint8Array.from(Buffer.from(b64, 'base64')) };
}

/** Every string value of every table of the server's SQLite database (what a thief of the DB gets). */
export async function sqliteStrings(file: string): Promise<string[]> {
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const tables = db.prepare("select name from sqlite_master where type = 'table'").all() as { name: string }[];
    const out: string[] = [];
    for (const { name } of tables) {
      for (const row of db.prepare(`select * from "${name}"`).all() as Record<string, unknown>[]) {
        for (const value of Object.values(row)) {
          if (typeof value === 'string') out.push(value);
          else if (value instanceof Uint8Array) out.push(Buffer.from(value).toString('base64'));
        }
      }
    }
    return out;
  } finally {
    db.close();
  }
}

/** Runs SQL against the server's SQLite file (the malicious-server tests). */
export async function sqliteExec<T = unknown>(file: string, sql: string, ...params: unknown[]): Promise<T[]> {
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(file, { fileMustExist: true });
  try {
    const statement = db.prepare(sql);
    if (statement.reader) return statement.all(...params) as T[];
    statement.run(...params);
    return [];
  } finally {
    db.close();
  }
}

/**
 * The contact's device, running on its own: answers every recovery request addressed to
 * it (makes a code, posts the challenge, checks the proof, releases the share). `code()`
 * is the person telling the owner the code shown for a request.
 */
export function respond(contact: CofferClient): { code(requestId: string): Promise<string>; stop(): void } {
  const codes = new Map<string, string>();
  let running = true;
  const loop = async (): Promise<void> => {
    while (running) {
      const { prompts, states } = await contact.recovery.startContactResponses();
      for (const p of prompts) codes.set(p.requestId, p.code);
      if (states.size > 0) void contact.recovery.finishContactResponses(states, { pollMs: 20, timeoutMs: 20_000 }).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  void loop().catch(() => undefined);
  return {
    async code(requestId) {
      for (let i = 0; i < 1000; i++) {
        const c = codes.get(requestId);
        if (c !== undefined) return c;
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error('the contact never saw the request');
    },
    stop() {
      running = false;
    },
  };
}
