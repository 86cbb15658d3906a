/**
 * Binary requests over Node's own http/https with a keep-alive agent — the asset path's
 * fast lane in Node. `fetch` (undici) copies every request body and runs it through web
 * streams; for hundreds of MiB of chunks that copy and its garbage cost more CPU than the
 * encryption. Loaded lazily: browsers never import node:http.
 */
import type { Agent, IncomingHttpHeaders } from 'node:http';

export interface BinaryResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Uint8Array;
}

interface Client {
  request: typeof import('node:http').request;
  agent: Agent;
}

// Resolved once per protocol: under a module loader with hooks (tsx) every dynamic import()
// is a round trip to the loader thread, which per request adds up to real CPU.
const clients = new Map<string, Promise<Client>>();

/** One keep-alive agent per protocol, shared by every binary request (assets/stream-request.ts too); its idle sockets do not keep the process alive. */
export function clientFor(protocol: string): Promise<Client> {
  let client = clients.get(protocol);
  if (client === undefined) {
    client = (protocol === 'https:' ? import('node:https') : import('node:http')).then((m) => ({
      request: m.request,
      agent: new m.Agent({ keepAlive: true, maxSockets: 16 }),
    }));
    clients.set(protocol, client);
  }
  return client;
}

/** True where node:http exists (Node, not browsers or workers without it). */
export const hasNodeHttp = typeof process !== 'undefined' && process.versions.node !== undefined;

export async function nodeRequest(
  url: string, method: 'GET' | 'POST', headers: Record<string, string>, body: Uint8Array | readonly Uint8Array[] | undefined, maxBytes: number,
  allocate: (size: number) => Uint8Array = (size) => new Uint8Array(size),
): Promise<BinaryResponse> {
  const target = new URL(url);
  const { request: send, agent } = await clientFor(target.protocol);
  // A body in parts (a chunk batch: frame headers and ciphertexts) is written part by part
  // in one corked writev: never concatenated into one buffer.
  const parts = body === undefined ? [] : body instanceof Uint8Array ? [body] : body;
  const length = parts.reduce((n, part) => n + part.byteLength, 0);
  return new Promise<BinaryResponse>((resolve, reject) => {
    const request = send(target, { method, agent, headers: { ...headers, 'content-length': String(length) } }, (response) => {
      const declared = Number(response.headers['content-length'] ?? Number.NaN);
      if (declared > maxBytes) {
        response.destroy();
        reject(new Error(`the server sent ${declared} bytes, more than ${maxBytes}`));
        return;
      }
      // With a Content-Length the body goes straight into one buffer of that size.
      let out = Number.isSafeInteger(declared) ? allocate(declared) : undefined;
      const pieces: Buffer[] = [];
      let length = 0;
      response.on('data', (piece: Buffer) => {
        if (length + piece.length > maxBytes) {
          response.destroy(new Error(`the server sent more than ${maxBytes} bytes`));
          return;
        }
        if (out !== undefined && length + piece.length <= out.length) out.set(piece, length);
        else {
          out = undefined;
          pieces.push(piece);
        }
        length += piece.length;
      });
      response.on('end', () => {
        const bytes = out !== undefined && length === out.length ? out : new Uint8Array(Buffer.concat(pieces, length));
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: bytes });
      });
      response.on('error', reject);
    });
    request.on('error', reject);
    request.cork();
    for (const part of parts) request.write(Buffer.from(part.buffer, part.byteOffset, part.byteLength));
    request.end();
  });
}
