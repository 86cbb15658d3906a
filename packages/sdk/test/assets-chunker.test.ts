/**
 * The SDK's FileChunker (one reused window, files read straight into it) must cut exactly
 * where Chunker v1 does (@coffer/assets FastCdc over the whole input), for files and for
 * streams of any piece size, across many inputs in a row — or dedup and ids would break.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createChunker } from '@coffer/assets';
import { deriveAssetSecrets, generateKey } from '@coffer/crypto';
import { FileChunker } from '../src/assets/file-chunker.js';
import { randomData, seededBytes, tempDir } from './assets-helpers.js';

const MiB = 1024 * 1024;
const chunker = createChunker(deriveAssetSecrets(generateKey('keychain')));

async function lengths(splitter: FileChunker, source: string | AsyncIterable<Uint8Array>): Promise<number[]> {
  const out: number[] = [];
  for await (const chunk of splitter.chunks(source)) out.push(chunk.length);
  return out;
}

async function* pieces(data: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < data.length; i += size) yield await Promise.resolve(data.subarray(i, i + size));
}

describe('FileChunker', () => {
  const dir = tempDir();
  const inputs: [string, Uint8Array][] = [
    ['empty', new Uint8Array(0)],
    ['one byte', new Uint8Array([7])],
    ['just over a window', randomData(8 * MiB + 1)],
    ['random 21 MiB', randomData(21 * MiB + 5)],
    ['zeros (every chunk at max)', new Uint8Array(13 * MiB)],
    ['repetitive', seededBytes(5 * MiB, 'x')],
  ];

  it('cuts files and streams exactly like FastCdc, reusing one window for all of them', async () => {
    const splitter = new FileChunker(chunker, (size) => new Uint8Array(size));
    for (const [name, data] of inputs) {
      const expected = chunker.chunkLengths(data);
      const path = join(dir, `${name}.bin`);
      writeFileSync(path, data);
      expect(await lengths(splitter, path), `${name} from a file`).toEqual(expected);
      for (const size of [1000, 65_536, 3 * MiB + 17]) expect(await lengths(splitter, pieces(data, size)), `${name} in ${size}-byte pieces`).toEqual(expected);
    }
  });

  it('hands out chunk bytes equal to the input', async () => {
    const splitter = new FileChunker(chunker, (size) => new Uint8Array(size));
    const data = randomData(9 * MiB);
    const parts: Uint8Array[] = [];
    for await (const chunk of splitter.chunks(pieces(data, 300_000))) parts.push(chunk);
    expect(Buffer.compare(Buffer.concat(parts), Buffer.from(data))).toBe(0);
  });
});
