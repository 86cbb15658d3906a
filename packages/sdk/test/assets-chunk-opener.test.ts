/**
 * openAssetChunkInto (decryptAssetChunk without its copies) opens exactly what
 * decryptAssetChunk opens and refuses exactly what it refuses, leaving no plaintext in the
 * caller's buffer on failure; InlineChunkOpener recycles its buffers.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  convergenceKeys, decryptAssetChunk, DecryptionError, deriveAssetSecrets, encryptAssetChunk, generateKey, type EncryptedAssetChunk,
} from '@coffer/crypto';
import { InlineChunkOpener, openAssetChunkInto } from '../src/assets/chunk-opener.js';

const keys = convergenceKeys(deriveAssetSecrets(generateKey('keychain')).convergenceSecret);
const chunkOf = (size: number): EncryptedAssetChunk => encryptAssetChunk(keys, new Uint8Array(randomBytes(size)));

describe('openAssetChunkInto', () => {
  it.each([1, 3, 100, 65532, 65533, 200_000, 1024 * 1024])('opens a %i-byte chunk into the caller buffer, as decryptAssetChunk does', (size) => {
    const chunk = chunkOf(size);
    const out = new Uint8Array(chunk.ciphertext.length + 10);
    const plaintext = openAssetChunkInto(chunk, chunk.ciphertext, out);
    expect(plaintext.buffer).toBe(out.buffer);
    expect(Buffer.from(plaintext).equals(Buffer.from(decryptAssetChunk(chunk, chunk.ciphertext)))).toBe(true);
  });

  it('refuses what decryptAssetChunk refuses, and leaves no plaintext in the buffer', () => {
    const chunk = chunkOf(150_000);
    const other = chunkOf(150_000);
    const flipped = chunk.ciphertext.slice();
    flipped[flipped.length - 40]! ^= 1;
    const cases: [string, EncryptedAssetChunk, Uint8Array][] = [
      ['a flipped bit in the last segment', chunk, flipped],
      ['another chunk\'s bytes (swapped)', chunk, other.ciphertext],
      ['the right bytes under another id', { ...chunk, id: other.id }, chunk.ciphertext],
      ['the right bytes under another key', { ...chunk, key: other.key }, chunk.ciphertext],
      ['a manifest size that differs', { ...chunk, size: chunk.size - 1 }, chunk.ciphertext],
      ['truncated', chunk, chunk.ciphertext.subarray(0, chunk.ciphertext.length - 1)],
      ['a short id', { ...chunk, id: chunk.id.subarray(0, 31) }, chunk.ciphertext],
    ];
    for (const [label, ref, ciphertext] of cases) {
      const out = new Uint8Array(chunk.ciphertext.length).fill(0xaa);
      expect(() => openAssetChunkInto(ref, ciphertext, out), label).toThrow(DecryptionError);
      expect(() => decryptAssetChunk(ref, ciphertext), label).toThrow(DecryptionError);
      // Only untouched filler or zeros: nothing decrypted survives a failure.
      expect(out.every((b) => b === 0 || b === 0xaa), label).toBe(true);
    }
  });
});

describe('InlineChunkOpener', () => {
  it('hands the plaintext buffer out again once released, and only once per release', async () => {
    const opener = new InlineChunkOpener();
    const a = chunkOf(300_000);
    const b = chunkOf(290_000);
    const first = await opener.open(a, copyInto(opener, a.ciphertext));
    const held = first.plaintext.buffer;
    first.release();
    first.release(); // a second release must not put the buffer in the free list twice
    const second = await opener.open(b, copyInto(opener, b.ciphertext));
    const third = await opener.open(a, copyInto(opener, a.ciphertext));
    expect([second.plaintext.buffer, third.plaintext.buffer].filter((buffer) => buffer === held)).toHaveLength(1);
    expect(Buffer.from(third.plaintext).equals(Buffer.from(decryptAssetChunk(a, a.ciphertext)))).toBe(true);
  });

  it('a chunk that fails to open rejects with DecryptionError and gives its buffers back', async () => {
    const opener = new InlineChunkOpener();
    const a = chunkOf(100_000);
    const bad = copyInto(opener, a.ciphertext);
    bad[10]! ^= 1;
    await expect(opener.open(a, bad)).rejects.toBeInstanceOf(DecryptionError);
    const ok = await opener.open(a, copyInto(opener, a.ciphertext));
    expect(ok.plaintext.length).toBe(100_000);
  });
});

function copyInto(opener: InlineChunkOpener, bytes: Uint8Array): Uint8Array {
  const buffer = opener.ciphertextBuffer(bytes.length);
  buffer.set(bytes);
  return buffer;
}
