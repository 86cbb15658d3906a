/**
 * Length hiding with Padmé (Nikitin et al., "Reducing Metadata Leakage from Encrypted
 * Files and Communication with PURBs", PETS 2019, §4): a length L is rounded up so that
 * only O(log log L) bits of it remain, with at most +12% overhead. docs/PROTOCOL.md
 * "Padding" says exactly which sizes are padded and what still leaks.
 *
 * Padded form v1: u32 BE length of the data ‖ data ‖ zero bytes, to a total of
 * padmeLength(max(4 + data length, minimum)). The prefix makes the length encoding
 * unambiguous and unpadding O(1).
 */
import { FormatError } from './errors.js';

/** Padmé(L): L with its low E − S bits rounded up, E = ⌊log2 L⌋, S = ⌊log2 E⌋ + 1. */
export function padmeLength(length: number): number {
  if (!Number.isSafeInteger(length) || length < 0) throw new RangeError('padmeLength: length must be a non-negative integer');
  if (length < 2) return length;
  const e = Math.floor(Math.log2(length));
  const s = Math.floor(Math.log2(e)) + 1;
  const unit = 2 ** (e - s); // exact: all powers of two below 2^53
  return Math.ceil(length / unit) * unit;
}

const PREFIX = 4;

/** The total padded size for `dataLength` bytes of data. */
export function paddedLength(dataLength: number, minimum = 0): number {
  return padmeLength(Math.max(PREFIX + dataLength, minimum));
}

/**
 * Pads `data` to padmeLength(max(4 + length, minimum)).
 * @throws {@link FormatError} if `data` is 2^32 bytes or longer.
 */
export function pad(data: Uint8Array, minimum = 0): Uint8Array {
  if (data.length > 0xffffffff) throw new FormatError('pad: data too long');
  const out = new Uint8Array(paddedLength(data.length, minimum));
  new DataView(out.buffer).setUint32(0, data.length);
  out.set(data, PREFIX);
  return out;
}

/**
 * Inverse of {@link pad} with the same `minimum`; accepts only the exact output of pad.
 * @throws {@link FormatError} if the prefix, the total length or the zero fill is wrong.
 */
export function unpad(padded: Uint8Array, minimum = 0): Uint8Array {
  return unpadView(padded, minimum).slice();
}

/**
 * {@link unpad} without the copy: the data as a view into `padded` (same checks). For
 * hot paths that unpad into recycled buffers — a restore unpads every byte it writes, and
 * copying each chunk cost a full pass plus a fresh multi-MiB allocation. The view shares
 * `padded`'s memory: it changes when `padded` is reused.
 * @throws {@link FormatError} if the prefix, the total length or the zero fill is wrong.
 */
export function unpadView(padded: Uint8Array, minimum = 0): Uint8Array {
  if (padded.length < PREFIX) throw new FormatError('unpad: too short');
  const n = new DataView(padded.buffer, padded.byteOffset, padded.byteLength).getUint32(0);
  if (n > padded.length - PREFIX || paddedLength(n, minimum) !== padded.length) {
    throw new FormatError('unpad: length prefix does not match the padded size');
  }
  let nonzero = 0;
  for (let i = PREFIX + n; i < padded.length; i++) nonzero |= padded[i]!;
  if (nonzero !== 0) throw new FormatError('unpad: non-zero padding');
  return padded.subarray(PREFIX, PREFIX + n);
}
