/**
 * The Chunk batch v1 reader (chunk-batch.ts) as a pure parser: the worked example of
 * docs/PROTOCOL.md, independence from how the body is cut into network pieces, zero-copy
 * views, and every refusal — with the code and HTTP status the endpoint will answer, and
 * before reading more of the body than it needs to decide.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  CHUNK_BATCH_FRAME_HEADER, CHUNK_BATCH_VERSION, MAX_BATCH_BODY_BYTES, MAX_BATCH_CHUNKS, MAX_BATCH_CIPHERTEXT_BYTES,
  readChunkBatch, type BatchChunk,
} from '../src/assets/chunk-batch.js';
import { MAX_CHUNK_UPLOAD_BYTES } from '../src/assets/asset-wire.js';
import { BufferPool } from '../src/assets/buffer-pool.js';
import { CloudError } from '../src/http/cloud-error.js';
import { encodeBatch, frameHeader, type Frame } from './chunk-batch-helpers.js';

const randomFrame = (size: number): Frame => ({ id: randomBytes(32), ciphertext: randomBytes(size) });

/** The body as an async iterable of the given pieces (what Fastify hands the route: the request stream). */
async function* piecesOf(pieces: readonly Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const piece of pieces) {
    await Promise.resolve();
    yield piece;
  }
}

/** `body` cut into pieces of `size` bytes (the last shorter). */
function cut(body: Uint8Array, size: number): Uint8Array[] {
  const pieces: Uint8Array[] = [];
  for (let i = 0; i < body.length; i += size) pieces.push(body.subarray(i, i + size));
  return pieces;
}

/** `body` cut at the given offsets. */
function cutAt(body: Uint8Array, offsets: readonly number[]): Uint8Array[] {
  const bounds = [0, ...offsets, body.length];
  return bounds.slice(1).map((end, i) => body.subarray(bounds[i], end));
}

/** What a parse yields, comparable across cuts: ids, sizes and the bytes joined. */
function summary(chunks: readonly BatchChunk[]): { chunkId: string; size: number; hex: string }[] {
  return chunks.map((c) => ({ chunkId: c.chunkId, size: c.size, hex: Buffer.concat(c.parts).toString('hex') }));
}

async function parseError(pieces: readonly Uint8Array[]): Promise<CloudError> {
  const error = await readChunkBatch(piecesOf(pieces)).then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(CloudError);
  return error as CloudError;
}

async function expectRefused(pieces: readonly Uint8Array[], code: 'BAD_REQUEST' | 'LIMIT_EXCEEDED', reason: RegExp): Promise<void> {
  const error = await parseError(pieces);
  expect(error.serverErrorCode).toBe(code);
  expect(error.statusCode).toBe(code === 'BAD_REQUEST' ? 400 : 413);
  expect(error.reason).toMatch(reason);
}

/**
 * The worked example of docs/PROTOCOL.md "Chunk batch v1": two frames, ids 0x11 × 32 and
 * 0x22 × 32, ciphertexts "123456789" (CRC-32 0xCBF43926, the standard check value) and
 * "coffer" (0xD056AC74).
 */
const EXAMPLE_HEX = [
  '01',
  '1111111111111111111111111111111111111111111111111111111111111111', '00000009', 'cbf43926', '313233343536373839',
  '2222222222222222222222222222222222222222222222222222222222222222', '00000006', 'd056ac74', '636f66666572',
].join('');
const EXAMPLE_PARSED = [
  { chunkId: 'ERERERERERERERERERERERERERERERERERERERERERE', size: 9, hex: Buffer.from('123456789').toString('hex') },
  { chunkId: 'IiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiI', size: 6, hex: Buffer.from('coffer').toString('hex') },
];

