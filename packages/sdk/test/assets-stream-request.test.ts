/**
 * postForStream has two transports: node:http (Node) and fetch (browsers, where node:http
 * is missing). Both run the same table of cases against a real local server, so they are
 * pinned to the same behaviour: a 2xx answer streams byte-exact as it arrives; headers and
 * body reach the server as given; error answers become the same typed errors (the error
 * body read at most ERROR_BODY_MAX bytes, never waited for past that); a refused connection
 * is NetworkError; a connection broken mid-answer makes iteration throw; cancel() stops
 * iteration quietly and closes the connection.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_BODY_MAX, postForStreamOverFetch, postForStreamOverNodeHttp, type ByteStream } from '../src/assets/stream-request.js';
import { NetworkError } from '../src/errors.js';
import { NotFoundError, TryAgainLaterError } from '../src/server-errors.js';
import { CLIENT_HEADER } from '../src/transport/http.js';

const MiB = 1024 * 1024;
/** Every case ends in well under a second; a hang fails fast instead of at the suite's 60 s. */
const PROMPTLY = 10_000;

type Handler = (request: IncomingMessage, body: Buffer, response: ServerResponse) => void | Promise<void>;

let server: Server;
let base: string;
let handler: Handler;

beforeAll(async () => {
  server = createServer((request, response) => {
    const parts: Buffer[] = [];
    request.on('data', (piece: Buffer) => parts.push(piece));
    request.on('end', () => {
      // A handler that fails breaks the connection: the client sees it, the run does not crash.
      Promise.resolve()
        .then(() => handler(request, Buffer.concat(parts), response))
        .catch(() => response.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  // Keep-alive sockets of both clients would hold close() open.
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves when the response can take more (or its connection closed: nothing will drain then). */
function drained(response: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      response.off('drain', done);
      response.off('close', done);
      resolve();
    };
    response.on('drain', done);
    response.on('close', done);
  });
}

/** Writes `piece`, waiting out backpressure; false once the connection is gone. */
async function write(response: ServerResponse, piece: Uint8Array): Promise<boolean> {
  if (response.destroyed) return false;
  if (!response.write(piece)) await drained(response);
  return !response.destroyed;
}

/** Resolves when the connection of `request` closes (what the server sees of a cancel). */
function connectionClosed(request: IncomingMessage): Promise<void> {
  return new Promise((resolve) => {
    if (request.socket.destroyed) resolve();
    else request.socket.once('close', () => { resolve(); });
  });
}

async function collect(stream: ByteStream): Promise<Buffer> {
  const pieces: Uint8Array[] = [];
  for await (const piece of stream.pieces) pieces.push(piece);
  return Buffer.concat(pieces);
}

/** The rejection of `promise` (fails the test if it resolves). */
async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

const envelope = (serverErrorCode: string, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({ uuid: 'e-1', serverErrorCode, reason: `because ${serverErrorCode}`, ...extra });

const transports = [
  { name: 'node:http', post: postForStreamOverNodeHttp },
  { name: 'fetch', post: postForStreamOverFetch },
];

describe.each(transports)('postForStream over $name', ({ post }) => {
  const ask = (path = '/stream'): Promise<ByteStream> => post(`${base}${path}`, { 'content-type': 'application/json' }, '{}');

  it('resolves once a 200 answer starts; its pieces arrive as written, byte-exact', async () => {
    const parts = [randomBytes(10), randomBytes(3000), randomBytes(1), randomBytes(70_000), randomBytes(5)];
    let proceed!: () => void;
    const go = new Promise<void>((resolve) => { proceed = resolve; });
    handler = async (_request, _body, response) => {
      response.writeHead(200, { 'content-type': 'application/octet-stream' });
      await write(response, parts[0]!);
      // The rest waits for the client: the first piece must be readable before the answer ends.
      await go;
      for (const part of parts.slice(1)) {
        await sleep(10);
        await write(response, part);
      }
      response.end();
    };
    const stream = await ask();
    const iterator = stream.pieces[Symbol.asyncIterator]();
    const first = await iterator.next();
    expect(first.done).toBe(false);
    expect(Buffer.from(first.value as Uint8Array).equals(parts[0]!)).toBe(true);
    proceed();
    const rest: Uint8Array[] = [];
    for (let next = await iterator.next(); next.done !== true; next = await iterator.next()) rest.push(next.value);
    expect(Buffer.concat(rest).equals(Buffer.concat(parts.slice(1)))).toBe(true);
  }, PROMPTLY);

  it('a large answer (6 MiB, paused now and then) arrives byte-exact', async () => {
    const data = randomBytes(6 * MiB);
    handler = async (_request, _body, response) => {
      response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(data.length) });
      for (let at = 0, n = 0; at < data.length; at += 64 * 1024, n++) {
        if (n % 16 === 15) await sleep(5);
        await write(response, data.subarray(at, at + 64 * 1024));
      }
      response.end();
    };
    const got = await collect(await ask());
    // Buffer.equals, not toEqual: deep equality of MiBs is very slow.
    expect(got.length).toBe(data.length);
    expect(got.equals(data)).toBe(true);
  }, PROMPTLY);

  it('a 2xx answer without a body yields no pieces', async () => {
    handler = (_request, _body, response) => {
      response.writeHead(204);
      response.end();
    };
    expect((await collect(await ask())).length).toBe(0);
  }, PROMPTLY);

  it('sends the method, headers and JSON body as given (UTF-8, with its byte length)', async () => {
    let seen: { method?: string; url?: string; headers: IncomingHttpHeaders; body: Buffer } | undefined;
    handler = (request, body, response) => {
      seen = { method: request.method, url: request.url, headers: request.headers, body };
      response.writeHead(200);
      response.end('ok');
    };
    const body = JSON.stringify({ chunkIds: ['a1', 'b2'], note: 'é ✓ 🔑' });
    const stream = await post(`${base}/database/1/assets/fetch?x=1`, {
      'content-type': 'application/json',
      authorization: 'Bearer token-1',
      accept: 'application/octet-stream',
      [CLIENT_HEADER]: 'sdk',
    }, body);
    expect((await collect(stream)).toString()).toBe('ok');
    expect(seen?.method).toBe('POST');
    expect(seen?.url).toBe('/database/1/assets/fetch?x=1');
    expect(seen?.headers['content-type']).toBe('application/json');
    expect(seen?.headers.authorization).toBe('Bearer token-1');
    expect(seen?.headers.accept).toBe('application/octet-stream');
    expect(seen?.headers[CLIENT_HEADER.toLowerCase()]).toBe('sdk');
    expect(seen?.headers['content-length']).toBe(String(Buffer.byteLength(body)));
    expect(seen?.body.toString('utf8')).toBe(body);
  }, PROMPTLY);

  it.each([
    {
      label: 'a 404 NOT_FOUND envelope is NotFoundError',
      status: 404, headers: {}, body: envelope('NOT_FOUND'),
      type: NotFoundError, fields: { serverErrorCode: 'NOT_FOUND', uuid: 'e-1', reason: 'because NOT_FOUND', httpStatus: 404, retryAfter: undefined },
    },
    {
      label: 'a 503 TRY_AGAIN_LATER envelope is TryAgainLaterError, with Retry-After as retryAfter',
      status: 503, headers: { 'retry-after': '7' }, body: envelope('TRY_AGAIN_LATER'),
      type: TryAgainLaterError, fields: { serverErrorCode: 'TRY_AGAIN_LATER', httpStatus: 503, retryAfter: 7 },
    },
    {
      label: "the envelope's own retryAfter wins over Retry-After",
      status: 503, headers: { 'retry-after': '7' }, body: envelope('TRY_AGAIN_LATER', { retryAfter: 3 }),
      type: TryAgainLaterError, fields: { serverErrorCode: 'TRY_AGAIN_LATER', retryAfter: 3 },
    },
    {
      label: 'an answer that is not the API (a proxy page) is NetworkError with its status',
      status: 502, headers: { 'content-type': 'text/html' }, body: '<html>Bad Gateway</html>',
      type: NetworkError, fields: { serverErrorCode: undefined, httpStatus: 502 },
    },
  ])('$label', async ({ status, headers, body, type, fields }) => {
    handler = (_request, _body, response) => {
      response.writeHead(status, { 'content-type': 'application/json', ...headers });
      response.end(body);
    };
    const error = await failureOf(ask());
    expect(error).toBeInstanceOf(type);
    expect(error).toMatchObject(fields);
  }, PROMPTLY);

  it('an error body is cut at ERROR_BODY_MAX bytes: an envelope inside them is read, one past them is not', async () => {
    const json = envelope('NOT_FOUND');
    // Whitespace around JSON is still JSON: only where the cut falls decides the outcome.
    const within = `${json}${' '.repeat(ERROR_BODY_MAX - json.length)}${'x'.repeat(MiB)}`;
    const across = `${' '.repeat(ERROR_BODY_MAX - json.length + 1)}${json}`;
    handler = (request, _body, response) => {
      response.writeHead(404, { 'content-type': 'application/json' });
      response.end(request.url === '/within' ? within : across);
    };
    expect(await failureOf(ask('/within'))).toBeInstanceOf(NotFoundError);
    const error = await failureOf(ask('/across'));
    expect(error).toBeInstanceOf(NetworkError);
    expect(error).toMatchObject({ httpStatus: 404 });
  }, PROMPTLY);

  it('an error body that never ends is not waited for past ERROR_BODY_MAX; its connection is closed', async () => {
    const json = envelope('NOT_FOUND');
    let closed: Promise<void> | undefined;
    handler = async (request, _body, response) => {
      closed = connectionClosed(request);
      response.writeHead(404, { 'content-type': 'application/json' });
      await write(response, Buffer.from(`${json}${' '.repeat(ERROR_BODY_MAX - json.length)}`));
      while (await write(response, Buffer.alloc(16 * 1024, 0x78))) await sleep(5);
    };
    expect(await failureOf(ask())).toBeInstanceOf(NotFoundError);
    await closed;
  }, PROMPTLY);

  it('an error answer whose connection breaks before its body ends is NetworkError with its status', async () => {
    handler = async (_request, _body, response) => {
      response.writeHead(503, { 'content-type': 'application/json', 'content-length': '1000' });
      await write(response, Buffer.from('{"uuid":"e-1","serverErrorCode":"TRY_'));
      await sleep(20);
      response.socket?.destroy();
    };
    const error = await failureOf(ask());
    expect(error).toBeInstanceOf(NetworkError);
    expect(error).toMatchObject({ httpStatus: 503 });
  }, PROMPTLY);

  it('a refused connection is NetworkError', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise((resolve) => probe.close(resolve));
    const error = await failureOf(post(`http://127.0.0.1:${port}/stream`, { 'content-type': 'application/json' }, '{}'));
    expect(error).toBeInstanceOf(NetworkError);
    expect((error as NetworkError).cause).toBeDefined();
    expect((error as NetworkError).httpStatus).toBeUndefined();
  }, PROMPTLY);

  it.each([
    { label: 'with a Content-Length', headers: { 'content-length': String(MiB) } },
    { label: 'chunked', headers: {} },
  ])('a connection broken mid-answer ($label) makes iteration throw, not end', async ({ headers }) => {
    const sent = randomBytes(200 * 1024);
    handler = async (_request, _body, response) => {
      response.writeHead(200, { 'content-type': 'application/octet-stream', ...headers });
      await write(response, sent);
      await sleep(20);
      response.socket?.destroy();
    };
    const received: Uint8Array[] = [];
    const stream = await ask();
    const error = await failureOf((async () => {
      for await (const piece of stream.pieces) received.push(piece);
    })());
    expect(error).toBeInstanceOf(Error);
    // What did arrive is what was sent, up to the break.
    expect(Buffer.concat(received).equals(sent.subarray(0, Buffer.concat(received).length))).toBe(true);
  }, PROMPTLY);

  it('cancel() between pieces ends iteration with nothing more and closes the connection; the next request works', async () => {
    let closed: Promise<void> | undefined;
    handler = async (request, _body, response) => {
      closed = connectionClosed(request);
      response.writeHead(200, { 'content-type': 'application/octet-stream' });
      // Endless: only the client's cancel ends this answer.
      while (await write(response, randomBytes(64 * 1024)));
    };
    const stream = await ask();
    let before = 0;
    let after = 0;
    for await (const piece of stream.pieces) {
      expect(piece.length).toBeGreaterThan(0);
      if (before < 3) {
        before++;
        if (before === 3) {
          stream.cancel();
          stream.cancel(); // idempotent
        }
      } else after++;
    }
    expect(before).toBe(3);
    expect(after).toBe(0);
    await closed;

    handler = (_request, _body, response) => {
      response.writeHead(200);
      response.end('again');
    };
    expect((await collect(await ask())).toString()).toBe('again');
  }, PROMPTLY);

  it('cancel() while iteration waits for the next piece ends it and closes the connection', async () => {
    let closed: Promise<void> | undefined;
    handler = async (request, _body, response) => {
      closed = connectionClosed(request);
      response.writeHead(200, { 'content-type': 'application/octet-stream' });
      await write(response, randomBytes(1000));
      // Then nothing: the client waits on an open answer until it cancels.
    };
    const stream = await ask();
    let pieces = 0;
    for await (const _piece of stream.pieces) {
      if (++pieces === 1) setTimeout(() => { stream.cancel(); }, 20);
    }
    expect(pieces).toBeGreaterThanOrEqual(1);
    await closed;
  }, PROMPTLY);
});
