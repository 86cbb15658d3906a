/**
 * Chunk batch v1 (docs/PROTOCOL.md "Chunk batch v1"), the body of `assets/upload-batch`:
 *
 *   batch = version (1 byte, 0x01) ‖ frame*
 *   frame = chunk id (32 bytes, raw) ‖ length (u32 BE) ‖ crc32 (u32 BE) ‖ ciphertext (length bytes)
 *
 * Many chunks per request is what makes uploads cheap on the server: one authentication,
 * one claim transaction and one "stored" statement per batch instead of per chunk. The
 * CRC-32 (IEEE, as zlib computes it) catches corruption in transit before a chunk is
 * acknowledged; it is not a security check — the client's AEAD is, on download.
 *
 * The reader is a parser over the body's pieces. Given a BufferPool it copies each chunk
 * into a pooled buffer as its bytes arrive, so the network's Buffers die young (a
 * scavenge frees them) instead of living until the batch is durable — held that long they
 * were promoted, and their external memory cost the server a full GC every few batches
 * (buffer-pool.ts). Without a pool a chunk is the list of views into the network buffers
 * its bytes arrived in. Either way it is written to the blob store with one writev. It
 * enforces the limits as it goes, so an oversized or lying body fails before it is read
 * to the end.
 */
import { crc32 } from 'node:zlib';
import { CloudError } from '../http/cloud-error.js';
import { MAX_CHUNK_UPLOAD_BYTES } from './asset-wire.js';
import type { BufferPool } from './buffer-pool.js';

export const CHUNK_BATCH_VERSION = 1;
/** id (32) ‖ length (4) ‖ crc32 (4). */
export const CHUNK_BATCH_FRAME_HEADER = 40;
/** Chunks per batch. Small files make small chunks: room for many of them in one request. */
export const MAX_BATCH_CHUNKS = 256;
/** Ciphertext bytes per batch (a client fills ~16 MiB); the body adds a version byte and 40 per frame. */
export const MAX_BATCH_CIPHERTEXT_BYTES = 32 * 1024 * 1024;
/** The largest acceptable body. */
export const MAX_BATCH_BODY_BYTES = 1 + MAX_BATCH_CHUNKS * CHUNK_BATCH_FRAME_HEADER + MAX_BATCH_CIPHERTEXT_BYTES;

export interface BatchChunk {
  /** The chunk id's wire form (43 characters of base64url). */
  readonly chunkId: string;
  /** The ciphertext, in order, as views into the body's pieces. */
  readonly parts: readonly Uint8Array[];
  /** Bytes in all parts. */
  readonly size: number;
  /** The pooled buffer `parts` views, when read with a pool: give it back once the chunk is written. */
  readonly buffer?: Buffer;
}

const badBatch = (reason: string): CloudError => new CloudError('BAD_REQUEST', `chunk batch: ${reason}`);
const tooLarge = (reason: string): CloudError => new CloudError('LIMIT_EXCEEDED', `chunk batch: ${reason}`);

/**
 * Reads a whole Chunk batch v1 body; with `pool`, each chunk's bytes are copied into a
 * buffer of the pool (BatchChunk.buffer), which the caller gives back once it is written.
 * @throws CloudError BAD_REQUEST (unknown version, truncated frame, CRC mismatch, a chunk id
 *   twice, empty batch) or LIMIT_EXCEEDED (a chunk, the chunk count or the body too large).
 */
export async function readChunkBatch(body: AsyncIterable<Uint8Array>, pool?: BufferPool): Promise<BatchChunk[]> {
  const chunks: BatchChunk[] = [];
  const seen = new Set<string>();
  const header = Buffer.alloc(CHUNK_BATCH_FRAME_HEADER);
  let headerFill = 0;
  let version = -1;
  let current: { chunkId: string; parts: Uint8Array[]; size: number; declaredCrc: number; crc: number; fill: number; buffer?: Buffer } | undefined;
  let total = 0;
  let ciphertext = 0;

  const startFrame = (): void => {
    const chunkId = header.toString('base64url', 0, 32);
    const length = header.readUInt32BE(32);
    const crc = header.readUInt32BE(36);
    if (length > MAX_CHUNK_UPLOAD_BYTES) throw tooLarge(`a chunk is at most ${MAX_CHUNK_UPLOAD_BYTES} bytes (frame ${chunks.length} declares ${length})`);
    if (chunks.length >= MAX_BATCH_CHUNKS) throw tooLarge(`at most ${MAX_BATCH_CHUNKS} chunks per batch`);
    ciphertext += length;
    if (ciphertext > MAX_BATCH_CIPHERTEXT_BYTES) throw tooLarge(`at most ${MAX_BATCH_CIPHERTEXT_BYTES} bytes of chunks per batch`);
    if (seen.has(chunkId)) throw badBatch(`chunk ${chunkId} appears twice`);
    seen.add(chunkId);
    current = { chunkId, parts: [], size: length, declaredCrc: crc, crc: 0, fill: 0, ...(pool === undefined || length === 0 ? {} : { buffer: pool.take(length) }) };
    headerFill = 0;
    if (length === 0) finishFrame();
  };
  const finishFrame = (): void => {
    const frame = current!;
    current = undefined;
    if (frame.crc !== frame.declaredCrc) {
      throw badBatch(`chunk ${frame.chunkId} does not match its CRC-32 (corrupted in transit?); upload it again`);
    }
    if (frame.buffer === undefined) chunks.push({ chunkId: frame.chunkId, parts: frame.parts, size: frame.size });
    else chunks.push({ chunkId: frame.chunkId, parts: [frame.buffer.subarray(0, frame.size)], size: frame.size, buffer: frame.buffer });
  };

  for await (const piece of body) {
    total += piece.length;
    if (total > MAX_BATCH_BODY_BYTES) throw tooLarge(`a batch body is at most ${MAX_BATCH_BODY_BYTES} bytes`);
    let offset = 0;
    if (version < 0 && piece.length > 0) {
      version = piece[0]!;
      if (version !== CHUNK_BATCH_VERSION) throw badBatch(`unknown version ${version} (this server reads version ${CHUNK_BATCH_VERSION})`);
      offset = 1;
    }
    while (offset < piece.length) {
      if (current === undefined) {
        const take = Math.min(CHUNK_BATCH_FRAME_HEADER - headerFill, piece.length - offset);
        header.set(piece.subarray(offset, offset + take), headerFill);
        headerFill += take;
        offset += take;
        if (headerFill === CHUNK_BATCH_FRAME_HEADER) startFrame();
      } else {
        const take = Math.min(current.size - current.fill, piece.length - offset);
        const part = offset === 0 && take === piece.length ? piece : piece.subarray(offset, offset + take);
        if (current.buffer === undefined) current.parts.push(part);
        else current.buffer.set(part, current.fill);
        current.crc = crc32(part, current.crc);
        current.fill += take;
        offset += take;
        if (current.fill === current.size) finishFrame();
      }
    }
  }
  if (version < 0) throw badBatch('empty body (expected a version byte and at least one frame)');
  if (current !== undefined || headerFill > 0) throw badBatch('the body ends inside a frame (truncated?)');
  if (chunks.length === 0) throw badBatch('no chunks');
  return chunks;
}
