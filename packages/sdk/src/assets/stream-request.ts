/**
 * A POST whose answer is read as a stream of byte pieces (assets/fetch: tens of MiB per
 * answer, parsed while it arrives). In Node over node:http with the transport's keep-alive agent —
 * like transport/node-http.ts, no web-stream copies — elsewhere through `fetch` and the
 * body's reader. Error answers become the SDK's typed errors exactly as in the Transport:
 * the CloudKit envelope → ServerError subclasses, anything else → NetworkError.
 */
import type { IncomingMessage } from 'node:http';
import { isServerErrorCode, type ErrorEnvelope } from '@coffer/protocol';
import { NetworkError } from '../errors.js';
import { errorFromEnvelope } from '../server-errors.js';
import { clientFor, hasNodeHttp } from '../transport/node-http.js';

/** A streamed answer: its pieces, and how to stop it early (idempotent). */
export interface ByteStream {
  readonly pieces: AsyncIterable<Uint8Array>;
  cancel(): void;
}

/**
 * Bytes of an error answer read to find its envelope. Past them the answer is dropped (its
 * connection closed), not read to an end that a broken proxy or server may never send.
 */
export const ERROR_BODY_MAX = 64 * 1024;

/** POSTs `body` (JSON text) and resolves once a 2xx answer starts; rejects with the typed error otherwise. */
export function postForStream(url: string, headers: Record<string, string>, body: string): Promise<ByteStream> {
  return hasNodeHttp ? postForStreamOverNodeHttp(url, headers, body) : postForStreamOverFetch(url, headers, body);
}

// Both paths are exported (not only the choice above) so that a test can run one table of
// cases against each in Node and pin them to the same behaviour; callers use postForStream.

/** postForStream over node:http (Node's choice). */
export async function postForStreamOverNodeHttp(url: string, headers: Record<string, string>, body: string): Promise<ByteStream> {
  const target = new URL(url);
  const { request: send, agent } = await clientFor(target.protocol);
  const payload = Buffer.from(body, 'utf8');
  return new Promise<ByteStream>((resolve, reject) => {
    const request = send(target, { method: 'POST', agent, headers: { ...headers, 'content-length': String(payload.length) } }, (response: IncomingMessage) => {
      const status = response.statusCode ?? 0;
      if (status >= 200 && status < 300) {
        resolve(streamOf(response));
        return;
      }
      const pieces: Buffer[] = [];
      let length = 0;
      let settled = false;
      const settle = (): void => {
        if (settled) return;
        settled = true;
        const header = response.headers['retry-after'];
        reject(errorOf(url, status, Buffer.concat(pieces).subarray(0, ERROR_BODY_MAX).toString('utf8'), typeof header === 'string' ? header : null));
      };
      response.on('data', (piece: Buffer) => {
        pieces.push(piece);
        length += piece.length;
        if (length >= ERROR_BODY_MAX) {
          settle();
          response.destroy();
        }
      });
      response.on('end', settle);
      response.on('error', (cause) => { reject(new NetworkError(`POST ${url} failed: ${cause.message}`, { cause, httpStatus: status })); });
      // A connection that breaks before the error answer ends may close without 'error'.
      response.on('close', () => { reject(new NetworkError(`POST ${url} failed: the connection closed before the answer ended`, { httpStatus: status })); });
    });
    request.on('error', (cause) => { reject(new NetworkError(`POST ${url} failed: ${cause.message}`, { cause })); });
    request.end(payload);
  });
}

/** Pieces queued before the response is paused (TCP backpressure then reaches the server). */
const QUEUED_PIECES = 8;

/**
 * The response's pieces one by one, as the socket delivered them. Not the stream's own
 * async iterator: that reads in paused mode, and `read()` joins every buffered piece into
 * a new buffer — a copy and an allocation of every byte received.
 */