describe('Chunk batch v1 reader', () => {
  it('parses the worked example of docs/PROTOCOL.md to the documented chunks', async () => {
    const body = Buffer.from(EXAMPLE_HEX, 'hex');
    expect(body.length).toBe(1 + 2 * CHUNK_BATCH_FRAME_HEADER + 9 + 6);
    expect(summary(await readChunkBatch(piecesOf([body])))).toEqual(EXAMPLE_PARSED);
    // The same bytes as this file's encoder makes them, so the example is the format and not a typo.
    expect(encodeBatch([
      { id: new Uint8Array(32).fill(0x11), ciphertext: Buffer.from('123456789') },
      { id: new Uint8Array(32).fill(0x22), ciphertext: Buffer.from('coffer') },
    ]).toString('hex')).toBe(EXAMPLE_HEX);
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
    // The document shows exactly these bytes (its hex block, whitespace ignored).
    const doc = readFileSync(new URL('../../../docs/PROTOCOL.md', import.meta.url), 'utf8');
    const section = doc.slice(doc.indexOf('### Chunk batch v1'));
    const block = /```text\n([0-9a-f\s]+)```/.exec(section);
    expect(block, 'a ```text block of hex in the Chunk batch v1 section').not.toBeNull();
    expect(block![1]!.replace(/\s+/g, '')).toBe(EXAMPLE_HEX);
    for (const chunk of EXAMPLE_PARSED) expect(section).toContain(chunk.chunkId);
  });

  it('parses the same body identically however it is cut into pieces', async () => {
    const frames = [randomFrame(0), randomFrame(1), randomFrame(39), randomFrame(40), randomFrame(41), randomFrame(3000), randomFrame(70_000)];
    const body = encodeBatch(frames);
    const expected = frames.map((f) => ({ chunkId: Buffer.from(f.id).toString('base64url'), size: f.ciphertext.length, hex: Buffer.from(f.ciphertext).toString('hex') }));
    expect(summary(await readChunkBatch(piecesOf([body])))).toEqual(expected);
    for (const size of [1, 2, 7, 39, 40, 41, 42, 1000, 65_536]) {
      expect(summary(await readChunkBatch(piecesOf(cut(body, size)))), `pieces of ${size}`).toEqual(expected);
    }
    // With empty pieces in between (a stream may yield them).
    const withEmpty = cut(body, 41).flatMap((p) => [new Uint8Array(0), p]);
    expect(summary(await readChunkBatch(piecesOf(withEmpty)))).toEqual(expected);
  });

  it('parses the worked example identically cut at every one and every pair of offsets', async () => {
    const body = Buffer.from(EXAMPLE_HEX, 'hex');
    for (let i = 1; i < body.length; i++) {
      expect(summary(await readChunkBatch(piecesOf(cutAt(body, [i])))), `cut at ${i}`).toEqual(EXAMPLE_PARSED);
      for (let j = i + 1; j < body.length; j++) {
        expect(summary(await readChunkBatch(piecesOf(cutAt(body, [i, j])))), `cut at ${i}, ${j}`).toEqual(EXAMPLE_PARSED);
      }
    }
  });

  it('copies nothing: each chunk is views into the pieces the body arrived in, in order', async () => {
    const frames = [randomFrame(100_000), randomFrame(5)];
    const pieces = cut(encodeBatch(frames), 16 * 1024).map((p) => new Uint8Array(p)); // each piece its own buffer
    const chunks = await readChunkBatch(piecesOf(pieces));
    const buffers = new Set(pieces.map((p) => p.buffer));
    for (const chunk of chunks) for (const part of chunk.parts) expect(buffers.has(part.buffer as ArrayBuffer)).toBe(true);
    // A piece wholly inside a chunk is passed on as the same view.
    expect(chunks[0]!.parts).toContain(pieces[2]);
    expect(chunks[0]!.parts.length).toBeGreaterThan(1);
    expect(chunks[0]!.parts.reduce((n, p) => n + p.length, 0)).toBe(100_000);
  });

  it('with a pool: each chunk is one pooled buffer holding its bytes, and a buffer given back is reused without mixing chunks', async () => {
    const pool = new BufferPool({ unit: 64 * 1024, keepBytes: 1024 * 1024 });
    const frames = [randomFrame(0), randomFrame(41), randomFrame(70_000), randomFrame(3000)];
    const body = encodeBatch(frames);
    const expected = frames.map((f) => ({ chunkId: Buffer.from(f.id).toString('base64url'), size: f.ciphertext.length, hex: Buffer.from(f.ciphertext).toString('hex') }));
    const seen = new Set<Buffer>();
    for (const size of [1, 39, 40, 1000, 65_536, body.length]) {
      const chunks = await readChunkBatch(piecesOf(cut(body, size)), pool);
      expect(summary(chunks), `pieces of ${size}`).toEqual(expected);
      for (const chunk of chunks) {
        if (chunk.size === 0) {
          expect(chunk.buffer).toBeUndefined();
          continue;
        }
        expect(chunk.parts).toHaveLength(1);
        expect(chunk.parts[0]!.buffer).toBe(chunk.buffer!.buffer);
        seen.add(chunk.buffer!);
      }
      for (const chunk of chunks) if (chunk.buffer !== undefined) pool.give(chunk.buffer);
    }
    // Six bodies of three non-empty chunks came out of three buffers, reused each time.
    expect(seen.size).toBe(3);
  });

  it('with a pool, a buffer still held by an earlier batch is never handed to the next one', async () => {
    const pool = new BufferPool({ unit: 64 * 1024, keepBytes: 1024 * 1024 });
    const first = await readChunkBatch(piecesOf([encodeBatch([randomFrame(1000)])]), pool);
    const frame = randomFrame(1000);
    const second = await readChunkBatch(piecesOf([encodeBatch([frame])]), pool);
    expect(second[0]!.buffer).not.toBe(first[0]!.buffer);
    expect(Buffer.from(first[0]!.parts[0]!).equals(Buffer.from(frame.ciphertext))).toBe(false);
  });

  it('a frame of length 0 is a chunk of 0 bytes with no parts (CRC-32 of nothing is 0)', async () => {
    const id = randomBytes(32);
    const chunks = await readChunkBatch(piecesOf([encodeBatch([{ id, ciphertext: new Uint8Array(0) }])]));
    expect(chunks).toEqual([{ chunkId: id.toString('base64url'), parts: [], size: 0 }]);
    await expectRefused([encodeBatch([{ id, ciphertext: new Uint8Array(0), crc: 1 }])], 'BAD_REQUEST', /CRC-32/);
  });

  it('refuses a wrong CRC-32 in any frame, naming the chunk', async () => {
    const frames = [randomFrame(1000), randomFrame(1000), randomFrame(1000)];
    for (const bad of [0, 1, 2]) {
      const corrupted = frames.map((f, i) => (i === bad ? { ...f, crc: (crc32(f.ciphertext) ^ 1) >>> 0 } : f));
      await expectRefused(cut(encodeBatch(corrupted), 333), 'BAD_REQUEST', new RegExp(`chunk ${Buffer.from(frames[bad]!.id).toString('base64url')} does not match its CRC-32`));
    }
    // A flipped byte of ciphertext under the right CRC.
    const body = encodeBatch(frames);
    body[1 + CHUNK_BATCH_FRAME_HEADER + 1000 + CHUNK_BATCH_FRAME_HEADER + 17]! ^= 0x40;
    await expectRefused([body], 'BAD_REQUEST', /CRC-32/);
  });

  it('refuses an unknown version before reading frames', async () => {
    const frames = [randomFrame(10)];
    for (const version of [0, 2, 0xff]) await expectRefused([encodeBatch(frames, version)], 'BAD_REQUEST', new RegExp(`unknown version ${version}`));
    // The version is the first byte even after empty pieces.
    await expectRefused([new Uint8Array(0), encodeBatch(frames, 2)], 'BAD_REQUEST', /unknown version 2/);
  });

  it('refuses an empty body, a version byte alone, and a body that ends inside a frame', async () => {
    await expectRefused([], 'BAD_REQUEST', /empty body/);
    await expectRefused([new Uint8Array(0)], 'BAD_REQUEST', /empty body/);
    await expectRefused([Buffer.of(CHUNK_BATCH_VERSION)], 'BAD_REQUEST', /no chunks/);
    const body = encodeBatch([randomFrame(500), randomFrame(500)]);
    const firstFrameEnd = 1 + CHUNK_BATCH_FRAME_HEADER + 500;
    for (const end of [2, 1 + CHUNK_BATCH_FRAME_HEADER - 1, 1 + CHUNK_BATCH_FRAME_HEADER, firstFrameEnd - 1, firstFrameEnd + 1, body.length - 1]) {
      await expectRefused(cut(body.subarray(0, end), 64), 'BAD_REQUEST', /ends inside a frame/);
    }
  });

  it('refuses a chunk id twice in one batch', async () => {
    const a = randomFrame(10);
    const b = randomFrame(20);
    await expectRefused([encodeBatch([a, b, { id: a.id, ciphertext: randomBytes(30) }])], 'BAD_REQUEST', /appears twice/);
  });

  it(`allows ${MAX_BATCH_CHUNKS} chunks and refuses ${MAX_BATCH_CHUNKS + 1} (LIMIT_EXCEEDED)`, async () => {
    const frames = Array.from({ length: MAX_BATCH_CHUNKS + 1 }, () => randomFrame(3));
    expect(await readChunkBatch(piecesOf([encodeBatch(frames.slice(0, MAX_BATCH_CHUNKS))]))).toHaveLength(MAX_BATCH_CHUNKS);
    await expectRefused([encodeBatch(frames)], 'LIMIT_EXCEEDED', new RegExp(`at most ${MAX_BATCH_CHUNKS} chunks`));
  });

  it('refuses a frame declaring more than MAX_CHUNK_UPLOAD_BYTES as soon as its header is read', async () => {
    const id = randomBytes(32);
    const fits = randomBytes(MAX_CHUNK_UPLOAD_BYTES);
    expect((await readChunkBatch(piecesOf([encodeBatch([{ id, ciphertext: fits }])])))[0]!.size).toBe(MAX_CHUNK_UPLOAD_BYTES);
    // A body that would go on for ever: the reader must stop at the header of the lying frame.
    let pulled = 0;
    async function* endless(): AsyncGenerator<Uint8Array> {
      await Promise.resolve();
      yield Buffer.of(CHUNK_BATCH_VERSION);
      yield frameHeader({ id, ciphertext: new Uint8Array(0), length: MAX_CHUNK_UPLOAD_BYTES + 1, crc: 0 });
      for (;;) {
        pulled += 1;
        yield new Uint8Array(64 * 1024);
      }
    }
    const error = await readChunkBatch(endless()).then(() => undefined, (e: unknown) => e);
    expect(error).toMatchObject({ serverErrorCode: 'LIMIT_EXCEEDED', statusCode: 413 });
    expect((error as CloudError).reason).toMatch(new RegExp(`at most ${MAX_CHUNK_UPLOAD_BYTES} bytes`));
    expect(pulled).toBe(0);
    // The largest u32 length too (no overflow into a small number).
    await expectRefused([Buffer.of(1), frameHeader({ id, ciphertext: new Uint8Array(0), length: 0xffffffff, crc: 0 })], 'LIMIT_EXCEEDED', /a chunk is at most/);
  });

  it(`refuses more than ${MAX_BATCH_CIPHERTEXT_BYTES} bytes of ciphertext at the header that crosses the limit`, async () => {
    // Eight chunks of the largest size pass 32 MiB only with the eighth; one shared buffer keeps this cheap.
    const ciphertext = new Uint8Array(MAX_CHUNK_UPLOAD_BYTES);
    const crc = crc32(ciphertext);
    const count = Math.floor(MAX_BATCH_CIPHERTEXT_BYTES / MAX_CHUNK_UPLOAD_BYTES);
    expect((count + 1) * MAX_CHUNK_UPLOAD_BYTES).toBeGreaterThan(MAX_BATCH_CIPHERTEXT_BYTES);
    const pieces: Uint8Array[] = [Buffer.of(CHUNK_BATCH_VERSION)];
    for (let i = 0; i < count; i++) pieces.push(frameHeader({ id: randomBytes(32), ciphertext, crc }), ciphertext);
    expect(await readChunkBatch(piecesOf(pieces))).toHaveLength(count);
    pieces.push(frameHeader({ id: randomBytes(32), ciphertext, crc }));
    await expectRefused(pieces, 'LIMIT_EXCEEDED', /bytes of chunks per batch/);
  });

  it('refuses a body longer than MAX_BATCH_BODY_BYTES as soon as a piece takes it past the limit', async () => {
    expect(MAX_BATCH_BODY_BYTES).toBe(1 + MAX_BATCH_CHUNKS * CHUNK_BATCH_FRAME_HEADER + MAX_BATCH_CIPHERTEXT_BYTES);
    const huge = new Uint8Array(MAX_BATCH_BODY_BYTES + 1);
    huge[0] = CHUNK_BATCH_VERSION;
    await expectRefused([huge], 'LIMIT_EXCEEDED', /a batch body is at most/);
  });
});
