/**
 * Writes the Assets test vectors (docs/PROTOCOL.md "Assets") to
 * packages/crypto/test/vectors/asset-{keys,chunk,manifest}.json from fixed inputs.
 * Run: node --import tsx packages/crypto/scripts/generate-asset-vectors.ts
 * test/asset-vectors.test.ts recomputes every value and fails on any difference.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  chunkIdToString, convergenceKeys, deriveAssetSecrets, deriveGearTable, encodeAssetManifest, encryptAssetChunk,
  keyFromBytes, sha256, toHex, type AssetContext, type AssetManifest, type KeyKind,
} from '../src/index.js';
import { encryptAssetManifestWithNonce } from '../src/asset-manifest.js';

const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'test', 'vectors');

/** Deterministic test bytes: byte i = (i·7 + seed) mod 251 (251 is prime, so no short period aligns with 64 KiB). */
function patternBytes(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 7 + seed) % 251;
  return bytes;
}

function fixedBytes(length: number, start: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (start + i) & 0xff);
}

function write(name: string, value: unknown): void {
  writeFileSync(join(out, name), `${JSON.stringify(value, null, 2)}\n`);
  process.stdout.write(`wrote ${name}\n`);
}

function gearHex(table: Uint32Array): string {
  return Array.from(table, (v) => v.toString(16).padStart(8, '0')).join('');
}

// ── asset-keys.json ──────────────────────────────────────────────────────────
const parents: { kind: KeyKind; id: string; version: number; bytes: Uint8Array }[] = [
  { kind: 'keychain', id: '00112233445566778899aabbccddeeff', version: 1, bytes: fixedBytes(32, 0x00) },
  { kind: 'keychain', id: '00112233445566778899aabbccddeeff', version: 2, bytes: fixedBytes(32, 0x00) },
  { kind: 'service', id: 'f0e0d0c0b0a090807060504030201000', version: 7, bytes: fixedBytes(32, 0x80) },
];
write('asset-keys.json', {
  format: 'Asset secrets v1',
  description: 'parent key → convergence secret, chunker seed (deriveSubkey); convergence secret → chunk-key key, chunk-id key; chunker seed → gear table (256 × u32 BE, hex)',
  vectors: parents.map((p) => {
    const key = keyFromBytes(p.kind, p.bytes, { id: p.id, version: p.version });
    const secrets = deriveAssetSecrets(key);
    const keys = convergenceKeys(secrets.convergenceSecret);
    return {
      parent: { kind: p.kind, id: p.id, version: p.version, bytes: toHex(p.bytes) },
      convergenceSecret: toHex(secrets.convergenceSecret),
      chunkerSeed: toHex(secrets.chunkerSeed),
      chunkKeyKey: toHex(keys.chunkKeyKey),
      chunkIdKey: toHex(keys.chunkIdKey),
      gearTable: gearHex(deriveGearTable(secrets.chunkerSeed)),
    };
  }),
});

// ── asset-chunk.json ─────────────────────────────────────────────────────────
const convergenceSecret = fixedBytes(32, 0x40);
const keys = convergenceKeys(convergenceSecret);
const sizes = [1, 3, 100, 65_532, 65_533, 200_000];
write('asset-chunk.json', {
  format: 'Asset chunk v1',
  description: 'plaintext = patternBytes(size, seed): byte i = (7·i + seed) mod 251. Ciphertexts over 4096 bytes are given by SHA-256 only.',
  convergenceSecret: toHex(convergenceSecret),
  vectors: sizes.map((size, seed) => {
    const plaintext = patternBytes(size, seed);
    const chunk = encryptAssetChunk(keys, plaintext);
    return {
      size,
      seed,
      plaintextSha256: toHex(sha256(plaintext)),
      id: chunkIdToString(chunk.id),
      key: toHex(chunk.key),
      ciphertextSize: chunk.ciphertext.length,
      ciphertextSha256: toHex(sha256(chunk.ciphertext)),
      ...(chunk.ciphertext.length <= 4096 ? { ciphertext: toHex(chunk.ciphertext) } : {}),
    };
  }),
});

// ── asset-manifest.json ──────────────────────────────────────────────────────
const assetKey = keyFromBytes('asset', fixedBytes(32, 0xa0), { id: 'a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5', version: 1 });
const context: AssetContext = {
  container: 'iCloud.com.example.notes', database: 'private', zoneName: 'Notes', ownerRecordName: '_owner',
  recordName: 'note-1', fieldName: 'attachment', position: 0,
};
const c1 = encryptAssetChunk(keys, patternBytes(100, 2));
const c2 = encryptAssetChunk(keys, patternBytes(3, 1));
const manifests: { manifest: AssetManifest; context: AssetContext; nonce: Uint8Array }[] = [
  { manifest: { fileSize: 0, contentType: '', fileName: '', chunks: [] }, context, nonce: fixedBytes(12, 0x10) },
  {
    manifest: { fileSize: 103, contentType: 'text/plain; charset=utf-8', fileName: 'Grüße.txt', chunks: [c1, c2] },
    context: { ...context, fieldName: 'files', position: 3 },
    nonce: fixedBytes(12, 0x20),
  },
];
write('asset-manifest.json', {
  format: 'Asset manifest v1',
  assetKey: { id: assetKey.id, version: assetKey.version, bytes: toHex(assetKey.bytes) },
  vectors: manifests.map(({ manifest, context: ctx, nonce }) => ({
    context: ctx,
    manifest: {
      fileSize: manifest.fileSize,
      contentType: manifest.contentType,
      fileName: manifest.fileName,
      chunks: manifest.chunks.map((c) => ({ id: chunkIdToString(c.id), key: toHex(c.key), size: c.size })),
    },
    encoded: toHex(encodeAssetManifest(manifest)),
    nonce: toHex(nonce),
    envelope: toHex(encryptAssetManifestWithNonce(assetKey, ctx, manifest, nonce)),
  })),
});
