/**
 * Test helpers for the auth and escrow suites: a minimal Fastify app with registerAuth,
 * an OPAQUE client (the real library, as a device would run it), and a scanner that
 * looks for a secret anywhere in the database (raw, base64, base64url, hex).
 */
import { readFileSync, existsSync } from 'node:fs';
import Fastify, { type FastifyInstance, type LightMyRequestResponse } from 'fastify';
import * as opaque from '@serenity-kit/opaque';
import { sql } from 'kysely';
import type { ErrorEnvelope, LoginStartResponse, RegisterStartResponse, SessionResponse } from '@coffer/protocol';
import type { TestStore } from '@coffer/storage';
import { authenticate, authenticateApiToken, registerAuth, type AuthOptions } from '../src/auth/index.js';

export interface TestClock {
  now: number;
  advance(ms: number): void;
}

export function testClock(start = Date.UTC(2030, 0, 1)): TestClock {
  const clock = {
    now: start,
    advance(ms: number) {
      clock.now += ms;
    },
  };
  return clock;
}

export interface AuthTestApp {
  app: FastifyInstance;
  clock: TestClock;
  close(): Promise<void>;
}

/** Fastify with the auth routes plus two probe routes that call authenticate()/authenticateApiToken(). */
export async function authApp(store: TestStore, options: Partial<AuthOptions> = {}, clock = testClock()): Promise<AuthTestApp> {
  const app = Fastify({ logger: false });
  await registerAuth(app, { store, dataDir: store.testDatabase.dataDir, clock: () => clock.now, options });
  // Stands in for the record routes' error mapping (duck-typed on serverErrorCode).
  app.setErrorHandler((error: { serverErrorCode?: string; statusCode?: number; toEnvelope?: () => ErrorEnvelope }, _request, reply) => {
    if (error.toEnvelope) return reply.status(error.statusCode ?? 500).send(error.toEnvelope());
    return reply.status(500).send({ serverErrorCode: 'INTERNAL_ERROR', reason: 'internal', uuid: 'x' });
  });
  app.get('/test/whoami', async (request) => (await authenticate(request)) ?? { anonymous: true });
  app.get('/test/public/:container', async (request) => {
    const { container } = request.params as { container: string };
    return (await authenticateApiToken(request, container)) ?? { anonymous: true };
  });
  await app.ready();
  return { app, clock, close: () => app.close() };
}

export async function post(app: FastifyInstance, url: string, body: unknown, token?: string): Promise<LightMyRequestResponse> {
  return app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    payload: JSON.stringify(body),
  });
}

export function envelope(response: LightMyRequestResponse): ErrorEnvelope {
  return response.json<ErrorEnvelope>();
}

export async function registerUser(app: FastifyInstance, email: string, password: string): Promise<SessionResponse> {
  await opaque.ready;
  const { clientRegistrationState, registrationRequest } = opaque.client.startRegistration({ password });
  const start = await post(app, '/auth/1/register/start', { email, registrationRequest });
  if (start.statusCode !== 200) throw new Error(`register/start ${start.statusCode}: ${start.body}`);
  const { registrationRecord } = opaque.client.finishRegistration({
    clientRegistrationState,
    registrationResponse: start.json<RegisterStartResponse>().registrationResponse,
    password,
  });
  const finish = await post(app, '/auth/1/register/finish', { email, registrationRecord });
  if (finish.statusCode !== 200) throw new Error(`register/finish ${finish.statusCode}: ${finish.body}`);
  return finish.json<SessionResponse>();
}

export interface LoginAttempt {
  start: LightMyRequestResponse;
  loginId?: string;
  /** Undefined when the client could not finish (wrong password / unknown user). */
  finishLoginRequest?: string;
}

/**
 * Runs the client side of login/start and (unless `clientFinish` is false — it costs one
 * Argon2id run) the client's finish; does not call login/finish.
 */
