/**
 * Harness for the record-API suites: a real server (buildServer, real auth, real escrow)
 * on a fresh SQLite or PostgreSQL database, users signed up through the real OPAQUE
 * routes, and a `call` that speaks HTTP through fastify.inject.
 */
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { ErrorEnvelope } from '@coffer/protocol';
import type { TestBackend, TestStore } from '@coffer/storage';
import { buildServer } from '../src/index.js';
import { registerUser } from './auth-helpers.js';

export const CONTAINER = 'iCloud.com.example.app';

export interface TestUser {
  token: string;
  userRecordName: string;
}

export interface CallOptions {
  user?: TestUser | null;
  database?: 'private' | 'public' | 'shared';
  environment?: 'development' | 'production';
  container?: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  /** Raw payload instead of JSON.stringify(body). */
  raw?: string;
  query?: Record<string, string>;
}

export interface Harness {
  app: FastifyInstance;
  store: TestStore;
  backend: string;
  /** The first user, created on open. */
  alice: TestUser;
  signUp(email: string): Promise<TestUser>;
  call(operation: string, body?: unknown, options?: CallOptions): Promise<LightMyRequestResponse>;
  /** `call` that expects 200 and returns the JSON. */
  ok<T = Record<string, unknown>>(operation: string, body?: unknown, options?: CallOptions): Promise<T>;
  close(): Promise<void>;
}

let counter = 0;

export async function openHarness(backend: TestBackend, options: { quotaBytes?: number } = {}): Promise<Harness> {
  const store = await backend.open();
  const app = await buildServer({ dataDir: store.testDatabase.dataDir, store, ...(options.quotaBytes === undefined ? {} : { quotaBytes: options.quotaBytes }) });
  const signUp = async (email: string): Promise<TestUser> => {
    const session = await registerUser(app, email, `correct horse battery ${email}`);
    return { token: session.sessionToken, userRecordName: session.userRecordName };
  };
  const alice = await signUp(`alice${++counter}@example.com`);
  const call = (operation: string, body?: unknown, o: CallOptions = {}) =>
    injectJson(app, `/database/1/${o.container ?? CONTAINER}/${o.environment ?? 'development'}/${o.database ?? 'private'}/${operation}`, body, {
      ...o,
      user: o.user === undefined ? alice : o.user,
    });
  return {
    app,
    store,
    backend: backend.name,
    alice,
    signUp,
    call,
    async ok<T>(operation: string, body?: unknown, o?: CallOptions) {
      const response = await call(operation, body, o);
      if (response.statusCode !== 200) throw new Error(`${operation} → ${response.statusCode} ${response.body}`);
      return response.json<T>();
    },
    async close() {
      await app.close();
      await store.close();
    },
  };
}

export interface InjectOptions {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  /** Raw payload instead of JSON.stringify(body). */
  raw?: string;
  query?: Record<string, string>;
  /** Whose bearer token to send; null or absent: no credentials. */
  user?: { token: string } | null;
}

/** One request through fastify.inject as a JSON client would send it (shared by every server harness). */
export function injectJson(app: FastifyInstance, url: string, body: unknown, o: InjectOptions = {}): Promise<LightMyRequestResponse> {
  const method = o.method ?? 'POST';
  return app.inject({
    method,
    url,
    ...(o.query ? { query: o.query } : {}),
    headers: {
      ...(method === 'GET' ? {} : { 'content-type': 'application/json' }),
      ...(o.user ? { authorization: `Bearer ${o.user.token}` } : {}),
      ...o.headers,
    },
    ...(method === 'GET' ? {} : { payload: o.raw ?? JSON.stringify(body ?? {}) }),
  });
}

export function envelopeOf(response: LightMyRequestResponse): ErrorEnvelope {
  return response.json<ErrorEnvelope>();
}

export function isErrorResult(value: unknown): value is ErrorEnvelope {
  return typeof value === 'object' && value !== null && 'serverErrorCode' in value;
}
