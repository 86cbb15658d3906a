/**
 * Restored file contents written with O_DIRECT, past the page cache.
 *
 * Why: a restore writes every byte of every file into fresh page-cache pages, and on
 * virtual machines that hand free memory back to the host (as these development machines
 * do) each fresh page is a host page fault — about 2 s of system time for the 1.1 GB
 * backup bench, most of a restore's cost. Direct writes move the bytes by DMA.
 *
 * O_DIRECT wants the memory address, the file offset and the length aligned to the block
 * size (4 KiB is safe everywhere). Chunks land at any offset, so each write is cut into
 * whole blocks — copied into aligned memory (an AlignedSlab) and written at once — and
 * partial blocks at its ends, which wait in memory for the neighbouring chunk's bytes
 * (chunks cover a file exactly once, so a block is complete when its bytes are all in).
 * The file's last block is written whole, zero-padded, and the file truncated to its size
 * right after — so a file is never longer than it should be, even if the restore stops.
 */
import type { FileHandle } from 'node:fs/promises';
import { AlignedSlab, DIRECT_IO_ALIGNMENT } from '@coffer/blobs';

const BLOCK = DIRECT_IO_ALIGNMENT;

/** One file's partial blocks, by block index, waiting for the rest of their bytes. */
export type PendingBlocks = Map<number, { readonly bytes: Uint8Array; filled: number }>;

export class DirectWrites {
  readonly #slab: AlignedSlab;
  readonly #capacity: number;
  readonly #waiting: (() => void)[] = [];

  /** `bytes` of aligned memory for whole blocks in flight (more than the largest chunk, several in flight). */
  constructor(bytes: number) {
    this.#slab = new AlignedSlab(bytes);
    this.#capacity = bytes;
  }

  /**
   * Writes `bytes` at `offset` of a file (opened with O_DIRECT) of final size `fileSize`,
   * holding the partial blocks at its ends in `pending` until they are complete.
   */
  async write(handle: FileHandle, pending: PendingBlocks, bytes: Uint8Array, offset: number, fileSize: number): Promise<void> {
    const end = offset + bytes.length;
    const firstWhole = Math.ceil(offset / BLOCK) * BLOCK;
    const endWhole = Math.floor(end / BLOCK) * BLOCK;
    const writes: Promise<void>[] = [];
    if (firstWhole < endWhole) {
      writes.push(this.#writeBlocks(handle, bytes.subarray(firstWhole - offset, endWhole - offset), firstWhole));
      if (offset < firstWhole) writes.push(this.#partial(handle, pending, bytes.subarray(0, firstWhole - offset), offset, fileSize));
      if (endWhole < end) writes.push(this.#partial(handle, pending, bytes.subarray(endWhole - offset), endWhole, fileSize));
    } else {
      // No whole block: the bytes lie in one block or straddle a boundary.
      for (let at = offset; at < end;) {
        const blockEnd = Math.min(end, (Math.floor(at / BLOCK) + 1) * BLOCK);
        writes.push(this.#partial(handle, pending, bytes.subarray(at - offset, blockEnd - offset), at, fileSize));
        at = blockEnd;
      }
    }
    const results = await Promise.allSettled(writes);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  }

  /** Adds `piece` (inside one block) to its pending block, and writes the block once complete. */
  async #partial(handle: FileHandle, pending: PendingBlocks, piece: Uint8Array, at: number, fileSize: number): Promise<void> {
    const index = Math.floor(at / BLOCK);
    const start = index * BLOCK;
    let block = pending.get(index);
    if (block === undefined) {
      // Zero-filled: past the end of the file the last block stays zero (truncated away).
      block = { bytes: new Uint8Array(BLOCK), filled: 0 };
      pending.set(index, block);
    }
    block.bytes.set(piece, at - start);
    block.filled += piece.length;
    if (block.filled < Math.min(BLOCK, fileSize - start)) return;
    pending.delete(index);
    await this.#writeBlocks(handle, block.bytes, start);
    // The last block went out padded: cut the file back to its size (writes still in
    // flight are all to earlier blocks, below the new end).
    if (start + BLOCK > fileSize) await handle.truncate(fileSize);
  }

  /** Writes whole blocks (`data.length` a multiple of BLOCK) at `position` from aligned memory. */
  async #writeBlocks(handle: FileHandle, data: Uint8Array, position: number): Promise<void> {
    const memory = await this.#take(data.length);
    try {
      memory.set(data);
      for (let done = 0; done < data.length;) {
        const { bytesWritten } = await handle.write(memory, done, data.length - done, position + done);
        // O_DIRECT moves whole blocks; anything else would leave the next write misaligned.
        if (bytesWritten <= 0 || bytesWritten % BLOCK !== 0) throw new Error(`direct write of ${data.length} bytes at ${position} wrote ${bytesWritten}`);
        done += bytesWritten;
      }
    } finally {
      this.#give(memory);
    }
  }

  /** Aligned memory for `size` bytes, waiting for writes in flight to give some back when the slab is full. */
  async #take(size: number): Promise<Buffer> {
    if (size > this.#capacity) throw new RangeError(`direct write of ${size} bytes: more than the ${this.#capacity} bytes of aligned memory`);
    for (;;) {
      const memory = this.#slab.take(size);
      if (memory !== undefined) return memory;
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    }
  }

  #give(memory: Buffer): void {
    this.#slab.give(memory);
    for (const wake of this.#waiting.splice(0)) wake();
  }
}
