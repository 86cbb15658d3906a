/**
 * Assets end to end against a real server: upload (chunk, encrypt, missing → upload),
 * save the record (commit checks every chunk), fetch and download (every chunk verified).
 * Sizes around the chunker's limits (Chunker v1: min 256 KiB, max 4 MiB, and the 8 MiB
 * window), empty and one-byte files, highly repetitive content, and 50 MiB from disk.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CofferAsset, CofferRecord, closeAssetEngines, ValidatingReferenceError, type CofferClient, type Database } from '../src/index.js';
import { assetAccount, collect, CountingFetch, randomData, seededBytes, sha256Hex, startAssetServer, tempDir, type AssetTestServer } from './assets-helpers.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const zoneID = { zoneName: 'files' };

let server: AssetTestServer;
let client: CofferClient;
let db: Database;
const counting = new CountingFetch();

beforeAll(async () => {
  server = await startAssetServer();
  client = (await assetAccount(server.url, counting.fetch)).client;
  db = client.container('com.example.assets').privateDatabase;
  (await db.saveRecordZones('files')).throwIfErrors();
});
afterAll(async () => {
  await closeAssetEngines();
  await server.close();
});

/** Saves `asset` on a new record, fetches the record back and downloads the field. */
async function roundTrip(asset: CofferAsset): Promise<{ bytes: Uint8Array; record: CofferRecord }> {
  const record = new CofferRecord({ recordType: 'File', zoneID });
  record.fields.content = asset;
  record.fields.title = 'plain title';
  (await db.saveRecords(record)).throwIfErrors();
  const fetched = (await db.fetchRecords(record.recordName, { zoneID })).throwIfErrors().records[0]!;
  const download = await db.downloadAsset(fetched, 'content');
  expect(download.size).toBe(asset.size);
  return { bytes: await collect(download), record: fetched };
}

describe('asset round trip', () => {
  const sizes: [string, number][] = [
    ['empty', 0],
    ['1 byte', 1],
    ['min chunk - 1', 256 * KiB - 1],
    ['min chunk', 256 * KiB],
    ['min chunk + 1', 256 * KiB + 1],
    ['max chunk - 1', 4 * MiB - 1],
    ['max chunk', 4 * MiB],
    ['max chunk + 1', 4 * MiB + 1],
    ['window (2 × max) + 1', 8 * MiB + 1],
  ];
  it.each(sizes)('%s (%d bytes) of random content', async (_name, size) => {
    const data = randomData(size);
    const asset = await db.uploadAsset(data, { fileName: `r-${size}.bin`, contentType: 'application/octet-stream' });
    expect(asset.size).toBe(size);
    expect(asset.fileName).toBe(`r-${size}.bin`);
    const { bytes } = await roundTrip(asset);
    expect(sha256Hex(bytes)).toBe(sha256Hex(data));
  });

  it('keeps name and type in the encrypted manifest', async () => {
    const asset = await db.uploadAsset(randomData(1000), { fileName: 'résumé 2024.pdf', contentType: 'application/pdf' });
    const { record } = await roundTrip(asset);
    const download = await db.downloadAsset(record, 'content');
    expect(download.fileName).toBe('résumé 2024.pdf');
    expect(download.contentType).toBe('application/pdf');
  });

  it('stores highly repetitive content once per distinct chunk', async () => {
    const pattern = seededBytes(4 * KiB, 'pattern');
    const data = new Uint8Array(24 * MiB);
    for (let i = 0; i < data.length; i += pattern.length) data.set(pattern, i);
    const before = counting.uploads;
    const asset = await db.uploadAsset(data);
    // A periodic input cuts at the same offsets again and again: a handful of distinct chunks.
    expect(asset.chunkIds.length).toBeLessThan(4);
    expect(counting.uploads - before).toBe(asset.chunkIds.length);
    const zeros = await db.uploadAsset(new Uint8Array(9 * MiB));
    expect(zeros.chunkIds.length).toBeLessThanOrEqual(2);
    expect(sha256Hex((await roundTrip(asset)).bytes)).toBe(sha256Hex(data));
    expect(sha256Hex((await roundTrip(zeros)).bytes)).toBe(sha256Hex(new Uint8Array(9 * MiB)));
  });

  it('streams 50 MiB from a file and from an async iterable', async () => {
    const dir = tempDir();
    const path = join(dir, 'big.bin');
    const data = randomData(50 * MiB);
    writeFileSync(path, data);
    const fromFile = await db.uploadAsset(path);
    expect(fromFile.fileName).toBe('big.bin');
    expect(fromFile.size).toBe(50 * MiB);
    const { bytes } = await roundTrip(fromFile);
    expect(sha256Hex(bytes)).toBe(sha256Hex(data));
    // The same bytes as a stream of odd-sized pieces: same chunks, nothing uploaded again.
    const before = counting.uploads;
    const fromStream = await db.uploadAsset((async function* pieces() {
      for (let i = 0; i < data.length; i += 777_777) yield await Promise.resolve(data.subarray(i, i + 777_777));
    })());
    expect(counting.uploads).toBe(before);
    expect(fromStream.chunkIds).toEqual(fromFile.chunkIds);
  });

  it('round trips every element of an ASSET_LIST', async () => {
    const a = randomData(300 * KiB);
    const b = randomData(10);
    const record = new CofferRecord({ recordType: 'Album', zoneID });
    record.setType('photos', 'ASSET_LIST');
    record.fields.photos = [await db.uploadAsset(a, { fileName: 'a' }), await db.uploadAsset(b, { fileName: 'b' })];
    (await db.saveRecords(record)).throwIfErrors();
    const fetched = (await db.fetchRecords(record.recordName, { zoneID })).throwIfErrors().records[0]!;
    expect(sha256Hex(await collect(await db.downloadAsset(fetched, 'photos', { position: 0 })))).toBe(sha256Hex(a));
    const second = await db.downloadAsset(fetched, 'photos', { position: 1 });
    expect(second.fileName).toBe('b');
    expect(sha256Hex(await collect(second))).toBe(sha256Hex(b));
  });

  it('refuses to serialize an unsaved asset and to put one in encryptedValues', async () => {
    const asset = await db.uploadAsset(randomData(10));
    expect(() => JSON.stringify(asset)).toThrow(/not JSON/);
    const record = new CofferRecord({ recordType: 'File', zoneID });
    expect(() => {
      record.encryptedValues.content = asset;
    }).toThrow(/cannot be in encryptedValues/);
  });
});

describe('commit check', () => {
  it('fails the save when a referenced chunk was never uploaded', async () => {
    const record = new CofferRecord({ recordType: 'File', zoneID });
    record.setType('content', 'ASSET');
    const fakeId = 'A'.repeat(42) + 'A';
    record.fields.content = { wrappingKey: 'AAAA', manifest: 'AAAA', chunkIds: [fakeId], size: 1 };
    const result = await db.saveRecords(record);
    expect(result.hasErrors).toBe(true);
    expect(result.errors[0]).toBeInstanceOf(ValidatingReferenceError);
  });

  it('refuses assets outside the private database', async () => {
    const asset = await db.uploadAsset(randomData(10));
    const record = new CofferRecord({ recordType: 'File' });
    record.fields.content = asset;
    await expect(client.container('com.example.assets').publicDatabase.saveRecords(record)).rejects.toThrow(/public database/);
  });
});
