/**
 * Content-defined chunking of many files in a row with one window for all of them.
 * Files are read straight into the window (no intermediate buffer), and the window is
 * reused from file to file: a fresh 8 MiB window and 1 MiB read buffer per file (as a
 * per-file splitter does) turned a backup of many files into a garbage-collector
 * benchmark. Boundaries are exactly FastCDC's (`cutPoint`, Chunker v1): a cut is final
 * only with `max` bytes in view or at the end of the input.
 */
import type { FastCdc } from '@coffer/assets';

/** node:fs/promises, imported once (a dynamic import per file costs a loader round trip under tsx). */
let fsModule: Promise<typeof import('node:fs/promises')> | undefined;

/** Bytes asked of the file per read. */
const READ_SIZE = 1 << 20;

export class FileChunker {
  readonly #cdc: FastCdc;
  /** `phase`: the copy's source address modulo 8 (see @coffer/assets ChunkAllocator). */
  readonly #allocate: (size: number, phase: number) => Uint8Array;
  readonly #window: Uint8Array;
  #start = 0;
  #end = 0;
  #busy = false;

  constructor(cdc: FastCdc, allocate: (size: number, phase: number) => Uint8Array) {
    this.#cdc = cdc;
    this.#allocate = allocate;
    this.#window = new Uint8Array(2 * cdc.sizes.max);
  }

  /** Chunks of a file (path) or byte stream, in order; one input at a time. */
  async *chunks(source: string | AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
    if (this.#busy) throw new Error('FileChunker: one input at a time');
    this.#busy = true;
    this.#start = 0;
    this.#end = 0;
    try {
      if (typeof source === 'string') yield* this.#file(source);
      else {
        for await (const piece of source) {
          for (let offset = 0; offset < piece.length;) {
            const room = this.#room();
            const take = Math.min(piece.length - offset, room);
            this.#window.set(piece.subarray(offset, offset + take), this.#end);
            this.#end += take;
            offset += take;
            yield* this.#full();
          }
        }
      }
      while (this.#end > this.#start) yield this.#emit();
    } finally {
      this.#busy = false;
    }
  }

  async *#file(path: string): AsyncGenerator<Uint8Array> {
    fsModule ??= import('node:fs/promises');
    const { open } = await fsModule;
    const handle = await open(path, 'r');
    try {
      for (;;) {
        // #room() may compact (moving #end): call it before reading #end.
        const length = Math.min(READ_SIZE, this.#room());
        const { bytesRead } = await handle.read(this.#window, this.#end, length, null);
        if (bytesRead === 0) return;
        this.#end += bytesRead;
        yield* this.#full();
      }
    } finally {
      await handle.close();
    }
  }

  /** Free bytes at the end of the window, compacting first when it is full. */
  #room(): number {
    if (this.#window.length - this.#end < READ_SIZE && this.#start > 0) {
      // Fewer than `max` bytes are pending here (#full emits down to < max), so at least
      // half the window is free after this copy.
      this.#window.copyWithin(0, this.#start, this.#end);
      this.#end -= this.#start;
      this.#start = 0;
    }
    return this.#window.length - this.#end;
  }

  /** Chunks whose boundary is final: only with `max` bytes in view can no later byte move it. */
  *#full(): Generator<Uint8Array> {
    while (this.#end - this.#start >= this.#cdc.sizes.max) yield this.#emit();
  }

  #emit(): Uint8Array {
    const length = this.#cdc.cutPoint(this.#window, this.#start, this.#end);
    const chunk = this.#allocate(length, (this.#window.byteOffset + this.#start) & 7);
    chunk.set(this.#window.subarray(this.#start, this.#start + length));
    this.#start += length;
    return chunk;
  }
}
