/**
 * Fetches many chunks at once through `assets/fetch` (Chunk fetch stream v1, docs/PROTOCOL.md)
 * and hands them out verified and decrypted, as they arrive:
 *
 *   refs ─dedupe─▶ batches (≤ batchBytes of ciphertext, ≤ AssetFetch.maxIds ids)
 *        ─▶ `requests` POSTs in flight (2) ─▶ frames parsed while the answer streams in
 *        ─▶ ChunkOpener (this thread, recycled buffers; or the worker pool) ─▶ caller
 *
 * One request per chunk (assets/download) cost each chunk an authentication, a database
 * lookup and a round trip; batches cost that once per ~16 MiB. Nothing is held per batch
 * but one ciphertext buffer per answer being read and at most `maxOpen` opened chunks the
 * caller has not released yet — reading pauses (TCP backpressure reaches the server)
 * until the caller releases one.
 *
 * Every frame is checked against what the manifest says before any byte is kept: its
 * length must be the ciphertext size of the chunk's plaintext size (else DecryptionError,
 * as for a swapped chunk — and a lying length cannot make us allocate), and its bytes must
 * open under the chunk's key with its id as AD. A NOT_FOUND frame is NotFoundError; a
 * truncated or overlong answer is NetworkError. Any failure stops every request.
 */
import { assetChunkCiphertextSize, chunkIdToString, CryptoError, DecryptionError, type AssetChunkRef } from '@coffer/crypto';
import { AssetFetch, type AssetsFetchRequest } from '@coffer/protocol';
import type { DatabaseContext } from '../database-context.js';
import { CofferError, NetworkError } from '../errors.js';
import { errorFromEnvelope } from '../server-errors.js';
import { CLIENT_HEADER } from '../transport/http.js';
import { RetryPolicy, type RetryOptions } from '../transport/retry.js';
import type { AssetRequestCounters } from './asset-api.js';
import { InlineChunkOpener, type ChunkOpener } from './chunk-opener.js';
import { postForStream } from './stream-request.js';

export interface ChunkFetcherOptions {
  /** Ciphertext bytes asked for per request (default 16 MiB; at most AssetFetch.maxBytes). */
  batchBytes?: number;
  /**
   * Requests in flight (default 2: one answer streams while the next is already under way;
   * more only left more of the server's read buffers waiting on a busy client).
   */
  requests?: number;
  /** Opened chunks handed out and not yet released before reading pauses (default 12). */
  maxOpen?: number;
  /** Who verifies and decrypts (default: this thread, recycled buffers). */
  opener?: ChunkOpener;
  /** THROTTLED / TRY_AGAIN_LATER before an answer starts are retried with this policy. */
  retry?: RetryOptions;
}

/** A verified, decrypted chunk. `plaintext` is valid until `release()` (its buffer is reused after). */
export interface OpenedChunk {
  readonly ref: AssetChunkRef;
  /** The chunk id as the server names it. */
  readonly idText: string;
  readonly plaintext: Uint8Array;
  release(): void;
}

interface Wanted {
  ref: AssetChunkRef;
  idText: string;
  size: number;
}

const MiB = 1024 * 1024;

/** Counts opened-but-unreleased chunks; acquire waits for a free slot. */
class Slots {
  #free: number;
  readonly #waiters: { resolve: () => void; reject: (error: Error) => void }[] = [];
  #closed: Error | undefined;

  constructor(count: number) {
    this.#free = count;
  }

