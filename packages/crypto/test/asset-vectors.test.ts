/**
 * Recomputes every Assets vector (scripts/generate-asset-vectors.ts) and opens every
 * ciphertext — on the node:crypto backend here, and on the @noble backend through
 * asset-vectors-web.test.ts, which imports this file with `#primitives` redirected.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  chunkIdFromString, chunkIdToString, convergenceKeys, decodeAssetManifest, decryptAssetChunk, decryptAssetManifest,
  deriveAssetSecrets, deriveGearTable, encodeAssetManifest, encryptAssetChunk, fromHex, inspectAssetManifest, keyFromBytes,
  primitivesBackend, sha256, toHex, type AssetContext, type KeyKind,
} from '@coffer/crypto';

function load(name: string): unknown {
  return JSON.parse(readFileSync(new URL(`./vectors/${name}`, import.meta.url), 'utf8'));
}

function patternBytes(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 7 + seed) % 251;
  return bytes;
}

interface KeysFile {
  vectors: {
    parent: { kind: KeyKind; id: string; version: number; bytes: string };
    convergenceSecret: string; chunkerSeed: string; chunkKeyKey: string; chunkIdKey: string; gearTable: string;
  }[];
}
interface ChunkFile {
  convergenceSecret: string;
  vectors: { size: number; seed: number; plaintextSha256: string; id: string; key: string; ciphertextSize: number; ciphertextSha256: string; ciphertext?: string }[];
}
interface ManifestFile {
  assetKey: { id: string; version: number; bytes: string };
  vectors: {
    context: AssetContext;
    manifest: { fileSize: number; contentType: string; fileName: string; chunks: { id: string; key: string; size: number }[] };
    encoded: string; nonce: string; envelope: string;
  }[];
}

describe(`Asset vectors (${primitivesBackend} backend)`, () => {
  it('asset-keys.json: secrets, convergence keys and gear tables', () => {
    const file = load('asset-keys.json') as KeysFile;
    expect(file.vectors.length).toBeGreaterThanOrEqual(3);
    for (const v of file.vectors) {
      const parent = keyFromBytes(v.parent.kind, fromHex(v.parent.bytes), { id: v.parent.id, version: v.parent.version });
      const secrets = deriveAssetSecrets(parent);
      expect(toHex(secrets.convergenceSecret)).toBe(v.convergenceSecret);
      expect(toHex(secrets.chunkerSeed)).toBe(v.chunkerSeed);
      const keys = convergenceKeys(secrets.convergenceSecret);
      expect(toHex(keys.chunkKeyKey)).toBe(v.chunkKeyKey);
      expect(toHex(keys.chunkIdKey)).toBe(v.chunkIdKey);
      const table = deriveGearTable(secrets.chunkerSeed);
      expect(Array.from(table, (x) => x.toString(16).padStart(8, '0')).join('')).toBe(v.gearTable);
    }
    // Same parent bytes, another version: unrelated secrets (deriveSubkey binds id and version).
    expect(file.vectors[0]!.convergenceSecret).not.toBe(file.vectors[1]!.convergenceSecret);
  });

  it('asset-chunk.json: ids, keys and ciphertexts; each opens', () => {
    const file = load('asset-chunk.json') as ChunkFile;
    const keys = convergenceKeys(fromHex(file.convergenceSecret));
    for (const v of file.vectors) {
      const plaintext = patternBytes(v.size, v.seed);
      expect(toHex(sha256(plaintext))).toBe(v.plaintextSha256);
      const chunk = encryptAssetChunk(keys, plaintext);
      expect(chunkIdToString(chunk.id)).toBe(v.id);
      expect(toHex(chunk.key)).toBe(v.key);
      expect(chunk.ciphertext.length).toBe(v.ciphertextSize);
      expect(toHex(sha256(chunk.ciphertext))).toBe(v.ciphertextSha256);
      if (v.ciphertext !== undefined) expect(toHex(chunk.ciphertext)).toBe(v.ciphertext);
      const opened = decryptAssetChunk({ id: chunkIdFromString(v.id), key: fromHex(v.key), size: v.size }, chunk.ciphertext);
      expect(toHex(opened)).toBe(toHex(plaintext));
    }
  });

  it('asset-manifest.json: encodings and envelopes; each opens', () => {
    const file = load('asset-manifest.json') as ManifestFile;
    const assetKey = keyFromBytes('asset', fromHex(file.assetKey.bytes), { id: file.assetKey.id, version: file.assetKey.version });
    for (const v of file.vectors) {
      const manifest = {
        ...v.manifest,
        chunks: v.manifest.chunks.map((c) => ({ id: chunkIdFromString(c.id), key: fromHex(c.key), size: c.size })),
      };
      expect(toHex(encodeAssetManifest(manifest))).toBe(v.encoded);
      expect(decodeAssetManifest(fromHex(v.encoded))).toEqual(manifest);
      const envelope = fromHex(v.envelope);
      expect(inspectAssetManifest(envelope)).toEqual({ version: 1, assetKeyId: assetKey.id, assetKeyVersion: assetKey.version });
      expect(toHex(envelope.subarray(21, 33))).toBe(v.nonce);
      expect(decryptAssetManifest(assetKey, v.context, envelope)).toEqual(manifest);
    }
  });
});
