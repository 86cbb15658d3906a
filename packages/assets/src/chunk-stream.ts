/**
 * Streaming over FastCDC: bytes go in as they are read, whole chunks come out, and memory
 * stays at one window of 2 × max bytes however large the file (style.md: never load a
 * whole file). Each emitted chunk is a fresh Uint8Array that owns its ArrayBuffer (or one
 * from the caller's allocator, e.g. the crypto pool's recycled buffers), so it can be
 * transferred to a worker without copying.
 */
import { open } from 'node:fs/promises';
import type { FastCdc } from './fastcdc.js';

/**
 * Where emitted chunks live: `size` bytes the splitter may fill and hand out. `phase` is the
 * source's address modulo 8 for the copy that fills it (a hint: memory shared with workers
 * copies fastest at the same phase, see shared-arena.ts).
 */
export type ChunkAllocator = (size: number, phase?: number) => Uint8Array;

const freshBuffer: ChunkAllocator = (size) => new Uint8Array(size);

/** Push-style splitter: feed pieces in order, collect the chunks that became final. */
export class ChunkSplitter {
  readonly #cdc: FastCdc;
  readonly #allocate: ChunkAllocator;
  #window: Uint8Array;
  #start = 0;
  #end = 0;

  constructor(cdc: FastCdc, allocate: ChunkAllocator = freshBuffer) {
    this.#cdc = cdc;
    this.#allocate = allocate;
    this.#window = new Uint8Array(2 * cdc.sizes.max);
  }

  /** Bytes held that are not yet in an emitted chunk. */
  get pending(): number {
    return this.#end - this.#start;
  }

  /** Adds `piece` (copied; the caller may reuse it) and returns the chunks now final. */
  push(piece: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    const max = this.#cdc.sizes.max;
    let offset = 0;
    while (offset < piece.length) {
      if (this.#end === this.#window.length) this.#compact();
      const take = Math.min(piece.length - offset, this.#window.length - this.#end);
      this.#window.set(piece.subarray(offset, offset + take), this.#end);
      this.#end += take;
      offset += take;
      // Only with a full `max` bytes in view is a boundary final (no later byte can move it).
      while (this.#end - this.#start >= max) out.push(this.#emit());
    }
    return out;
  }

  /** The stream ended: the remaining bytes as final chunks (the last may be short). */
  finish(): Uint8Array[] {
    const out: Uint8Array[] = [];
    while (this.#end > this.#start) out.push(this.#emit());
    this.#window = new Uint8Array(0);
    return out;
  }

  #emit(): Uint8Array {
    const length = this.#cdc.cutPoint(this.#window, this.#start, this.#end);
    const chunk = this.#allocate(length, (this.#window.byteOffset + this.#start) & 7);
    chunk.set(this.#window.subarray(this.#start, this.#start + length));
    this.#start += length;
    return chunk;
  }

  #compact(): void {
    // At most `max` bytes are pending here (push emits down to < max), so this copy is
    // at most max per `max` bytes consumed.
    this.#window.copyWithin(0, this.#start, this.#end);
    this.#end -= this.#start;
    this.#start = 0;
  }
}

/** Chunks of a byte stream, in order. */
export async function* chunkStream(source: AsyncIterable<Uint8Array>, cdc: FastCdc, allocate?: ChunkAllocator): AsyncGenerator<Uint8Array> {
  const splitter = new ChunkSplitter(cdc, allocate);
  for await (const piece of source) yield* splitter.push(piece);
  yield* splitter.finish();
}

/** Reads a file in `readSize` pieces into one reused buffer. */
export async function* readFilePieces(path: string, readSize = 1 << 20): AsyncGenerator<Uint8Array> {
  const handle = await open(path, 'r');
  try {
    const buffer = new Uint8Array(readSize);
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, readSize, null);
      if (bytesRead === 0) return;
      yield buffer.subarray(0, bytesRead);
    }
  } finally {
    await handle.close();
  }
}

/** Chunks of a file, in order, reading it once front to back. */
export function chunkFile(path: string, cdc: FastCdc, allocate?: ChunkAllocator): AsyncGenerator<Uint8Array> {
  return chunkStream(readFilePieces(path), cdc, allocate);
}
