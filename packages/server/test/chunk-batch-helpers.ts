/**
 * Test support for Chunk batch v1 (docs/PROTOCOL.md): an encoder independent of the
 * server's parser, and a blob store that keeps nothing for tests of the database side.
 */
import { crc32 } from 'node:zlib';
import type { BlobStore } from '@coffer/blobs';
import { CHUNK_BATCH_FRAME_HEADER, CHUNK_BATCH_VERSION } from '../src/assets/chunk-batch.js';

/** One frame of a batch: a chunk id (raw) and its bytes; `crc`/`length` override the honest values. */
export interface Frame {
  id: Uint8Array;
  ciphertext: Uint8Array;
  /** Defaults to the CRC-32 of the ciphertext. */
  crc?: number;
  /** Defaults to the ciphertext's length. */
  length?: number;
}

export function frameHeader(frame: Frame): Buffer {
  const header = Buffer.alloc(CHUNK_BATCH_FRAME_HEADER);
  header.set(frame.id, 0);
  header.writeUInt32BE(frame.length ?? frame.ciphertext.length, 32);
  header.writeUInt32BE(frame.crc ?? crc32(frame.ciphertext), 36);
  return header;
}

export function encodeBatch(frames: readonly Frame[], version = CHUNK_BATCH_VERSION): Buffer {
  return Buffer.concat([Buffer.of(version), ...frames.flatMap((f) => [frameHeader(f), f.ciphertext])]);
}

/** A blob store that acknowledges every put and keeps nothing (for tests of the database side only). */
export function discardingBlobs(): BlobStore {
  const unused = (): Promise<never> => Promise.reject(new Error('not kept'));
  return {
    kind: 'discard',
    put: async (id, data) => {
      await Promise.resolve();
      return { id, size: Array.isArray(data) ? (data as readonly Uint8Array[]).reduce((n, p) => n + p.length, 0) : 0 };
    },
    get: unused, getStream: unused, getInto: unused, stat: unused, has: unused, delete: unused, list: unused,
    close: () => Promise.resolve(),
  };
}
