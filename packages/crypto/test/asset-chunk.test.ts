import { describe, expect, it } from 'vitest';
import {
  assetChunkCiphertextSize, assetChunkIdentity, chunkIdFromString, chunkIdToString, convergenceKeys, decryptAssetChunk,
  DecryptionError, deriveAssetSecrets, encryptAssetChunk, FormatError, generateKey, KeyHierarchyError, randomBytes, sealAssetChunk, sha256, toHex,
} from '@coffer/crypto';

const keys = convergenceKeys(deriveAssetSecrets(generateKey('keychain')).convergenceSecret);

describe('Asset chunk v1', () => {
  it('round-trips chunks of several sizes, across segment boundaries', () => {
    for (const size of [1, 2, 100, 65_531, 65_532, 65_536, 65_537, 300_001, 1 << 20]) {
      const plaintext = randomBytes(size);
      const chunk = encryptAssetChunk(keys, plaintext);
      expect(chunk.size).toBe(size);
      expect(chunk.ciphertext.length).toBe(assetChunkCiphertextSize(size));
      // Buffer.equals: vitest's deep equality is slow on MiB-sized typed arrays.
      expect(Buffer.from(decryptAssetChunk(chunk, chunk.ciphertext)).equals(plaintext)).toBe(true);
    }
  });

  it('sealAssetChunk with the identity gives exactly encryptAssetChunk\'s bytes, and refuses a ref of another plaintext', () => {
    const plaintext = randomBytes(70_000);
    const ref = assetChunkIdentity(keys, plaintext);
    expect(toHex(sealAssetChunk(ref, plaintext).ciphertext)).toBe(toHex(encryptAssetChunk(keys, plaintext).ciphertext));
    expect(() => sealAssetChunk({ ...ref, size: 69_999 }, plaintext)).toThrow(FormatError);
    expect(() => sealAssetChunk({ ...ref, id: ref.id.subarray(0, 31) }, plaintext)).toThrow(FormatError);
  });

  it('is convergent within one account: same chunk → same id, key and ciphertext', () => {
    const plaintext = randomBytes(5000);
    const a = encryptAssetChunk(keys, plaintext);
    const b = encryptAssetChunk(keys, plaintext.slice());
    expect(toHex(a.id)).toBe(toHex(b.id));
    expect(toHex(a.key)).toBe(toHex(b.key));
    expect(toHex(a.ciphertext)).toBe(toHex(b.ciphertext));
    expect(assetChunkIdentity(keys, plaintext)).toEqual({ id: a.id, key: a.key, size: 5000 });
  });

  it('ids and keys are keyed: the same chunk under two secrets gives unrelated ids and keys, never its SHA-256', () => {
    const other = convergenceKeys(deriveAssetSecrets(generateKey('keychain')).convergenceSecret);
    const plaintext = randomBytes(4096);
    const a = encryptAssetChunk(keys, plaintext);
    const b = encryptAssetChunk(other, plaintext);
    expect(toHex(a.id)).not.toBe(toHex(b.id));
    expect(toHex(a.key)).not.toBe(toHex(b.key));
    expect(toHex(a.ciphertext)).not.toBe(toHex(b.ciphertext));
    const digest = toHex(sha256(plaintext));
    for (const value of [a.id, a.key, b.id, b.key]) expect(toHex(value)).not.toBe(digest);
    expect(toHex(a.ciphertext)).not.toContain(toHex(plaintext.subarray(0, 32)));
    // Keys from the other account do not open this account's chunk.
    expect(() => decryptAssetChunk({ ...a, key: b.key }, a.ciphertext)).toThrow(DecryptionError);
  });

  it('pads sizes (Padmé): different plaintext sizes share a ciphertext size', () => {
    const sizes = new Set([1_000_000, 1_000_100, 1_010_000].map((n) => assetChunkCiphertextSize(n)));
    expect(sizes.size).toBe(1);
    expect(assetChunkCiphertextSize(1_000_000)).toBeLessThan(1_000_000 * 1.12 + 1024);
  });

  it('any flipped bit, truncation or extension → DecryptionError', () => {
    const chunk = encryptAssetChunk(keys, randomBytes(70_000));
    for (const at of [0, 1, 100, 65_551, chunk.ciphertext.length - 1]) {
      const bad = chunk.ciphertext.slice();
      bad[at]! ^= 0x01;
      expect(() => decryptAssetChunk(chunk, bad)).toThrow(DecryptionError);
    }
    expect(() => decryptAssetChunk(chunk, chunk.ciphertext.subarray(0, chunk.ciphertext.length - 1))).toThrow(DecryptionError);
    expect(() => decryptAssetChunk(chunk, chunk.ciphertext.subarray(0, 1 + 65_536 + 16))).toThrow(DecryptionError);
    const longer = new Uint8Array(chunk.ciphertext.length + 17);
    longer.set(chunk.ciphertext);
    expect(() => decryptAssetChunk(chunk, longer)).toThrow(DecryptionError);
    expect(() => decryptAssetChunk(chunk, new Uint8Array(0))).toThrow(DecryptionError);
  });

  it('a swapped chunk (another id\'s bytes) → DecryptionError, even of the same size', () => {
    const a = encryptAssetChunk(keys, randomBytes(3000));
    const b = encryptAssetChunk(keys, randomBytes(3000));
    expect(a.ciphertext.length).toBe(b.ciphertext.length);
    expect(() => decryptAssetChunk(a, b.ciphertext)).toThrow(DecryptionError);
    // Right key, wrong id as AD (the server renamed a chunk): still rejected.
    expect(() => decryptAssetChunk({ ...a, id: b.id }, a.ciphertext)).toThrow(DecryptionError);
  });

  it('caller buffers (worker hot path) give the same bytes and are wiped/reused safely', () => {
    const padded = new Uint8Array(2 << 20).fill(0xee);
    const out = new Uint8Array(2 << 20);
    for (const size of [1, 5000, 70_000, 1_000_000, 17]) {
      const plaintext = randomBytes(size);
      const plain = encryptAssetChunk(keys, plaintext);
      const reused = encryptAssetChunk(keys, plaintext, { padded, out });
      expect(reused.ciphertext.buffer).toBe(out.buffer);
      expect(Buffer.from(reused.ciphertext).equals(plain.ciphertext)).toBe(true);
      expect(padded.subarray(0, size + 4).every((b) => b === 0)).toBe(true); // scratch wiped
      const scratch = new Uint8Array(2 << 20);
      expect(Buffer.from(decryptAssetChunk(plain, plain.ciphertext, scratch)).equals(plaintext)).toBe(true);
      expect(scratch.every((b) => b === 0)).toBe(true);
    }
    // Too-small buffers are ignored, not overrun.
    const small = encryptAssetChunk(keys, randomBytes(5000), { padded: new Uint8Array(10), out: new Uint8Array(10) });
    expect(small.ciphertext.length).toBeGreaterThan(5000);
  });

  it('a manifest size that disagrees with the chunk → DecryptionError', () => {
    const a = encryptAssetChunk(keys, randomBytes(3000));
    expect(() => decryptAssetChunk({ ...a, size: 2999 }, a.ciphertext)).toThrow(DecryptionError);
  });

  it('chunk id text form: 43 canonical base64url characters', () => {
    const { id } = encryptAssetChunk(keys, randomBytes(10));
    const text = chunkIdToString(id);
    expect(text).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(chunkIdFromString(text)).toEqual(id);
    expect(() => chunkIdFromString(`${text.slice(0, 42)}B`)).toThrow(FormatError); // non-zero trailing bits
    expect(() => chunkIdFromString(`${text}A`)).toThrow(FormatError);
    expect(() => chunkIdFromString(text.replace(/^./, '+'))).toThrow(FormatError);
    expect(() => chunkIdToString(new Uint8Array(31))).toThrow(FormatError);
  });

  it('secrets derive only from keychain or service keys', () => {
    expect(() => deriveAssetSecrets(generateKey('zone'))).toThrow(KeyHierarchyError);
    const service = deriveAssetSecrets(generateKey('service'));
    expect(service.convergenceSecret.length).toBe(32);
    expect(toHex(service.convergenceSecret)).not.toBe(toHex(service.chunkerSeed));
  });
});