  acquire(): Promise<void> {
    if (this.#closed !== undefined) return Promise.reject(this.#closed);
    if (this.#free > 0) {
      this.#free--;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  release(): void {
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) waiter.resolve();
    else this.#free++;
  }

  close(error: Error): void {
    this.#closed = error;
    for (const waiter of this.#waiters.splice(0)) waiter.reject(error);
  }
}

export class ChunkFetcher {
  readonly #ctx: DatabaseContext;
  readonly #counters: AssetRequestCounters | undefined;
  readonly #batchBytes: number;
  readonly #requests: number;
  readonly #maxOpen: number;
  readonly #opener: ChunkOpener;
  readonly #retry: RetryPolicy;

  constructor(ctx: DatabaseContext, options: ChunkFetcherOptions = {}, counters?: AssetRequestCounters) {
    this.#ctx = ctx;
    this.#counters = counters;
    this.#batchBytes = Math.min(AssetFetch.maxBytes, Math.max(1, options.batchBytes ?? 16 * MiB));
    this.#requests = Math.max(1, Math.floor(options.requests ?? 2));
    this.#maxOpen = Math.max(1, Math.floor(options.maxOpen ?? 12));
    this.#opener = options.opener ?? new InlineChunkOpener();
    this.#retry = new RetryPolicy(options.retry);
  }

  /**
   * Each distinct chunk of `refs` (by id) once, verified and decrypted, in the order the
   * server's answers deliver them (not `refs` order). Call `release()` on each when done
   * with its plaintext. Stopping the iteration early cancels the requests.
   * @throws DecryptionError (corrupted, swapped or resized chunk), NotFoundError (a chunk
   * the server does not store), NetworkError, or the server's typed error.
   */
  async *open(refs: Iterable<AssetChunkRef>): AsyncGenerator<OpenedChunk> {
    const batches = this.#batches(refs);
    const ready: OpenedChunk[] = [];
    const streams = new Set<{ cancel(): void }>();
    const slots = new Slots(this.#maxOpen);
    let failure: { error: unknown } | undefined;
    let closed = false;
    let wake: (() => void) | undefined;
    const signal = (): void => {
      const w = wake;
      wake = undefined;
      w?.();
    };
    let active = 0;
    let next = 0;
    const fail = (error: unknown): void => {
      failure ??= { error };
      signal();
    };
    const emit = (chunk: OpenedChunk): void => {
      if (closed) chunk.release();
      else {
        ready.push(chunk);
        signal();
      }
    };
    const start = (): void => {
      while (!closed && failure === undefined && active < this.#requests && next < batches.length) {
        const batch = batches[next++]!;
        active++;
        this.#fetchBatch(batch, slots, streams, emit, () => closed).then(() => {
          active--;
          start();
          signal();
        }, (error: unknown) => {
          active--;
          fail(error);
        });
      }
    };
    start();
    try {
      for (;;) {
        if (failure !== undefined) throw failure.error;
        const chunk = ready.shift();
        if (chunk !== undefined) {
          yield chunk;
          continue;
        }
        if (active === 0 && next >= batches.length) return;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
    } finally {
      closed = true;
      slots.close(new Error('chunk fetch stopped'));
      for (const stream of streams) stream.cancel();
      for (const chunk of ready.splice(0)) chunk.release();
    }
  }

  /** Distinct refs in first-seen order, cut into requests by ciphertext bytes and id count. */
  #batches(refs: Iterable<AssetChunkRef>): Wanted[][] {
    const seen = new Set<string>();
    const batches: Wanted[][] = [];
    let batch: Wanted[] = [];
    let bytes = 0;
    for (const ref of refs) {
      const idText = chunkIdToString(ref.id);
      if (seen.has(idText)) continue;
      seen.add(idText);
      const size = assetChunkCiphertextSize(ref.size);
      if (batch.length > 0 && (bytes + size > this.#batchBytes || batch.length >= AssetFetch.maxIds)) {
        batches.push(batch);
        batch = [];
        bytes = 0;
      }
      batch.push({ ref, idText, size });
      bytes += size;
    }
    if (batch.length > 0) batches.push(batch);
    return batches;
  }

  /** One request: POST the ids, parse the frames as they arrive, open each chunk. */
  async #fetchBatch(
    batch: readonly Wanted[], slots: Slots, streams: Set<{ cancel(): void }>, emit: (chunk: OpenedChunk) => void, isClosed: () => boolean,
  ): Promise<void> {
    const url = `${this.#ctx.transport.serverUrl}${this.#ctx.path('assets/fetch')}`;
    const body: AssetsFetchRequest = { chunkIds: batch.map((w) => w.idText) };
    const headers: Record<string, string> = { [CLIENT_HEADER]: 'sdk', 'content-type': 'application/json', accept: 'application/octet-stream' };
    const token = this.#ctx.transport.sessionToken;
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    const stream = await this.#retry.run(() => postForStream(url, headers, JSON.stringify(body)));
    streams.add(stream);
    if (isClosed()) stream.cancel();
    const opener = this.#opener;
    let versionSeen = false;
    const header = new Uint8Array(AssetFetch.frameHeaderBytes);
    let headerFill = 0;
    let index = 0;
    let frame: Uint8Array | undefined;
    let filled = 0;

    // Hands a completed frame to the opener once a slot is free, then out to the caller.
    const open = async (wanted: Wanted, ciphertext: Uint8Array): Promise<void> => {
      await slots.acquire();
      let opened;
      try {
        opened = await opener.open(wanted.ref, ciphertext);
      } catch (error) {
        slots.release();
        throw error;
      }
      let released = false;
      emit({
        ref: wanted.ref,
        idText: wanted.idText,
        plaintext: opened.plaintext,
        release: () => {
          if (released) return;
          released = true;
          opened.release();
          slots.release();
        },
      });
    };

    try {
      for await (const piece of stream.pieces) {
        let at = 0;
        while (at < piece.length) {
          if (!versionSeen) {
            if (piece[at] !== AssetFetch.version) throw new NetworkError(`assets/fetch: unknown stream version ${String(piece[at])}`);
            versionSeen = true;
            at++;
            continue;
          }
          if (frame === undefined) {
            if (index >= batch.length) throw new NetworkError('assets/fetch: the server sent more frames than chunks were asked for');
            const take = Math.min(header.length - headerFill, piece.length - at);
            header.set(piece.subarray(at, at + take), headerFill);
            headerFill += take;
            at += take;
            if (headerFill < header.length) break;
            headerFill = 0;
            const wanted = batch[index]!;
            const status = header[0]!;
            const length = ((header[1]! << 24) >>> 0) + (header[2]! << 16) + (header[3]! << 8) + header[4]!;
            if (status === AssetFetch.status.notFound) {
              throw errorFromEnvelope({ uuid: '', serverErrorCode: 'NOT_FOUND', reason: `chunk ${wanted.idText} is not stored on the server` }, 404);
            }
            if (status !== AssetFetch.status.ok) throw new NetworkError(`assets/fetch: unknown frame status ${String(status)}`);
            // The manifest fixes the size: another length is a swapped or corrupted chunk.
            if (length !== wanted.size) throw new DecryptionError('asset chunk');
            frame = opener.ciphertextBuffer(length);
            filled = 0;
            continue;
          }
          const take = Math.min(frame.length - filled, piece.length - at);
          frame.set(piece.subarray(at, at + take), filled);
          filled += take;
          at += take;
          if (filled === frame.length) {
            const wanted = batch[index++]!;
            const ciphertext = frame;
            frame = undefined;
            if (this.#counters !== undefined) {
              this.#counters.downloads++;
              this.#counters.downloadedBytes += ciphertext.length;
            }
            // Waiting here (not reading on) is the backpressure: with every slot taken the
            // socket pauses and the server's writes wait, instead of answers piling up here.
            await open(wanted, ciphertext);
          }
        }
      }
      if (!versionSeen || index < batch.length || frame !== undefined || headerFill > 0) {
        throw new NetworkError(`assets/fetch: the answer ended after ${index} of ${batch.length} chunks`);
      }
    } catch (error) {
      if (isClosed()) return;
      if (error instanceof CofferError || error instanceof CryptoError) throw error;
      // The connection broke mid-answer (reset, aborted): a network failure like any other.
      throw new NetworkError(`assets/fetch failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    } finally {
      streams.delete(stream);
      stream.cancel();
    }
  }
}
