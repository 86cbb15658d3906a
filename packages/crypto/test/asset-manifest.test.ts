import { describe, expect, it } from 'vitest';
import {
  convergenceKeys, decodeAssetManifest, decryptAssetManifest, DecryptionError, deriveAssetSecrets, encodeAssetManifest,
  encryptAssetChunk, encryptAssetManifest, FormatError, generateKey, inspectAssetManifest, KeyHierarchyError, randomBytes,
  unwrapKey, wrapKey, type AssetContext, type AssetManifest,
} from '@coffer/crypto';

const keys = convergenceKeys(deriveAssetSecrets(generateKey('keychain')).convergenceSecret);
const ctx: AssetContext = {
  container: 'iCloud.com.example', database: 'private', zoneName: 'Drive', ownerRecordName: '_u1',
  recordName: 'file-1', fieldName: 'content', position: 0,
};

function manifestOf(sizes: number[], fileName = 'report.pdf'): AssetManifest {
  const chunks = sizes.map((n) => encryptAssetChunk(keys, randomBytes(n)));
  return { fileSize: sizes.reduce((a, b) => a + b, 0), contentType: 'application/pdf', fileName, chunks: chunks.map(({ id, key, size }) => ({ id, key, size })) };
}

describe('Asset manifest v1', () => {
  it('round-trips, including an empty file and a many-chunk file', () => {
    const assetKey = generateKey('asset');
    for (const manifest of [manifestOf([]), manifestOf([1]), manifestOf(Array.from({ length: 300 }, (_, i) => 1000 + i), 'ünïcødé 📄.bin')]) {
      const envelope = encryptAssetManifest(assetKey, ctx, manifest);
      expect(decryptAssetManifest(assetKey, ctx, envelope)).toEqual(manifest);
      expect(inspectAssetManifest(envelope)).toEqual({ version: 1, assetKeyId: assetKey.id, assetKeyVersion: 1 });
    }
  });

  it('the asset key travels wrapped by the record key', () => {
    const recordKey = generateKey('record');
    const assetKey = generateKey('asset');
    const wrapped = wrapKey(recordKey, assetKey);
    const envelope = encryptAssetManifest(assetKey, ctx, manifestOf([10]));
    const opened = unwrapKey(recordKey, wrapped, 'asset');
    expect(decryptAssetManifest(opened, ctx, envelope).fileSize).toBe(10);
  });

  it('hides the file name: padded to a minimum, no name bytes in the envelope', () => {
    const assetKey = generateKey('asset');
    const a = encryptAssetManifest(assetKey, ctx, manifestOf([5], 'a'));
    const b = encryptAssetManifest(assetKey, ctx, manifestOf([5], 'a-much-longer-file-name.txt'));
    expect(a.length).toBe(b.length);
    expect(Buffer.from(b).includes(Buffer.from('longer'))).toBe(false);
  });

  it('is bound to its context: another record, field, position, zone, owner, database or container → DecryptionError', () => {
    const assetKey = generateKey('asset');
    const envelope = encryptAssetManifest(assetKey, ctx, manifestOf([100, 200]));
    const variants: AssetContext[] = [
      { ...ctx, recordName: 'file-2' }, { ...ctx, fieldName: 'thumbnail' }, { ...ctx, position: 1 }, { ...ctx, zoneName: 'Other' },
      { ...ctx, ownerRecordName: '_u2' }, { ...ctx, database: 'shared' }, { ...ctx, container: 'iCloud.com.other' },
    ];
    for (const other of variants) expect(() => decryptAssetManifest(assetKey, other, envelope)).toThrow(DecryptionError);
  });

  it('tampering, another key or a truncated envelope → DecryptionError', () => {
    const assetKey = generateKey('asset');
    const envelope = encryptAssetManifest(assetKey, ctx, manifestOf([100]));
    for (const at of [0, 5, 17, 25, 40, envelope.length - 1]) {
      const bad = envelope.slice();
      bad[at]! ^= 0x80;
      expect(() => decryptAssetManifest(assetKey, ctx, bad)).toThrow(DecryptionError);
    }
    expect(() => decryptAssetManifest(generateKey('asset'), ctx, envelope)).toThrow(DecryptionError);
    expect(() => decryptAssetManifest(assetKey, ctx, envelope.subarray(0, 40))).toThrow(DecryptionError);
    expect(() => decryptAssetManifest(assetKey, ctx, new Uint8Array(0))).toThrow(DecryptionError);
    expect(() => inspectAssetManifest(Uint8Array.of(2, ...randomBytes(60)))).toThrow(FormatError);
  });

  it('only asset keys seal manifests', () => {
    expect(() => encryptAssetManifest(generateKey('record'), ctx, manifestOf([1]))).toThrow(KeyHierarchyError);
  });

  it('the codec rejects inconsistent manifests', () => {
    const good = manifestOf([10, 20]);
    expect(() => encodeAssetManifest({ ...good, fileSize: 31 })).toThrow(FormatError);
    expect(() => encodeAssetManifest({ ...good, chunks: [{ ...good.chunks[0]!, id: new Uint8Array(31) }] })).toThrow(FormatError);
    expect(() => encodeAssetManifest({ ...good, fileName: '\ud800' })).toThrow(FormatError);
    expect(() => encodeAssetManifest({ ...good, fileName: 'x'.repeat(5000) })).toThrow(FormatError);
    const bytes = encodeAssetManifest(good);
    expect(() => decodeAssetManifest(Uint8Array.of(...bytes, 0))).toThrow(FormatError);
    expect(() => decodeAssetManifest(bytes.subarray(0, bytes.length - 1))).toThrow(FormatError);
    const wrongVersion = bytes.slice();
    wrongVersion[0] = 2;
    expect(() => decodeAssetManifest(wrongVersion)).toThrow(FormatError);
  });
});
