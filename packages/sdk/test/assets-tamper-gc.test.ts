/**
 * What a hostile or broken server can do to assets, and garbage collection racing uploads:
 * - a corrupted or swapped chunk fails with DecryptionError, and no byte of it (or after
 *   it) is ever handed out; an asset value moved to another record does not open;
 * - GC never deletes a chunk that an upload was just told is stored (the `missing` answer
 *   leases it), so the upload's commit succeeds; GC running in a loop beside uploads and
 *   commits never makes a committed asset unreadable.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CofferRecord, closeAssetEngines, DecryptionError, type CofferAsset, type Database } from '../src/index.js';
import { assetAccount, collect, CountingFetch, randomData, sha256Hex, startAssetServer, type AssetTestServer } from './assets-helpers.js';

const MiB = 1024 * 1024;
const zoneID = { zoneName: 'files' };

/** The blob file of a chunk id in the server's file store. */
function blobPath(dataDir: string, chunkId: string): string {
  const shard = join(dataDir, 'blobs', chunkId.slice(0, 1));
  const name = readdirSync(shard).find((n) => n.startsWith(`${chunkId}.`));
  if (name === undefined) throw new Error(`no blob for ${chunkId}`);
  return join(shard, name);
}

async function save(db: Database, asset: CofferAsset): Promise<CofferRecord> {
  const record = new CofferRecord({ recordType: 'File', zoneID });
  record.fields.content = asset;
  (await db.saveRecords(record)).throwIfErrors();
  return (await db.fetchRecords(record.recordName, { zoneID })).throwIfErrors().records[0]!;
}

/** Reads a download until it fails; returns the bytes received and the error. */
async function readUntilError(pieces: AsyncIterable<Uint8Array>): Promise<{ received: Uint8Array; error: unknown }> {
  const parts: Buffer[] = [];
  try {
    for await (const piece of pieces) parts.push(Buffer.from(piece));
  } catch (error) {
    return { received: Buffer.concat(parts), error };
  }
  return { received: Buffer.concat(parts), error: undefined };
}

describe('tampering on the server', () => {
  let server: AssetTestServer;
  let db: Database;
  beforeAll(async () => {
    server = await startAssetServer();
    db = (await assetAccount(server.url)).client.container('com.example.assets').privateDatabase;
    (await db.saveRecordZones('files')).throwIfErrors();
  });
  afterAll(async () => {
    await closeAssetEngines();
    await server.close();
  });

  it('a corrupted chunk: DecryptionError, and only the verified bytes before it', async () => {
    const data = randomData(12 * MiB);
    const asset = await db.uploadAsset(data);
    expect(asset.chunkIds.length).toBeGreaterThan(3);
    const record = await save(db, asset);
    const victim = asset.chunkIds[2]!;
    const path = blobPath(server.dataDir, victim);
    const bytes = readFileSync(path);
    bytes[Math.floor(bytes.length / 2)]! ^= 0x01;
    writeFileSync(path, bytes);

    const { received, error } = await readUntilError(await db.downloadAsset(record, 'content'));
    expect(error).toBeInstanceOf(DecryptionError);
    // Whatever arrived is a prefix of the original, ending before the corrupted chunk.
    expect(received.length).toBeLessThan(data.length);
    expect(Buffer.compare(received, Buffer.from(data.subarray(0, received.length)))).toBe(0);
  });

  it('a chunk swapped for another stored chunk: DecryptionError', async () => {
    const data = randomData(10 * MiB);
    const asset = await db.uploadAsset(data);
    const record = await save(db, asset);
    const [first, second] = asset.chunkIds;
    writeFileSync(blobPath(server.dataDir, first!), readFileSync(blobPath(server.dataDir, second!)));
    const { received, error } = await readUntilError(await db.downloadAsset(record, 'content'));
    expect(error).toBeInstanceOf(DecryptionError);
    expect(received.length).toBe(0);
  });

  it.each([['with', true], ['without', false]])('an asset value moved to another record (%s encrypted fields) does not open there', async (_label, withSecret) => {
    const one = await save(db, await db.uploadAsset(randomData(1000)));
    const two = new CofferRecord({ recordType: 'File', zoneID });
    two.setType('content', 'ASSET');
    two.fields.content = one.fields.content;
    if (withSecret) two.encryptedValues.note = 'has its own record key';
    (await db.saveRecords(two)).throwIfErrors();
    const fetched = (await db.fetchRecords(two.recordName, { zoneID })).throwIfErrors().records[0]!;
    await expect(db.downloadAsset(fetched, 'content')).rejects.toBeInstanceOf(DecryptionError);
  });
});

describe('garbage collection against uploads', () => {
  const GRACE = 1500;
  let server: AssetTestServer;
  let db: Database;
  const counting = new CountingFetch();
  beforeAll(async () => {
    server = await startAssetServer({ graceMs: GRACE });
    db = (await assetAccount(server.url, counting.fetch)).client.container('com.example.assets').privateDatabase;
    (await db.saveRecordZones('files')).throwIfErrors();
  });
  afterAll(async () => {
    await closeAssetEngines();
    await server.close();
  });

  it('never deletes a chunk an upload was just told is stored', async () => {
    const data = randomData(6 * MiB);
    // Garbage: stored, then its only record deleted, and older than the grace period.
    const record = await save(db, await db.uploadAsset(data));
    (await db.deleteRecords(record, { force: true })).throwIfErrors();
    await new Promise((resolve) => setTimeout(resolve, GRACE + 300));

    // A new upload of the same content is told every chunk is stored (and so leases them)…
    const before = counting.uploads;
    const asset = await db.uploadAsset(data);
    expect(counting.uploads).toBe(before);
    // …so a collection now, before the commit, must not take them.
    const gc = await db.assets().collectGarbage();
    expect(gc.deletedChunks).toBe(0);
    const saved = await save(db, asset);
    expect(sha256Hex(await collect(await db.downloadAsset(saved, 'content')))).toBe(sha256Hex(data));
  });

  it('collects garbage once the grace period is over', async () => {
    const record = await save(db, await db.uploadAsset(randomData(3 * MiB)));
    (await db.deleteRecords(record, { force: true })).throwIfErrors();
    expect((await db.assets().collectGarbage()).deletedChunks).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, GRACE + 300));
    expect((await db.assets().collectGarbage()).deletedChunks).toBeGreaterThan(0);
  });

  it('GC in a loop beside uploads and commits of old garbage never breaks a committed asset', async () => {
    const contents = [randomData(5 * MiB), randomData(3 * MiB), randomData(4 * MiB)];
    for (const data of contents) {
      const r = await save(db, await db.uploadAsset(data));
      (await db.deleteRecords(r, { force: true })).throwIfErrors();
    }
    await new Promise((resolve) => setTimeout(resolve, GRACE + 300));
    let running = true;
    let runs = 0;
    const loop = (async () => {
      while (running) {
        await db.assets().collectGarbage();
        runs++;
      }
    })();
    try {
      const saved: [Uint8Array, CofferRecord][] = [];
      // Either the upload finds a chunk (and leases it) or GC took it first and it is sent again.
      for (const data of contents) saved.push([data, await save(db, await db.uploadAsset(data))]);
      for (const [data, r] of saved) expect(sha256Hex(await collect(await db.downloadAsset(r, 'content')))).toBe(sha256Hex(data));
    } finally {
      running = false;
      await loop;
    }
    expect(runs).toBeGreaterThan(1);
  });
});
