/**
 * Upload protocol: only chunks the server lacks are sent. After an upload killed midway
 * the same upload again sends only what did not arrive (counted at the HTTP layer);
 * identical content in another file, or the same file again, sends nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CofferRecord, closeAssetEngines, type Database } from '../src/index.js';
import { assetAccount, collect, CountingFetch, randomData, sha256Hex, startAssetServer, type AssetTestServer } from './assets-helpers.js';

const MiB = 1024 * 1024;
const zoneID = { zoneName: 'files' };
let server: AssetTestServer;
let db: Database;
const counting = new CountingFetch();

beforeAll(async () => {
  server = await startAssetServer();
  db = (await assetAccount(server.url, counting.fetch)).client.container('com.example.assets').privateDatabase;
  (await db.saveRecordZones('files')).throwIfErrors();
});
afterAll(async () => {
  await closeAssetEngines();
  await server.close();
});

describe('resume', () => {
  it('re-sends only the chunks a killed upload did not store', async () => {
    const data = randomData(24 * MiB);
    // Killed after the first upload request (a batch of several chunks) got through.
    const chunksBefore = counting.uploads;
    counting.failUploadRequestsAfter = counting.uploadRequests + 1;
    await expect(db.uploadAsset(data)).rejects.toThrow(/killed mid-upload/);
    const storedBefore = counting.uploads - chunksBefore;
    expect(storedBefore).toBeGreaterThan(1);
    counting.failUploadRequestsAfter = undefined;
    await counting.settled();

    const uploadsBefore = counting.uploads;
    const missingBefore = counting.missing;
    const asset = await db.uploadAsset(data);
    const resent = counting.uploads - uploadsBefore;
    expect(counting.missing).toBeGreaterThan(missingBefore);
    expect(resent).toBe(asset.chunkIds.length - storedBefore);

    const record = new CofferRecord({ recordType: 'File', zoneID });
    record.fields.content = asset;
    (await db.saveRecords(record)).throwIfErrors();
    const fetched = (await db.fetchRecords(record.recordName, { zoneID })).throwIfErrors().records[0]!;
    expect(sha256Hex(await collect(await db.downloadAsset(fetched, 'content')))).toBe(sha256Hex(data));
  });
});

describe('dedup', () => {
  it('sends nothing for content already stored, in another file or the same again', async () => {
    const data = randomData(12 * MiB);
    const first = await db.uploadAsset(data, { fileName: 'one' });
    const before = counting.uploads;
    const again = await db.uploadAsset(data, { fileName: 'two' });
    expect(counting.uploads).toBe(before);
    expect(again.chunkIds).toEqual(first.chunkIds);
  });

  it('sends only the new chunks of a file that shares content with another', async () => {
    const a = randomData(16 * MiB);
    const tail = randomData(2 * MiB);
    const assetA = await db.uploadAsset(a);
    const before = counting.uploads;
    const b = new Uint8Array(a.length + tail.length);
    b.set(a);
    b.set(tail, a.length);
    const assetB = await db.uploadAsset(b);
    const shared = assetB.chunkIds.filter((id) => assetA.chunkIds.includes(id)).length;
    // Content-defined boundaries: all chunks before the end of `a` but the last are shared.
    expect(shared).toBeGreaterThanOrEqual(assetA.chunkIds.length - 1);
    expect(counting.uploads - before).toBe(assetB.chunkIds.length - shared);
  });

  it('keyed ids: the same content in another account has other chunk ids', async () => {
    const data = randomData(2 * MiB);
    const mine = await db.uploadAsset(data);
    const other = (await assetAccount(server.url)).client.container('com.example.assets').privateDatabase;
    const theirs = await other.uploadAsset(data);
    expect(theirs.chunkIds.some((id) => mine.chunkIds.includes(id))).toBe(false);
  });
});
