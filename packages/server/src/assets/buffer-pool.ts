/**
 * A free list of large Buffers for the asset routes (fetch frames, upload-batch chunks).
 *
 * Why: a Buffer of a MiB or more is external memory, which V8 counts toward its trigger for
 * full (mark-compact) garbage collections — and one that lives across a few scavenges (a
 * chunk waiting for its batch's fsync, a frame waiting for the socket) is only uncounted by
 * such a collection. Streaming 1.1 GB through fresh Buffers cost the server tens of full
 * collections and seconds of CPU; reused ones cost almost nothing.
 *
 * The rule that keeps reuse safe is the caller's: give a buffer back only once nothing
 * (a socket write, a blob write) can still read or write it. A buffer never given back is
 * simply garbage-collected.
 *
 * Buffers come first from an AlignedSlab when one is given (@coffer/blobs: memory the file
 * blob store reads and writes with O_DIRECT, past the page cache); when the slab is full,
 * from ordinary Buffers kept on a free list.
 */
import { AlignedSlab } from '@coffer/blobs';
export interface BufferPoolOptions {
  /** New buffers are whole multiples of this many bytes, so one buffer fits many sizes. */
  unit: number;
  /** Free bytes kept; past it the smallest free buffers are dropped (the largest fit everything). */
  keepBytes: number;
  /** Direct-I/O memory to take buffers from first (see sharedSlab). */
  slab?: () => AlignedSlab | undefined;
}

const slabs = new Map<string, AlignedSlab | null>();

/**
 * One process-wide slab per use (`name`), made on first use: every server in the process
 * shares it. Each wasm memory reserves several GiB of address space (V8's guard region), so
 * there must be few of them — not one per server, of which a test process starts hundreds.
 * Undefined (ordinary Buffers are used) if the memory cannot be had.
 */
export function sharedSlab(name: string, bytes: number): AlignedSlab | undefined {
  let slab = slabs.get(name);
  if (slab === undefined) {
    try {
      slab = new AlignedSlab(bytes);
    } catch {
      slab = null;
    }
    slabs.set(name, slab);
  }
  return slab ?? undefined;
}

export class BufferPool {
  readonly #unit: number;
  readonly #keepBytes: number;
  readonly #slab: (() => AlignedSlab | undefined) | undefined;
  readonly #free: Buffer[] = [];
  #freeBytes = 0;

  constructor(options: BufferPoolOptions) {
    this.#unit = options.unit;
    this.#keepBytes = options.keepBytes;
    this.#slab = options.slab;
  }

  /** A buffer of at least `bytes`: the smallest free one that fits, or a new zero-filled one. */
  take(bytes: number): Buffer {
    const direct = this.#slab?.()?.take(bytes);
    if (direct !== undefined) return direct;
    let best = -1;
    for (let i = 0; i < this.#free.length; i += 1) {
      const length = this.#free[i]!.length;
      if (length >= bytes && (best < 0 || length < this.#free[best]!.length)) best = i;
    }
    if (best < 0) {
      // Zero-filled: a buffer's bytes are only ever its own earlier contents, never old
      // process memory, whatever a caller does with a short read.
      return Buffer.alloc(Math.max(this.#unit, Math.ceil(bytes / this.#unit) * this.#unit));
    }
    const [buffer] = this.#free.splice(best, 1);
    this.#freeBytes -= buffer!.length;
    return buffer!;
  }

  /** Takes `buffer` back for reuse (see the rule above). */
  give(buffer: Buffer): void {
    if (this.#slab?.()?.give(buffer) === true) return;
    if (this.#free.includes(buffer)) return;
    this.#free.push(buffer);
    this.#freeBytes += buffer.length;
    while (this.#freeBytes > this.#keepBytes) {
      let smallest = 0;
      for (let i = 1; i < this.#free.length; i += 1) if (this.#free[i]!.length < this.#free[smallest]!.length) smallest = i;
      this.#freeBytes -= this.#free[smallest]!.length;
      this.#free.splice(smallest, 1);
    }
  }
}
