/**
 * DirectWrites (direct-writes.ts): a file written as chunks of any size, at any offsets, in
 * any order and concurrently, through O_DIRECT blocks and partial blocks that wait for
 * their neighbours, reads back byte-exact at every size around a block once truncated.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { O_DIRECT } from '@coffer/blobs';
import { DirectWrites, type PendingBlocks } from '../src/direct-writes.js';

const BLOCK = 4096;

/** Cuts `size` bytes into pieces of random sizes (some smaller than a block, some spanning several). */
function cuts(size: number, seed: number): [number, number][] {
  const pieces: [number, number][] = [];
  let at = 0;
  let x = seed;
  while (at < size) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    const kinds = [1, 7, BLOCK - 1, BLOCK, BLOCK + 1, 3 * BLOCK + 5, 70_000, 300_001];
    const length = Math.min(size - at, kinds[(x >>> 16) % kinds.length]!);
    pieces.push([at, length]);
    at += length;
  }
  return pieces;
}

function shuffled<T>(items: T[], seed: number): T[] {
  const out = [...items];
  let x = seed;
  for (let i = out.length - 1; i > 0; i--) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    const j = (x >>> 8) % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe.runIf(O_DIRECT !== undefined)('DirectWrites', () => {
  let dir: string;
  const writes = new DirectWrites(16 * 1024 * 1024);
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'coffer-direct-writes-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function writeFile(path: string, content: Uint8Array, order: [number, number][], concurrent: boolean): Promise<PendingBlocks> {
    const handle = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | O_DIRECT!, 0o600);
    const pending: PendingBlocks = new Map();
    try {
      const one = (at: number, length: number): Promise<void> => writes.write(handle, pending, content.subarray(at, at + length), at, content.length);
      if (concurrent) await Promise.all(order.map(([at, length]) => one(at, length)));
      else for (const [at, length] of order) await one(at, length);
    } finally {
      await handle.close();
    }
    return pending;
  }

  for (const size of [1, BLOCK - 1, BLOCK, BLOCK + 1, 2 * BLOCK - 1, 2 * BLOCK + 1, 1_000_003, 2 * 1024 * 1024]) {
    it(`${size} bytes in pieces written in order, shuffled and all at once read back byte-exact`, async () => {
      const content = randomBytes(size);
      const pieces = cuts(size, size);
      // The cut mixes sub-block, block-edge and multi-block pieces (the cases that matter).
      if (size > 100_000) expect(new Set(pieces.map(([, length]) => length)).size).toBeGreaterThan(4);
      for (const [name, order, concurrent] of [['in order', pieces, false], ['shuffled', shuffled(pieces, size + 1), false], ['concurrent', shuffled(pieces, size + 2), true]] as const) {
        const path = join(dir, `f-${size}-${name}`);
        const pending = await writeFile(path, content, [...order], concurrent);
        expect(pending.size, `${name}: no partial block left`).toBe(0);
        expect((await readFile(path)).equals(content), `${name}: content`).toBe(true);
      }
    });
  }

  it('a file is never longer than its size, even when its writes stop part way', async () => {
    const content = randomBytes(3 * BLOCK + 100);
    const path = join(dir, 'stopped');
    // Only the last chunk and one in the middle: the padded last block is cut back at once.
    await writeFile(path, content, [[3 * BLOCK - 50, 150], [BLOCK, 100]], false);
    const written = await readFile(path);
    expect(written.length).toBe(content.length);
    // The last block is out; the other pieces wait in partial blocks (holes on disk: zeros).
    expect(written.subarray(3 * BLOCK).equals(content.subarray(3 * BLOCK))).toBe(true);
    expect(written.subarray(0, 3 * BLOCK).every((b) => b === 0)).toBe(true);
  });

  it('one piece may complete several partial blocks at once, and a write larger than the aligned memory is refused', async () => {
    const content = randomBytes(3 * BLOCK + 10);
    // Tiny pieces around two boundaries first, then one piece that fills everything else.
    const order: [number, number][] = [[BLOCK - 2, 4], [2 * BLOCK - 1, 2], [0, BLOCK - 2], [BLOCK + 2, BLOCK - 3], [2 * BLOCK + 1, BLOCK + 9]];
    const path = join(dir, 'several');
    expect((await writeFile(path, content, order, true)).size).toBe(0);
    expect((await readFile(path)).equals(content)).toBe(true);
    const small = new DirectWrites(64 * 1024);
    const handle = await open(join(dir, 'refused'), constants.O_WRONLY | constants.O_CREAT | O_DIRECT!, 0o600);
    try {
      await expect(small.write(handle, new Map(), new Uint8Array(128 * 1024), 0, 128 * 1024)).rejects.toThrow(RangeError);
    } finally {
      await handle.close();
    }
  });
});
