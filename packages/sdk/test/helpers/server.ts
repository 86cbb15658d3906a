/**
 * A real Coffer server on a temp data dir (SQLite by default, PostgreSQL when given a
 * URL) and SDK clients against it. Each test file starts its own server on port 0.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { startServer } from '@coffer/server';
import { CofferClient, memoryKeychains, type KeychainFactory } from '../../src/index.js';

export interface TestServer {
  url: string;
  dataDir: string;
  close(): Promise<void>;
}

export async function startTestServer(options: { databaseUrl?: string; dataDir?: string } = {}): Promise<TestServer> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'coffer-sdk-'));
  const server = await startServer({ port: 0, dataDir, ...(options.databaseUrl === undefined ? {} : { databaseUrl: options.databaseUrl }) });
  return {
    url: server.url,
    dataDir,
    async close() {
      await server.close();
      if (options.dataDir === undefined) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

const homes: string[] = [];
afterAll(() => {
  for (const dir of homes.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A fresh `$COFFER_HOME`-style folder, removed after the test file. */
export function tempHome(): string {
  const dir = mkdtempSync(join(tmpdir(), 'coffer-home-'));
  homes.push(dir);
  return dir;
}

export function uniqueEmail(prefix = 'user'): string {
  return `${prefix}-${randomBytes(6).toString('hex')}@example.com`;
}

export const PASSWORD = 'correct horse battery staple';

/** A client with its own in-memory keychains (a separate "device"). */
export function newClient(url: string, keychains: KeychainFactory = memoryKeychains()): CofferClient {
  // Tests never wait for real backoff.
  return new CofferClient({ serverUrl: url, keychains, retry: { sleep: () => Promise.resolve() } });
}

/** A registered, signed-in client. */
export async function newAccount(url: string, keychains?: KeychainFactory): Promise<{ client: CofferClient; email: string }> {
  const email = uniqueEmail();
  const client = newClient(url, keychains);
  await client.register(email, PASSWORD);
  return { client, email };
}

/** Raw HTTP against the record API, bypassing the SDK (tampering, plain clients). */
export async function rawPost(url: string, path: string, body: unknown, headers: Record<string, string>): Promise<{ status: number; json: unknown }> {
  const response = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: response.status, json: (await response.json()) as unknown };
}
