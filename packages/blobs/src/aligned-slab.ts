/**
 * Memory whose addresses suit direct I/O (O_DIRECT), for the buffers a server moves chunks
 * through. The file adapter writes a blob that lies in such memory straight from it to the
 * disk and reads one straight into it, bypassing the page cache.
 *
 * Why bypass the page cache: a buffered write of a new file makes the kernel find a fresh
 * page per 4 KiB, and on virtual machines whose free memory goes back to the host (as on
 * the machines this project is developed on) every such page is a host page fault. Measured
 * there: 400 one-MiB blobs, each fsync'd, cost 0.93 s of system time buffered into fresh
 * memory (0.12 s when the pages had just been freed) and 0.07 s with O_DIRECT, which
 * moves the bytes by DMA. The fsync a put does anyway makes direct writes cost no
 * durability and no latency.
 *
 * Why WebAssembly.Memory: O_DIRECT wants the memory address aligned (4 KiB is safe for
 * every device), and a Node Buffer's address is only 16-byte aligned (malloc). A wasm
 * memory is mapped by V8 page by page, so its start is page-aligned. One slab of fixed size
 * (it never grows: growing would detach every view of it) is cut into 64 KiB runs, first
 * fit from the lowest address, freed by identity (a stale view frees nothing).
 */

import { constants } from 'node:fs';

/** The O_DIRECT open flag where the platform has it (Linux); undefined elsewhere. */
export const O_DIRECT: number | undefined = (constants as { O_DIRECT?: number }).O_DIRECT;

/** O_DIRECT alignment used for addresses, offsets and lengths (a multiple of every logical block size in use). */
export const DIRECT_IO_ALIGNMENT = 4096;
/** Allocation granule: one WebAssembly page. */
const UNIT = 64 * 1024;

/** The slab each wasm ArrayBuffer belongs to, for {@link directIoRoom}. */
const slabs = new WeakMap<ArrayBufferLike, AlignedSlab>();

export class AlignedSlab {
  readonly #bytes: Buffer;
  /** Per unit: 1 + the first unit of the run it belongs to, or 0 when free. */
  readonly #owner: Int32Array;
  readonly #live = new WeakSet<Buffer>();

  /** Reserves `bytes` (rounded up to 64 KiB); pages are touched only as they are used. */
  constructor(bytes: number) {
    const units = Math.max(1, Math.ceil(bytes / UNIT));
    const memory = new WebAssembly.Memory({ initial: units, maximum: units });
    this.#bytes = Buffer.from(memory.buffer);
    this.#owner = new Int32Array(units);
    slabs.set(memory.buffer, this);
  }

  /** A Buffer of at least `size` bytes (whole 64 KiB units, 4 KiB-aligned start), or undefined when the slab is full. */
  take(size: number): Buffer | undefined {
    const want = Math.max(1, Math.ceil(size / UNIT));
    const owner = this.#owner;
    let run = 0;
    for (let unit = 0; unit < owner.length; unit++) {
      if (owner[unit] !== 0) {
        run = 0;
        continue;
      }
      if (++run === want) {
        const start = unit - want + 1;
        owner.fill(start + 1, start, unit + 1);
        const buffer = this.#bytes.subarray(start * UNIT, (unit + 1) * UNIT);
        this.#live.add(buffer);
        return buffer;
      }
    }
    return undefined;
  }

  /** True if `buffer` is a run this slab handed out and has not taken back. */
  owns(buffer: Uint8Array): boolean {
    return this.#live.has(buffer as Buffer);
  }

  /** Takes back a Buffer {@link take} returned (that very object); anything else is ignored (false). */
  give(buffer: Uint8Array): boolean {
    if (!this.#live.has(buffer as Buffer)) return false;
    this.#live.delete(buffer as Buffer);
    const start = buffer.byteOffset / UNIT;
    this.#owner.fill(0, start, start + buffer.byteLength / UNIT);
    return true;
  }

  /** Bytes from the start of `view` to the end of the taken run it lies in (0 if it lies in none). */
  room(view: Uint8Array): number {
    if (view.buffer !== this.#bytes.buffer) return 0;
    const unit = Math.floor(view.byteOffset / UNIT);
    const mark = this.#owner[unit];
    if (mark === undefined || mark === 0) return 0;
    let end = unit + 1;
    while (end < this.#owner.length && this.#owner[end] === mark) end++;
    return end * UNIT - view.byteOffset;
  }
}

/**
 * How many bytes from `view`'s start a direct read or write may use: its room in an
 * {@link AlignedSlab} run when the view starts on a {@link DIRECT_IO_ALIGNMENT} boundary,
 * else 0 (not direct-I/O memory).
 */
export function directIoRoom(view: Uint8Array): number {
  const slab = slabs.get(view.buffer);
  if (slab === undefined || view.byteOffset % DIRECT_IO_ALIGNMENT !== 0) return 0;
  return slab.room(view);
}

/** `length` rounded up to {@link DIRECT_IO_ALIGNMENT}. */
export function alignUp(length: number): number {
  return Math.ceil(length / DIRECT_IO_ALIGNMENT) * DIRECT_IO_ALIGNMENT;
}
