/**
 * The one place the SDK talks HTTP. Every request carries `X-Coffer-Client: sdk` (so
 * the server hands back device ciphertext as-is instead of trying to decrypt
 * `isEncrypted` fields for a plain web-services client) and, when signed in,
 * `Authorization: Bearer <sessionToken>`. Non-2xx answers with a CloudKit envelope
 * become the typed server errors; anything else becomes a `NetworkError`.
 */
import { isServerErrorCode, type ErrorEnvelope } from '@coffer/protocol';
import { NetworkError } from '../errors.js';
import { errorFromEnvelope } from '../server-errors.js';
import { hasNodeHttp } from './node-http.js';
import { RetryPolicy, type RetryOptions } from './retry.js';

/** The subset of `fetch` the SDK uses; inject your own for tests, proxies or old runtimes. */
export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface TransportOptions {
  serverUrl: string;
  fetch?: FetchLike;
  retry?: RetryOptions;
  /** Sent as `X-Coffer-Device-Id`; the server puts it in the records' `deviceID` stamps. */
  deviceId?: string;
}

/** Header that tells the server this client does its own encryption. */
export const CLIENT_HEADER = 'X-Coffer-Client';

/** node-http.ts, imported once (lazily: browsers never load it). */
let nodeHttpModule: Promise<typeof import('./node-http.js')> | undefined;

export class Transport {
  readonly serverUrl: string;
  private readonly fetchImpl: FetchLike;
  private readonly retry: RetryPolicy;
  private readonly deviceId: string | undefined;
  /** Binary requests over node:http (Node, no injected fetch): see bytes(). */
  private readonly nodeHttp: boolean;
  /** The bearer token sent on every request while set. */
  sessionToken: string | undefined;

  constructor(options: TransportOptions) {
    this.serverUrl = options.serverUrl.replace(/\/+$/, '');
    // Bound to globalThis: calling a detached `fetch` throws "Illegal invocation" in browsers.
    this.fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.retry = new RetryPolicy(options.retry);
    this.deviceId = options.deviceId;
    this.nodeHttp = options.fetch === undefined && hasNodeHttp;
  }