export async function startLogin(app: FastifyInstance, email: string, password: string, remoteAddress?: string, clientFinish = true): Promise<LoginAttempt> {
  await opaque.ready;
  const { clientLoginState, startLoginRequest } = opaque.client.startLogin({ password });
  const start = await app.inject({
    method: 'POST',
    url: '/auth/1/login/start',
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify({ email, startLoginRequest }),
    ...(remoteAddress ? { remoteAddress } : {}),
  });
  if (start.statusCode !== 200) return { start };
  const { loginId, loginResponse } = start.json<LoginStartResponse>();
  if (!clientFinish) return { start, loginId };
  const finished = opaque.client.finishLogin({ clientLoginState, loginResponse, password });
  return { start, loginId, ...(finished ? { finishLoginRequest: finished.finishLoginRequest } : {}) };
}

export async function finishLogin(app: FastifyInstance, body: Record<string, unknown>, remoteAddress?: string): Promise<LightMyRequestResponse> {
  return app.inject({
    method: 'POST',
    url: '/auth/1/login/finish',
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify(body),
    ...(remoteAddress ? { remoteAddress } : {}),
  });
}

export async function login(app: FastifyInstance, email: string, password: string, totpCode?: string): Promise<SessionResponse> {
  const attempt = await startLogin(app, email, password);
  if (!attempt.finishLoginRequest) throw new Error(`login failed on the client (status ${attempt.start.statusCode})`);
  const finish = await finishLogin(app, {
    loginId: attempt.loginId,
    finishLoginRequest: attempt.finishLoginRequest,
    ...(totpCode ? { totpCode } : {}),
  });
  if (finish.statusCode !== 200) throw new Error(`login/finish ${finish.statusCode}: ${finish.body}`);
  return finish.json<SessionResponse>();
}

/** The forms a secret could take at rest: raw UTF-8, hex, base64 and base64url at each of the 3 alignments. */
export function secretForms(secret: string | Uint8Array): string[] {
  const bytes = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : Buffer.from(secret);
  const forms = new Set<string>();
  if (typeof secret === 'string') forms.add(secret);
  forms.add(bytes.toString('hex'));
  for (let shift = 0; shift < 3; shift++) {
    const padded = Buffer.concat([Buffer.alloc(shift), bytes]);
    // Drop the characters that depend on neighbouring bytes (alignment prefix and tail).
    const skip = Math.ceil((shift * 4) / 3);
    for (const encoding of ['base64', 'base64url'] as const) {
      const text = padded.toString(encoding).replace(/=+$/, '');
      const core = text.slice(skip, Math.max(skip, text.length - 2));
      if (core.length >= 8) forms.add(core);
    }
  }
  return [...forms];
}

/** Every byte the database holds, as text: the SQLite file (+ WAL), or every PostgreSQL table as text. */
export async function databaseDump(store: TestStore): Promise<string> {
  if (store.kind === 'sqlite') {
    const config = store.testDatabase.config;
    if (config.kind !== 'sqlite') throw new Error('unexpected config');
    let dump = readFileSync(config.file).toString('latin1');
    for (const suffix of ['-wal', '-journal']) {
      if (existsSync(config.file + suffix)) dump += readFileSync(config.file + suffix).toString('latin1');
    }
    return dump;
  }
  const tables = await sql<{ table_name: string }>`
    select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`.execute(store.db);
  let dump = '';
  for (const { table_name } of tables.rows) {
    const rows = await sql<{ row: string }>`select t::text as row from ${sql.table(table_name)} t`.execute(store.db);
    for (const { row } of rows.rows) dump += `${table_name}: ${row}\n`;
  }
  return dump;
}

/** The first form of `secret` found in the database, or null. */
export async function findInDatabase(store: TestStore, secret: string | Uint8Array): Promise<string | null> {
  const dump = await databaseDump(store);
  const lowerDump = dump.toLowerCase();
  for (const form of secretForms(secret)) {
    if (/^[0-9a-f]+$/.test(form) ? lowerDump.includes(form) : dump.includes(form)) return form;
  }
  return null;
}
