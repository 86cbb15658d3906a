/**
 * Harness for the devices/protection/recovery suites: a real server (buildServer with
 * the real auth, escrow and devices routes) on a fresh SQLite or PostgreSQL database,
 * users signed up through the real OPAQUE routes, real signed device-log entries from the
 * crypto core, and `api` calls through fastify.inject (real HTTP handling, no mocks).
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import {
  createLogEntry,
  encodeLogEntry,
  encodePublicIdentity,
  generateDeviceIdentity,
  type DeviceIdentity,
  type DeviceLogBody,
  type DeviceLogEntry,
} from '@coffer/crypto';
import type { ErrorEnvelope } from '@coffer/protocol';
import { sql } from 'kysely';
import type { TestBackend, TestStore } from '@coffer/storage';
import { buildServer } from '../src/index.js';
import { registerUser } from './auth-helpers.js';
import { envelopeOf, injectJson } from './record-harness.js';

export { envelopeOf };

export interface TestUser {
  token: string;
  userRecordName: string;
  email: string;
}

export interface ApiOptions {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  /** Raw payload instead of JSON.stringify(body). */
  raw?: string;
  /** null: no credentials. */
  user?: TestUser | null;
}

export interface DevicesHarness {
  app: FastifyInstance;
  store: TestStore;
  alice: TestUser;
  signUp(name: string): Promise<TestUser>;
  api(path: string, body?: unknown, options?: ApiOptions): Promise<LightMyRequestResponse>;
  /** `api` that expects 200 and returns the JSON. */
  ok<T = Record<string, unknown>>(path: string, body?: unknown, options?: ApiOptions): Promise<T>;
  close(): Promise<void>;
}

let counter = 0;

export async function openDevicesHarness(backend: TestBackend): Promise<DevicesHarness> {
  const store = await backend.open();
  const app = await buildServer({ dataDir: store.testDatabase.dataDir, store });
  const signUp = async (name: string): Promise<TestUser> => {
    const email = `${name}${++counter}@example.com`;
    const session = await registerUser(app, email, `correct horse battery ${email}`);
    return { token: session.sessionToken, userRecordName: session.userRecordName, email };
  };
  const alice = await signUp('alice');
  const api = (path: string, body?: unknown, o: ApiOptions = {}) => injectJson(app, path, body, { ...o, user: o.user === undefined ? alice : o.user });
  return {
    app,
    store,
    alice,
    signUp,
    api,
    async ok<T>(path: string, body?: unknown, o?: ApiOptions) {
      const response = await api(path, body, o);
      if (response.statusCode !== 200) throw new Error(`${path} → ${response.statusCode} ${response.body}`);
      return response.json<T>();
    },
    async close() {
      await app.close();
      await store.close();
    },
  };
}


/** Expects the CloudKit envelope with this code (and reason, if given). */
export function expectError(response: LightMyRequestResponse, code: string, reason?: string | RegExp): ErrorEnvelope {
  const envelope = envelopeOf(response);
  if (envelope.serverErrorCode !== code) throw new Error(`expected ${code}, got ${response.statusCode} ${response.body}`);
  if (typeof envelope.uuid !== 'string') throw new Error('envelope without uuid');
  if (reason !== undefined && !(typeof reason === 'string' ? envelope.reason === reason : reason.test(envelope.reason))) {
    throw new Error(`expected reason ${String(reason)}, got ${envelope.reason}`);
  }
  return envelope;
}

export const b64 = (bytes: Uint8Array | string): string => Buffer.from(bytes).toString('base64');
export const randomB64 = (n: number): string => randomBytes(n).toString('base64');

/** A device-side view of an account's log: real identities, real signed entries. */
export class TestLog {
  readonly entries: DeviceLogEntry[] = [];
  constructor(readonly first: DeviceIdentity = generateDeviceIdentity('first device')) {}

  private next(signer: DeviceIdentity, body: DeviceLogBody): string {
    const entry = createLogEntry(signer, this.entries.at(-1) ?? null, body);
    this.entries.push(entry);
    return b64(encodeLogEntry(entry));
  }
  genesis(): string {
    return this.next(this.first, { kind: 'add-device', subject: this.first });
  }
  addDevice(device: DeviceIdentity, signer = this.first): string {
    return this.next(signer, { kind: 'add-device', subject: device });
  }
  removeDevice(deviceId: string, signer = this.first): string {
    return this.next(signer, { kind: 'remove-device', subject: deviceId });
  }
  adp(on: boolean, signer = this.first): string {
    return this.next(signer, { kind: on ? 'adp-on' : 'adp-off', subject: null });
  }
  get length(): number {
    return this.entries.length;
  }
  /** Another device's copy of this log as it is now (it will go stale when this one appends). */
  fork(): TestLog {
    const copy = new TestLog(this.first);
    copy.entries.push(...this.entries);
    return copy;
  }
}

export function identityB64(device: DeviceIdentity): string {
  return b64(encodePublicIdentity(device));
}

/** Stores a recovery-key record (random opaque bytes: the server never opens it). */
export async function putRecoveryKey(h: DevicesHarness, user: TestUser = h.alice): Promise<void> {
  await h.ok('/recovery/1/recovery-key/put', { recoveryKeyId: 'ab'.repeat(16), salt: randomB64(16), wrappedKeychainKey: randomB64(80), signerPublicKey: randomB64(32) }, { user });
}

/** Appends `entries` at the current length; returns the response. */
export async function append(h: DevicesHarness, entries: string[], expectedLength: number, user: TestUser = h.alice): Promise<LightMyRequestResponse> {
  return h.api('/devices/1/log/append', { entries, expectedLength }, { user });
}

/** Moves a stored expiry into the past — time passing, as the server's clock will see it. */
export async function expireRow(store: TestStore, table: 'device_join_requests' | 'recovery_contact_requests' | 'passcode_enrollments', idColumn: string, id: string): Promise<void> {
  await sql`update ${sql.table(table)} set expires_at = ${Date.now() - 1} where ${sql.ref(idColumn)} = ${id}`.execute(store.db);
}
