/**
 * The worker side of the chunk crypto pool: hashes + encrypts (Asset chunk v1) or
 * decrypts chunks handed over by crypto-pool.ts. Buffers travel by transfer both ways,
 * and the padded-plaintext scratch stays here for the worker's life, so a steady stream
 * of chunks allocates (and page-faults) almost nothing.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { crc32 } from 'node:zlib';
import { assetChunkIdentity, decryptAssetChunk, sealAssetChunk } from '@coffer/crypto';
import type { WorkerReply, WorkerRequest, WorkerSetup } from './crypto-pool.js';
import { SessionIds } from './session-ids.js';

const { keys, uploadCrc32 } = workerData as WorkerSetup;
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
      const { plaintext } = request;
      const ref = assetChunkIdentity(keys, plaintext);
      if (request.session !== undefined && seen.repeated(request.session, ref.id)) {
        // Hashed only: this session already has this chunk's ciphertext. The buffers go back.
        const reply: WorkerReply = { seq: request.seq, ok: true, op: 'repeat', id: ref.id, key: ref.key, size: ref.size, input: plaintext.buffer as ArrayBuffer, ...(request.out === undefined ? {} : { unused: request.out }) };
        port.postMessage(reply, request.out === undefined ? [plaintext.buffer as ArrayBuffer] : [plaintext.buffer as ArrayBuffer, request.out]);
        return;
      }
      // Chunk v1 adds at most 1 + 16 per 64 KiB to the padded size, which is ≤ 1.125 n + 4.
      const chunk = sealAssetChunk(ref, plaintext, {
        padded: scratchOf(plaintext.length + (plaintext.length >>> 3) + 8),
        ...(request.out === undefined ? {} : { out: new Uint8Array(request.out) }),
      });
      const reply: WorkerReply = {
        seq: request.seq, ok: true, op: 'encrypt', id: chunk.id, key: chunk.key, size: chunk.size, ciphertext: chunk.ciphertext,
        ...(uploadCrc32 ? { ciphertextCrc32: crc32(chunk.ciphertext) } : {}),
        input: plaintext.buffer as ArrayBuffer,
      };
      port.postMessage(reply, [chunk.ciphertext.buffer as ArrayBuffer, plaintext.buffer as ArrayBuffer]);
    } else {
      const plaintext = decryptAssetChunk({ id: request.id, key: request.key, size: request.size }, request.ciphertext, scratchOf(request.ciphertext.length));
      const reply: WorkerReply = { seq: request.seq, ok: true, op: 'decrypt', plaintext };
      port.postMessage(reply, [plaintext.buffer as ArrayBuffer]);
    }
  } catch (error) {
    port.postMessage(errorReply(request.seq, error));
  }
});
