/**
 * The worker side of the chunk crypto pool: hashes + encrypts (Asset chunk v1) or
 * decrypts chunks handed over by crypto-pool.ts. Chunks to encrypt are read from, and
 * their ciphertext written to, the memory the pool shares with every worker (named by
 * offset: shared-arena.ts says why) or buffers that travel by transfer; the padded-plaintext
 * scratch stays here for the worker's life, so a steady stream of chunks allocates (and
 * page-faults) almost nothing.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { crc32 } from 'node:zlib';
import { assetChunkIdentity, decryptAssetChunk, sealAssetChunk } from '@coffer/crypto';
import type { WorkerReply, WorkerRequest, WorkerSetup } from './crypto-pool.js';
import { SessionIds } from './session-ids.js';

const { keys, uploadCrc32, arena } = workerData as WorkerSetup;
const shared = arena === undefined ? undefined : new Uint8Array(arena);

function sharedView(at: number | undefined, length: number | undefined): Uint8Array | undefined {
  if (at === undefined) return undefined;
  if (shared === undefined || length === undefined || at < 0 || at + length > shared.length) throw new RangeError('chunk crypto worker: a shared view outside the arena');
  return shared.subarray(at, at + length);
}
const port = parentPort;
if (port === null) throw new Error('crypto-worker-main must run in a worker thread');

const seen = new SessionIds();
let scratch = new Uint8Array(0);
function scratchOf(size: number): Uint8Array {
  if (scratch.length < size) scratch = new Uint8Array(size);
  return scratch;
}

function errorReply(seq: number, error: unknown): WorkerReply {
  const code = typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string' ? (error as { code: string }).code : undefined;
  return { seq, ok: false, name: error instanceof Error ? error.name : 'Error', message: error instanceof Error ? error.message : String(error), ...(code === undefined ? {} : { code }) };
}

port.on('message', (request: WorkerRequest) => {
  try {
    if (request.op === 'encrypt') {
      const plaintext = sharedView(request.at, request.length) ?? request.plaintext;
      if (plaintext === undefined) throw new TypeError('chunk crypto worker: no plaintext');
      const outShared = sharedView(request.outAt, request.outLength);
      // Buffers that came by transfer go back the same way; shared views stay where they are.
      const input = request.plaintext === undefined ? {} : { input: request.plaintext.buffer as ArrayBuffer };
      const ref = assetChunkIdentity(keys, plaintext);
      if (request.session !== undefined && seen.repeated(request.session, ref.id)) {
        // Hashed only: this session already has this chunk's ciphertext. The buffers go back.
        const reply: WorkerReply = { seq: request.seq, ok: true, op: 'repeat', id: ref.id, key: ref.key, size: ref.size, ...input, ...(request.out === undefined ? {} : { unused: request.out }) };
        port.postMessage(reply, [...(input.input === undefined ? [] : [input.input]), ...(request.out === undefined ? [] : [request.out])]);
        return;
      }
      // Chunk v1 adds at most 1 + 16 per 64 KiB to the padded size, which is ≤ 1.125 n + 4.
      const out = outShared ?? (request.out === undefined ? undefined : new Uint8Array(request.out));
      // The padded form puts the plaintext at offset 4: start the scratch so that copy keeps
      // the plaintext's alignment (a shared-memory copy is word-wise only then: shared-arena.ts).
      const shift = (plaintext.byteOffset - 4) & 7;
      const chunk = sealAssetChunk(ref, plaintext, {
        padded: scratchOf(plaintext.length + (plaintext.length >>> 3) + 16).subarray(shift),
        ...(out === undefined ? {} : { out }),
      });
      // Only ciphertext written into the shared view may be answered by length alone.
      if (outShared !== undefined && chunk.ciphertext.buffer !== arena) throw new Error('chunk crypto worker: the ciphertext did not fit its shared view');
      const reply: WorkerReply = {
        seq: request.seq, ok: true, op: 'encrypt', id: chunk.id, key: chunk.key, size: chunk.size,
        ...(outShared === undefined ? { ciphertext: chunk.ciphertext } : {}),
        ciphertextLength: chunk.ciphertext.length,
        ...(uploadCrc32 ? { ciphertextCrc32: crc32(chunk.ciphertext) } : {}),
        ...input,
      };
      const transfer = [...(outShared === undefined ? [chunk.ciphertext.buffer as ArrayBuffer] : []), ...(input.input === undefined ? [] : [input.input])];
      port.postMessage(reply, transfer);
    } else {
      const plaintext = decryptAssetChunk({ id: request.id, key: request.key, size: request.size }, request.ciphertext, scratchOf(request.ciphertext.length));
      const reply: WorkerReply = { seq: request.seq, ok: true, op: 'decrypt', plaintext };
      port.postMessage(reply, [plaintext.buffer as ArrayBuffer]);
    }
  } catch (error) {
    port.postMessage(errorReply(request.seq, error));
  }
});
