/**
 * Backup end to end on the SDK against a real server: a snapshot restores to an equal
 * tree (content, permissions, mtimes, symlinks, empty folders) directly in the target;
 * unchanged files are not re-read (cache by path+size+mtime+inode); chunks are stored
 * once across files and snapshots; forget + GC frees what no snapshot needs; snapshots
 * whose chunk references span several records work.
 */
import { appendFileSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAssetEngines, type CofferClient } from '@coffer/sdk';
import { Backup } from '../src/index.js';
import { expectSameTree, makeTree, signedIn, startTestServer, tempDir, type TestServer } from './helpers.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ graceMs: 0 });
});
afterAll(async () => {
  await closeAssetEngines();
  await server.close();
});

describe('backup and restore', () => {
  let client: CofferClient;
  let backup: Backup;
  const source = tempDir();
  beforeAll(async () => {
    client = await signedIn(server.url);
    backup = new Backup(client, { cacheDir: tempDir('coffer-backup-cache-'), deviceName: 'test laptop' });
    makeTree(source);
  });

  it('restores an equal tree directly in the target, and lists snapshots oldest first', async () => {
    const first = await backup.create(source);
    expect(first.snapshot).toMatchObject({ device: 'test laptop', root: source, files: 7, symlinks: 4, dirs: 5 });
    // Two identical 5 MiB files and repeated text: fewer chunks uploaded than read.
    expect(first.upload.deduplicated).toBeGreaterThan(0);
    const target = join(tempDir(), 'restored');
    const report = await backup.restore(first.snapshot.id, target);
    expect(report.chunksCopied).toBeGreaterThan(0);
    expectSameTree(source, target);
    expect(readFileSync(join(target, 'docs/readme.txt'), 'utf8')).toBe('hello, backup\n');

    const second = await backup.create(source);
    const list = await backup.list();
    expect(list.map((s) => s.id)).toEqual([first.snapshot.id, second.snapshot.id]);
    expect(list[0]!.time).toBeLessThanOrEqual(list[1]!.time);
  });

  it('re-reads only changed files, and stores only their new chunks', async () => {
    const unchanged = await backup.create(source);
    expect(unchanged.filesRead).toBe(0);
    expect(unchanged.filesCached).toBe(7);
    expect(unchanged.upload.uploaded).toBe(0);

    appendFileSync(join(source, 'docs/readme.txt.new'), 'a new file');
    writeFileSync(join(source, 'one.bin'), 'y'); // same size, new mtime
    utimesSync(join(source, 'docs/deep/deeper/repetitive.txt'), new Date(), new Date()); // touched only
    const changed = await backup.create(source);
    expect(changed.filesRead).toBe(3);
    expect(changed.filesCached).toBe(5);
    // The touched file's chunks are already stored: only the two new contents travel.
    expect(changed.upload.uploaded).toBe(2);
    const target = tempDir();
    await backup.restore(changed.snapshot.id, target);
    expectSameTree(source, target);
  });

  it('dedups across snapshots without a cache: everything is read, nothing uploaded', async () => {
    const noCache = new Backup(client);
    const report = await noCache.create(source);
    expect(report.filesRead).toBe(8);
    expect(report.upload.uploaded).toBe(0);
  });

  it('resolves unique id prefixes and latest, refuses unknown and ambiguous ones', async () => {
    const list = await backup.list();
    const last = list.at(-1)!;
    const target = tempDir();
    expect((await backup.restore('latest', target)).snapshot.id).toBe(last.id);
    expect((await backup.restore(last.id.slice(0, 8), tempDir())).snapshot.id).toBe(last.id);
    await expect(backup.restore('ffffffffffffffff0', tempDir())).rejects.toMatchObject({ code: 'SNAPSHOT_NOT_FOUND' });
    await expect(backup.restore('', tempDir())).rejects.toMatchObject({ code: 'SNAPSHOT_NOT_FOUND' });
  });
});

describe('forget and GC', () => {
  it('frees chunks only the forgotten snapshot used; the others still restore', async () => {
    const client = await signedIn(server.url);
    const backup = new Backup(client, { cacheDir: tempDir() });
    const dir = tempDir();
    writeFileSync(join(dir, 'kept.bin'), Buffer.alloc(3 * 1024 * 1024, 1));
    writeFileSync(join(dir, 'dropped.bin'), Buffer.alloc(2 * 1024 * 1024, 2));
    const old = await backup.create(dir);
    writeFileSync(join(dir, 'dropped.bin'), Buffer.alloc(2 * 1024 * 1024, 3));
    const current = await backup.create(dir);
    const forgotten = await backup.forget(old.snapshot.id.slice(0, 6));
    expect(forgotten.snapshot.id).toBe(old.snapshot.id);
    expect(forgotten.gc.deletedChunks).toBeGreaterThan(0);
    expect((await backup.list()).map((s) => s.id)).toEqual([current.snapshot.id]);
    const target = tempDir();
    await backup.restore(current.snapshot.id, target);
    expectSameTree(dir, target);

    // The cache still names chunks of the forgotten snapshot for nothing; a file whose
    // cached chunks are gone is read again rather than referenced.
    writeFileSync(join(dir, 'dropped.bin'), Buffer.alloc(2 * 1024 * 1024, 2));
    const again = await backup.create(dir);
    expect(again.upload.uploaded).toBeGreaterThan(0);
    await backup.restore(again.snapshot.id, (await import('node:path')).join(tempDir(), 'x'));
  });

  it('snapshots whose references span several records list, restore and forget', async () => {
    const client = await signedIn(server.url);
    const backup = new Backup(client, { refsPerRecord: 2 });
    const dir = tempDir();
    for (let i = 0; i < 9; i++) writeFileSync(join(dir, `f${i}`), `file number ${i}`);
    const made = await backup.create(dir);
    expect(made.snapshot.parts).toBe(4);
    const target = tempDir();
    await backup.restore(made.snapshot.id, target);
    expectSameTree(dir, target);
    const gc = await backup.forget(made.snapshot.id);
    expect(gc.gc.deletedChunks).toBeGreaterThanOrEqual(9);
    expect(await backup.list()).toEqual([]);
  });
});