function streamOf(response: IncomingMessage): ByteStream {
  const queue: Buffer[] = [];
  let ended = false;
  let cancelled = false;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const signal = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  response.on('data', (piece: Buffer) => {
    queue.push(piece);
    if (queue.length >= QUEUED_PIECES) response.pause();
    signal();
  });
  response.on('end', () => {
    ended = true;
    signal();
  });
  response.on('error', (error) => {
    failure = error;
    signal();
  });
  // A destroyed response (cancel(), a reset socket) may close without 'end' or 'error'.
  response.on('close', () => {
    if (!ended) failure ??= new Error('the connection closed before the answer ended');
    signal();
  });
  const pieces: AsyncIterable<Uint8Array> = {
    async *[Symbol.asyncIterator]() {
      for (;;) {
        if (cancelled) return;
        const piece = queue.shift();
        if (piece !== undefined) {
          if (response.isPaused() && queue.length < QUEUED_PIECES / 2) response.resume();
          yield piece;
          continue;
        }
        if (failure !== undefined) throw failure;
        if (ended) return;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
    },
  };
  return {
    pieces,
    // The consumer's own stop: iteration ends quietly with nothing more, as a cancelled
    // fetch body's reader does — not with the failure the destroyed response reports.
    cancel: () => {
      if (cancelled) return;
      cancelled = true;
      queue.length = 0;
      response.destroy();
      signal();
    },
  };
}

/** postForStream over WHATWG fetch (the choice where node:http is missing). */
export async function postForStreamOverFetch(url: string, headers: Record<string, string>, body: string): Promise<ByteStream> {
  let response: Response;
  try {
    response = await globalThis.fetch(url, { method: 'POST', headers, body });
  } catch (cause) {
    throw new NetworkError(`POST ${url} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
  if (!response.ok) throw errorOf(url, response.status, await errorBodyOf(url, response), response.headers.get('retry-after'));
  // A 2xx without a body (204) is an empty answer, not an error: as over node:http.
  if (response.body === null) return { pieces: { async *[Symbol.asyncIterator]() { /* no pieces */ } }, cancel: () => undefined };
  const reader = response.body.getReader();
  return {
    pieces: {
      async *[Symbol.asyncIterator]() {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return;
          yield value;
        }
      },
    },
    cancel: () => { reader.cancel().catch(() => undefined); },
  };
}

/**
 * The first ERROR_BODY_MAX bytes of an error answer as text (cut by bytes, as over
 * node:http); the rest is cancelled, not waited for. A body that breaks off is NetworkError.
 */
async function errorBodyOf(url: string, response: Response): Promise<string> {
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const pieces: Uint8Array[] = [];
  let length = 0;
  try {
    while (length < ERROR_BODY_MAX) {
      const { done, value } = await reader.read();
      if (done) break;
      pieces.push(value);
      length += value.length;
    }
  } catch (cause) {
    throw new NetworkError(`POST ${url} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause, httpStatus: response.status });
  } finally {
    reader.cancel().catch(() => undefined);
  }
  const bytes = new Uint8Array(Math.min(length, ERROR_BODY_MAX));
  let at = 0;
  for (const piece of pieces) {
    if (at >= bytes.length) break;
    const take = piece.subarray(0, bytes.length - at);
    bytes.set(take, at);
    at += take.length;
  }
  return new TextDecoder().decode(bytes);
}

function errorOf(url: string, status: number, text: string, retryAfter: string | null): Error {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (isEnvelope(json)) {
    const seconds = retryAfter === null ? Number.NaN : Number(retryAfter);
    const envelope = json.retryAfter === undefined && Number.isFinite(seconds) && seconds >= 0 ? { ...json, retryAfter: seconds } : json;
    return errorFromEnvelope(envelope, status);
  }
  return new NetworkError(`POST ${url}: HTTP ${status}${text.length > 0 ? `: ${text.slice(0, 200)}` : ''}`, { httpStatus: status });
}

function isEnvelope(value: unknown): value is ErrorEnvelope {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return isServerErrorCode(v.serverErrorCode) && typeof v.reason === 'string';
}