  /** POST a JSON body and parse the JSON answer. */
  post<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('POST', path, body);
  }

  /** GET and parse the JSON answer. */
  get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path, undefined);
  }

  /**
   * A request whose body or answer is not JSON (asset chunks): the same headers, error
   * mapping and THROTTLED / TRY_AGAIN_LATER retries as post/get; resolves to the answer's
   * bytes (at most `maxBytes`). In Node without an injected `fetch` it goes over node:http
   * with keep-alive (node-http.ts: no body copies); otherwise through `fetch`.
   */
  bytes(method: 'GET' | 'POST', path: string, init: { body?: Uint8Array | readonly Uint8Array[]; headers?: Record<string, string>; maxBytes: number; allocate?: (size: number) => Uint8Array }): Promise<Uint8Array> {
    return this.retry.run(async () => {
      const url = `${this.serverUrl}${path}`;
      const headers = { ...this.headers(), ...init.headers };
      let status: number;
      let body: Uint8Array;
      let retryAfter: string | null;
      try {
        if (this.nodeHttp) {
          nodeHttpModule ??= import('./node-http.js');
          const { nodeRequest } = await nodeHttpModule;
          const response = await nodeRequest(url, method, headers, init.body, init.maxBytes, init.allocate);
          ({ status, body } = response);
          const header = response.headers['retry-after'];
          retryAfter = typeof header === 'string' ? header : null;
        } else {
          const sent = init.body === undefined ? undefined : contiguous(init.body);
          const response = await this.fetchImpl(url, { method, headers, ...(sent === undefined ? {} : { body: sent }) });
          status = response.status;
          body = new Uint8Array(await response.arrayBuffer());
          if (body.length > init.maxBytes) throw new Error(`the server sent ${body.length} bytes, more than ${init.maxBytes}`);
          retryAfter = response.headers.get('retry-after');
        }
      } catch (cause) {
        throw new NetworkError(`${method} ${url} failed: ${describe(cause)}`, { cause });
      }
      if (status >= 200 && status < 300) return body;
      const text = new TextDecoder().decode(body.subarray(0, 64 * 1024));
      const json = parseJson(text);
      if (isEnvelope(json)) throw errorFromEnvelope(withRetryAfter(json, retryAfter), status);
      throw new NetworkError(`${method} ${url}: HTTP ${status}${text.length > 0 ? `: ${text.slice(0, 200)}` : ''}`, { httpStatus: status });
    });
  }

  private headers(): Record<string, string> {
    const headers: Record<string, string> = { [CLIENT_HEADER]: 'sdk' };
    if (this.sessionToken !== undefined) headers.authorization = `Bearer ${this.sessionToken}`;
    if (this.deviceId !== undefined) headers['x-coffer-device-id'] = this.deviceId;
    return headers;
  }

  private request<T>(method: 'GET' | 'POST', path: string, body: unknown): Promise<T> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return this.retry.run(() => this.once<T>(method, path, payload));
  }

  private async once<T>(method: 'GET' | 'POST', path: string, payload: string | undefined): Promise<T> {
    const headers: Record<string, string> = { [CLIENT_HEADER]: 'sdk', accept: 'application/json' };
    if (payload !== undefined) headers['content-type'] = 'application/json';
    if (this.sessionToken !== undefined) headers.authorization = `Bearer ${this.sessionToken}`;
    if (this.deviceId !== undefined) headers['x-coffer-device-id'] = this.deviceId;
    const url = `${this.serverUrl}${path}`;
    let status: number;
    let text: string;
    let retryAfter: string | null;
    try {
      if (this.nodeHttp) {
        // node:http here too: a CLI command that only sends JSON then never loads undici
        // (fetch), which costs ~0.1 s of start-up CPU.
        nodeHttpModule ??= import('./node-http.js');
        const { nodeRequest } = await nodeHttpModule;
        const response = await nodeRequest(url, method, headers, payload === undefined ? undefined : new TextEncoder().encode(payload), MAX_JSON_RESPONSE_BYTES);
        status = response.status;
        text = new TextDecoder().decode(response.body);
        const header = response.headers['retry-after'];
        retryAfter = typeof header === 'string' ? header : null;
      } else {
        const response = await this.fetchImpl(url, { method, headers, ...(payload === undefined ? {} : { body: payload }) });
        status = response.status;
        text = await response.text();
        retryAfter = response.headers.get('retry-after');
      }
    } catch (cause) {
      throw new NetworkError(`${method} ${url} failed: ${describe(cause)}`, { cause });
    }
    const json = parseJson(text);
    if (status >= 200 && status < 300) {
      if (json === undefined && text.length > 0) {
        throw new NetworkError(`${method} ${url}: the server answered ${status} with a body that is not JSON`, { httpStatus: status });
      }
      return (json ?? {}) as T;
    }
    if (isEnvelope(json)) throw errorFromEnvelope(withRetryAfter(json, retryAfter), status);
    throw new NetworkError(`${method} ${url}: HTTP ${status}${text.length > 0 ? `: ${text.slice(0, 200)}` : ''}`, { httpStatus: status });
  }
}

/** The largest JSON answer accepted (a records/query page or changes batch is far smaller). */
const MAX_JSON_RESPONSE_BYTES = 256 * 1024 * 1024;

/** One buffer fetch can send (fetch takes no list of parts): parts are joined, a shared buffer copied. */
function contiguous(body: Uint8Array | readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  if (body instanceof Uint8Array) return body.buffer instanceof ArrayBuffer ? (body as Uint8Array<ArrayBuffer>) : body.slice();
  const out = new Uint8Array(body.reduce((n, part) => n + part.byteLength, 0));
  let offset = 0;
  for (const part of body) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}

function parseJson(text: string): unknown {
  if (text.length === 0) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function isEnvelope(value: unknown): value is ErrorEnvelope {
  return typeof value === 'object' && value !== null && isServerErrorCode((value as { serverErrorCode?: unknown }).serverErrorCode);
}

/** Fills `retryAfter` from the standard `Retry-After` header (seconds) when the body lacks it. */
function withRetryAfter(envelope: ErrorEnvelope, header: string | null): ErrorEnvelope {
  if (envelope.retryAfter !== undefined) return envelope;
  const seconds = header === null ? Number.NaN : Number(header);
  return Number.isFinite(seconds) && seconds >= 0 ? { ...envelope, retryAfter: seconds } : envelope;
}

function describe(cause: unknown): string {
  if (cause instanceof Error) {
    const inner = cause.cause instanceof Error ? ` (${cause.cause.message})` : '';
    return `${cause.message}${inner}`;
  }
  return String(cause);
}
