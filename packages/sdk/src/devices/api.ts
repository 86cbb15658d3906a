/**
 * HTTP for the device, protection and recovery endpoints (`/devices/1/…`,
 * `/protection/1/…`, `/recovery/1/…`). Like the record transport it sends the session
 * token and turns CloudKit envelopes into the typed server errors; it also names the
 * calling device in the `X-Coffer-Device` header, which `keychain/get` needs.
 */
import { DEVICE_ID_HEADER, isServerErrorCode, type ErrorEnvelope } from '@coffer/protocol';
import { NetworkError, NotSignedInError } from '../errors.js';
import { errorFromEnvelope } from '../server-errors.js';
import type { FetchLike } from '../transport/http.js';
import { CLIENT_HEADER } from '../transport/http.js';

export interface DeviceApiOptions {
  serverUrl: string;
  /** The current session token (read on every request, so sign-in/out is seen). */
  sessionToken: () => string | undefined;
  /** This device's id, when it has an identity for the account. */
  deviceId: () => string | undefined;
  fetch?: FetchLike;
}

export class DeviceApi {
  private readonly fetchImpl: FetchLike;
  readonly serverUrl: string;

  constructor(private readonly options: DeviceApiOptions) {
    this.serverUrl = options.serverUrl.replace(/\/+$/, '');
    this.fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  }

  /** `asDevice` names another device id in the header (a recovery method's keychain copy). */
  post<T>(path: string, body: unknown = {}, asDevice?: string): Promise<T> {
    return this.request<T>('POST', path, JSON.stringify(body), asDevice);
  }

  get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path, undefined);
  }

  private async request<T>(method: 'GET' | 'POST', path: string, payload: string | undefined, asDevice?: string): Promise<T> {
    const token = this.options.sessionToken();
    if (token === undefined) throw new NotSignedInError(path);
    const headers: Record<string, string> = { [CLIENT_HEADER]: 'sdk', accept: 'application/json', authorization: `Bearer ${token}` };
    if (payload !== undefined) headers['content-type'] = 'application/json';
    const deviceId = asDevice ?? this.options.deviceId();
    if (deviceId !== undefined) headers[DEVICE_ID_HEADER] = deviceId;
    const url = `${this.serverUrl}${path}`;
    let response: Response;
    try {
      response = await this.fetchImpl(url, { method, headers, ...(payload === undefined ? {} : { body: payload }) });
    } catch (cause) {
      throw new NetworkError(`${method} ${url} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    }
    const text = await response.text();
    let json: unknown;
    try {
      json = text.length === 0 ? undefined : (JSON.parse(text) as unknown);
    } catch {
      json = undefined;
    }
    if (response.ok) {
      if (json === undefined && text.length > 0) throw new NetworkError(`${method} ${url}: the answer is not JSON`, { httpStatus: response.status });
      return (json ?? {}) as T;
    }
    if (typeof json === 'object' && json !== null && isServerErrorCode((json as { serverErrorCode?: unknown }).serverErrorCode)) {
      throw errorFromEnvelope(json as ErrorEnvelope, response.status);
    }
    throw new NetworkError(`${method} ${url}: HTTP ${response.status}`, { httpStatus: response.status });
  }
}
