/**
 * Backoff on THROTTLED / TRY_AGAIN_LATER against a tiny local HTTP stub (not a database:
 * it only plays back canned answers so the test controls timing and codes exactly).
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CofferClient, NetworkError, RetryPolicy, ThrottledError, TryAgainLaterError, memoryKeychains } from '../src/index.js';

interface Canned {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((resolve) => {
    if (server === undefined) resolve();
    else server.close(() => { resolve(); });
  });
  server = undefined;
});

async function stub(answers: Canned[]): Promise<{ url: string; seen: IncomingHttpHeaders[] }> {
  const seen: IncomingHttpHeaders[] = [];
  server = createServer((req, res) => {
    seen.push(req.headers);
    const answer = answers.shift() ?? { status: 500, body: { uuid: 'x', serverErrorCode: 'INTERNAL_ERROR', reason: 'no more answers' } };
    res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
    res.end(JSON.stringify(answer.body));
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

const throttled = (retryAfter?: number): Canned => ({
  status: 429,
  body: { uuid: 't', serverErrorCode: 'THROTTLED', reason: 'slow down', ...(retryAfter === undefined ? {} : { retryAfter }) },
});

describe('retry with backoff', () => {
  it('retries THROTTLED honouring retryAfter, then succeeds', async () => {
    const { url, seen } = await stub([throttled(2), throttled(1), { status: 200, body: { zones: [] } }]);
    const sleeps: number[] = [];
    const client = new CofferClient({
      serverUrl: url,
      keychains: memoryKeychains(),
      session: { sessionToken: 'tok', userRecordName: '_u' },
      deviceId: 'laptop-1',
      retry: {
        sleep: (ms) => {
          sleeps.push(ms);
          return Promise.resolve();
        },
        random: () => 0.5,
      },
    });
    const zones = await client.container('c').privateDatabase.fetchAllRecordZones();
    expect(zones).toEqual([]);
    expect(seen).toHaveLength(3);
    expect(sleeps).toHaveLength(2);
    expect(sleeps[0]).toBeGreaterThanOrEqual(2000);
    expect(sleeps[1]).toBeGreaterThanOrEqual(1000);
    // Every request identifies the SDK and carries the session.
    for (const headers of seen) {
      expect(headers['x-coffer-client']).toBe('sdk');
      expect(headers.authorization).toBe('Bearer tok');
      expect(headers['x-coffer-device-id']).toBe('laptop-1');
    }
  });

  it('gives up after maxAttempts with the typed error and its retryAfter', async () => {
    const { url, seen } = await stub([throttled(1), throttled(1), throttled(7)]);
    const client = new CofferClient({ serverUrl: url, keychains: memoryKeychains(), retry: { maxAttempts: 3, sleep: () => Promise.resolve() } });
    const error = await client.container('c').publicDatabase.fetchAllRecordZones().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ThrottledError);
    expect((error as ThrottledError).retryAfter).toBe(7);
    expect(seen).toHaveLength(3);
  });

  it('retries TRY_AGAIN_LATER using the Retry-After header when the body has none', async () => {
    const { url } = await stub([
      { status: 503, body: { uuid: 'a', serverErrorCode: 'TRY_AGAIN_LATER', reason: 'busy' }, headers: { 'retry-after': '3' } },
      { status: 200, body: { zones: [] } },
    ]);
    const sleeps: number[] = [];
    const client = new CofferClient({ serverUrl: url, keychains: memoryKeychains(), retry: {
        sleep: (ms) => {
          sleeps.push(ms);
          return Promise.resolve();
        },
      },
    });
    await client.container('c').publicDatabase.fetchAllRecordZones();
    expect(sleeps).toHaveLength(1);
    expect(sleeps[0]).toBeGreaterThanOrEqual(3000);
  });

  it('does not retry other errors', async () => {
    const { url, seen } = await stub([{ status: 400, body: { uuid: 'b', serverErrorCode: 'BAD_REQUEST', reason: 'no' } }]);
    const client = new CofferClient({ serverUrl: url, keychains: memoryKeychains(), retry: { sleep: () => Promise.resolve() } });
    await expect(client.container('c').publicDatabase.fetchAllRecordZones()).rejects.toMatchObject({ serverErrorCode: 'BAD_REQUEST' });
    expect(seen).toHaveLength(1);
  });

  it('reports an unreachable server as NetworkError', async () => {
    const { url } = await stub([]);
    await new Promise<void>((resolve) => server!.close(() => { resolve(); }));
    server = undefined;
    const client = new CofferClient({ serverUrl: url, keychains: memoryKeychains() });
    await expect(client.container('c').publicDatabase.fetchAllRecordZones()).rejects.toBeInstanceOf(NetworkError);
  });

  it('backoff is exponential with full jitter and capped', () => {
    const policy = new RetryPolicy({ baseDelayMs: 100, maxDelayMs: 1000, random: () => 0.999 });
    expect(policy.delayMs(1, undefined)).toBeLessThanOrEqual(100);
    expect(policy.delayMs(3, undefined)).toBeGreaterThan(390);
    expect(policy.delayMs(3, undefined)).toBeLessThanOrEqual(400);
    expect(policy.delayMs(10, undefined)).toBeLessThanOrEqual(1000);
    expect(new RetryPolicy({ random: () => 0 }).delayMs(1, undefined)).toBe(0);
    expect(new RetryPolicy({ random: () => 0 }).delayMs(1, 30)).toBe(30_000);
  });

  it('TryAgainLaterError is exported for callers that catch it after retries', () => {
    expect(new TryAgainLaterError({ envelope: { uuid: '', serverErrorCode: 'TRY_AGAIN_LATER', reason: '' } }).serverErrorCode).toBe('TRY_AGAIN_LATER');
  });
});
