/**
 * Restore through assets/fetch: each distinct chunk is downloaded once and written to every
 * place it occurs (files that share content, a file that repeats itself), with few target
 * files open at once; a corrupted or swapped chunk stops the restore with DecryptionError
 * and no byte that did not verify reaches the target.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chunkIdToString, DecryptionError } from '@coffer/crypto';
import { closeAssetEngines, type CofferClient } from '@coffer/sdk';
import { Backup } from '../src/index.js';
import { SnapshotStore } from '../src/snapshot-store.js';
import type { FileEntry } from '../src/snapshot-format.js';
import { expectSameTree, signedIn, startTestServer, tempDir, type TestServer } from './helpers.js';

const MiB = 1024 * 1024;

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ graceMs: 60_000 });
});
afterAll(async () => {
  await closeAssetEngines();
  await server.close();
});

/** The server's blob file of one of this test's chunks (file store: <dataDir>/blobs/<2 chars>/<id>.<user tag>). */
function blobPath(chunkId: string): string {
  const shard = join(server.dataDir, 'blobs', chunkId.slice(0, 1));
  const name = readdirSync(shard).find((n) => n.startsWith(`${chunkId}.`));
  if (name === undefined) throw new Error(`no blob for ${chunkId}`);
  return join(shard, name);
}

/** A tree whose files share chunks: two copies of a multi-chunk file, pieces of it in others, a file repeating itself. */
function sharedTree(root: string): void {
  const a = randomBytes(3 * MiB);
  const b = randomBytes(2 * MiB);
  mkdirSync(join(root, 'x/y'), { recursive: true });
  writeFileSync(join(root, 'a.bin'), a);
  writeFileSync(join(root, 'x/copy-of-a.bin'), a);
  writeFileSync(join(root, 'x/y/a-then-b.bin'), Buffer.concat([a, b]));
  writeFileSync(join(root, 'b-then-a.bin'), Buffer.concat([b, a]));
  writeFileSync(join(root, 'b-twice.bin'), Buffer.concat([b, b]));
  for (let i = 0; i < 6; i++) writeFileSync(join(root, `small-${i}.txt`), `small file ${i % 3}\n`);
}

describe('restore over batched fetches', () => {
  let client: CofferClient;
  let backup: Backup;
  const source = tempDir();
  let snapshotId: string;
  let files: FileEntry[];

  beforeAll(async () => {
    client = await signedIn(server.url);
    backup = new Backup(client);
    sharedTree(source);
    snapshotId = (await backup.create(source)).snapshot.id;
    const store = new SnapshotStore(client);
    files = (await store.readIndex(await store.resolve(snapshotId))).entries.filter((e): e is FileEntry => e.type === 'file');
  });

  it('downloads each distinct chunk once and writes it everywhere it occurs, even with one file open at a time', async () => {
    const placements = files.reduce((n, f) => n + f.chunks.length, 0);
    const distinct = new Set(files.flatMap((f) => f.chunks.map((c) => chunkIdToString(c.id)))).size;
    expect(distinct).toBeLessThan(placements);
    // With direct writes (the default where the file system takes O_DIRECT) and buffered ones.
    for (const [maxOpenFiles, directIo] of [[1, true], [2, true], [64, true], [1, false], [64, false]] as const) {
      const target = join(tempDir(), 'restored');
      let progress = 0;
      const report = await backup.restore(snapshotId, target, { maxOpenFiles, directIo, window: 3, onProgress: (done) => { progress = done; } });
      expect(report.chunksDownloaded).toBe(distinct);
      expect(report.chunksCopied).toBe(placements - distinct);
      expect(report.bytes).toBe(files.reduce((n, f) => n + f.size, 0));
      expect(progress).toBe(report.bytes);
      expectSameTree(source, target);
    }
  });

  /** Every restored byte is the source's byte or a hole (0): nothing unverified was written. */
  function expectOnlyVerifiedBytes(target: string): void {
    for (const file of files) {
      const path = join(target, ...file.path.split('/'));
      if (!existsSync(path)) continue;
      const restored = readFileSync(path);
      const original = readFileSync(join(source, ...file.path.split('/')));
      expect(restored.length, file.path).toBeLessThanOrEqual(original.length);
      for (let i = 0; i < restored.length; i++) {
        if (restored[i] !== 0 && restored[i] !== original[i]) throw new Error(`${file.path}: byte ${i} was neither restored nor left empty`);
      }
    }
  }

  /** Where a chunk lands: for each file holding it, the byte range. */
  function placesOf(chunkId: string): { path: string; start: number; end: number }[] {
    const out: { path: string; start: number; end: number }[] = [];
    for (const file of files) {
      let offset = 0;
      for (const c of file.chunks) {
        if (chunkIdToString(c.id) === chunkId) out.push({ path: file.path, start: offset, end: offset + c.size });
        offset += c.size;
      }
    }
    return out;
  }

  it('a corrupted chunk in a batch: DecryptionError, and none of its bytes in any file that holds it', async () => {
    // A chunk of a.bin: it also lives in three other files.
    const a = files.find((f) => f.path === 'a.bin')!;
    const victim = chunkIdToString(a.chunks[1]!.id);
    expect(placesOf(victim).length).toBeGreaterThan(1);
    const path = blobPath(victim);
    const original = readFileSync(path);
    const corrupted = Buffer.from(original);
    corrupted[corrupted.length - 50]! ^= 0x40; // the last segment: every earlier segment verifies
    writeFileSync(path, corrupted);
    try {
      const target = join(tempDir(), 'restored');
      await expect(backup.restore(snapshotId, target)).rejects.toBeInstanceOf(DecryptionError);
      expectOnlyVerifiedBytes(target);
      for (const place of placesOf(victim)) {
        const at = join(target, ...place.path.split('/'));
        if (!existsSync(at)) continue;
        const bytes = readFileSync(at).subarray(place.start, place.end);
        expect(bytes.every((b) => b === 0), `${place.path} holds bytes of the corrupted chunk`).toBe(true);
      }
    } finally {
      writeFileSync(path, original);
    }
  });

  it('a chunk swapped for another stored chunk: DecryptionError, nothing unverified written', async () => {
    const ab = files.find((f) => f.path === 'x/y/a-then-b.bin')!;
    const [first, second] = [chunkIdToString(ab.chunks[0]!.id), chunkIdToString(ab.chunks.at(-1)!.id)];
    const path = blobPath(first);
    const original = readFileSync(path);
    writeFileSync(path, readFileSync(blobPath(second)));
    try {
      const target = join(tempDir(), 'restored');
      await expect(backup.restore(snapshotId, target)).rejects.toBeInstanceOf(DecryptionError);
      expectOnlyVerifiedBytes(target);
    } finally {
      writeFileSync(path, original);
    }
    // Repaired: the same snapshot restores whole again.
    const target = join(tempDir(), 'restored');
    await backup.restore(snapshotId, target);
    expectSameTree(source, target);
  });
});
