/**
 * Internal binary writer/reader for the formats in docs/PROTOCOL.md: big-endian
 * integers, u32-length-prefixed byte strings. The reader throws FormatError on any
 * overrun; callers that open ciphertexts convert that into DecryptionError.
 */
import { FormatError } from './errors.js';
import { utf8Encode, utf8Decode } from './bytes.js';

export class ByteWriter {
  private buf: Uint8Array;
  private view: DataView;
  length = 0;

  constructor(capacity = 64) {
    this.buf = new Uint8Array(capacity);
    this.view = new DataView(this.buf.buffer);
  }

  private reserve(n: number): number {
    const at = this.length;
    if (at + n > this.buf.length) {
      const next = new Uint8Array(Math.max(at + n, this.buf.length * 2));
      next.set(this.buf.subarray(0, at));
      this.buf = next;
      this.view = new DataView(next.buffer);
    }
    this.length = at + n;
    return at;
  }

  u8(v: number): this {
    const at = this.reserve(1);
    this.view.setUint8(at, v);
    return this;
  }
  u16(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new FormatError('value does not fit in u16');
    const at = this.reserve(2);
    this.view.setUint16(at, v);
    return this;
  }
  u32(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new FormatError('value does not fit in u32');
    const at = this.reserve(4);
    this.view.setUint32(at, v);
    return this;
  }
  /** Unsigned 64-bit from a safe integer. */
  u64(v: number): this {
    if (!Number.isSafeInteger(v) || v < 0) throw new FormatError('value is not a non-negative safe integer');
    const at = this.reserve(8);
    this.view.setBigUint64(at, BigInt(v));
    return this;
  }
  i64(v: bigint): this {
    const at = this.reserve(8);
    this.view.setBigInt64(at, v);
    return this;
  }
  f64(v: number): this {
    // One NaN bit pattern, so the encoding stays canonical (docs/PROTOCOL.md "Value encoding").
    const at = this.reserve(8);
    this.view.setFloat64(at, Number.isNaN(v) ? NaN : v);
    return this;
  }
  bytes(b: Uint8Array): this {
    const at = this.reserve(b.length); // before touching this.buf: reserve may replace it
    this.buf.set(b, at);
    return this;
  }
  /** u32 length ‖ bytes. */
  lp(b: Uint8Array): this {
    return this.u32(b.length).bytes(b);
  }
  /** u32 length ‖ UTF-8. */
  lpString(s: string): this {
    return this.lp(utf8Encode(s));
  }
  finish(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

export class ByteReader {
  private readonly view: DataView;
  offset = 0;

  constructor(private readonly buf: Uint8Array, private readonly what: string) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  private take(n: number): number {
    const at = this.offset;
    if (n > this.buf.length - at) throw new FormatError(`${this.what}: truncated`);
    this.offset = at + n;
    return at;
  }

  get remaining(): number {
    return this.buf.length - this.offset;
  }
  u8(): number {
    return this.view.getUint8(this.take(1));
  }
  u16(): number {
    return this.view.getUint16(this.take(2));
  }
  u32(): number {
    return this.view.getUint32(this.take(4));
  }
  u64(): number {
    const v = this.view.getBigUint64(this.take(8));
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new FormatError(`${this.what}: integer out of range`);
    return Number(v);
  }
  i64(): bigint {
    return this.view.getBigInt64(this.take(8));
  }
  f64(): number {
    return this.view.getFloat64(this.take(8));
  }
  bytes(n: number): Uint8Array {
    const at = this.take(n);
    return this.buf.slice(at, at + n);
  }
  lp(): Uint8Array {
    return this.bytes(this.u32());
  }
  lpString(): string {
    return utf8Decode(this.lp());
  }
  rest(): Uint8Array {
    return this.bytes(this.remaining);
  }
  /** @throws FormatError unless every byte was consumed (no trailing garbage). */
  end(): void {
    if (this.remaining !== 0) throw new FormatError(`${this.what}: trailing bytes`);
  }
}

/** Length-prefixed concatenation of labels/strings/bytes — the shape of every AD and hash input. */
export function framed(...parts: (string | Uint8Array)[]): Uint8Array {
  const w = new ByteWriter(128);
  for (const p of parts) {
    if (typeof p === 'string') w.lpString(p);
    else w.lp(p);
  }
  return w.finish();
}
