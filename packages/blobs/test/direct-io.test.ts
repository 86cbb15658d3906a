/**
 * Direct I/O in the file adapter (aligned-slab.ts, file-blob-store.ts): blobs in AlignedSlab
 * memory are written and read with O_DIRECT where the file system takes it, byte-exact at
 * every size around the 4 KiB block, and a file system that refuses O_DIRECT (tmpfs) falls
 * back to buffered I/O with the same results.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AlignedSlab, alignUp, DIRECT_IO_ALIGNMENT, directIoRoom, FileBlobStore } from '@coffer/blobs';

const UNIT = 64 * 1024;
const sizes = [1, 100, DIRECT_IO_ALIGNMENT - 1, DIRECT_IO_ALIGNMENT, DIRECT_IO_ALIGNMENT + 1, UNIT - 1, UNIT + 1, 1024 * 1024 + 3];

describe('AlignedSlab', () => {
  it('hands out block-aligned runs of whole 64 KiB units, lowest first, and takes back only what it gave', () => {
    const slab = new AlignedSlab(4 * UNIT);
    const a = slab.take(1)!;
    const b = slab.take(UNIT + 1)!;
    expect([a.byteOffset, a.length, b.byteOffset, b.length]).toEqual([0, UNIT, UNIT, 2 * UNIT]);
    expect(slab.take(2 * UNIT)).toBeUndefined();
    expect(slab.give(a.subarray(0))).toBe(false);
    expect(slab.give(a)).toBe(true);
    expect(slab.give(a)).toBe(false);
    expect(slab.take(UNIT)!.byteOffset).toBe(0);
  });

  it('room: bytes from a view to the end of its run, only for block-aligned views of live runs', () => {
    const slab = new AlignedSlab(4 * UNIT);
    const run = slab.take(UNIT + 5)!;
    expect(directIoRoom(run)).toBe(2 * UNIT);
    expect(directIoRoom(run.subarray(DIRECT_IO_ALIGNMENT))).toBe(2 * UNIT - DIRECT_IO_ALIGNMENT);
    expect(directIoRoom(run.subarray(5))).toBe(0);
    expect(directIoRoom(Buffer.alloc(UNIT))).toBe(0);
    slab.give(run);
    expect(directIoRoom(run)).toBe(0);
  });
});

describe('FileBlobStore with direct I/O', () => {
  const dirs: string[] = [];
  const slab = new AlignedSlab(8 * 1024 * 1024);
  afterAll(async () => {
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  async function roundTrips(store: FileBlobStore): Promise<void> {
    for (const size of sizes) {
      const bytes = randomBytes(size);
      const source = slab.take(size)!;
      source.fill(0xee); // slack that must not reach the blob
      source.set(bytes);
      const id = `blob-${size}`;
      expect(await store.put(id, [source.subarray(0, size)])).toEqual({ id, size });
      // What is on disk is exactly the blob (the slack was zeroed and truncated away).
      const onDisk = await readFile(join(store.root, id[0]!, id));
      expect(onDisk.equals(bytes), `on disk, ${size} bytes`).toBe(true);
      // A direct write sends whole blocks: the slack up to the block's end was zeroed first,
      // so the 0xee bytes (in a server: another chunk's) never went to the disk.
      if (store.directIo) expect(source.subarray(size, alignUp(size)).every((b) => b === 0)).toBe(true);
      slab.give(source);

      // Into slab memory one block in (as assets/fetch does) and into an ordinary buffer.
      const frame = slab.take(DIRECT_IO_ALIGNMENT + size)!;
      const target = frame.subarray(DIRECT_IO_ALIGNMENT);
      expect(await store.getInto(id, target)).toBe(size);
      expect(target.subarray(0, size).equals(bytes), `read into the slab, ${size} bytes`).toBe(true);
      // Bytes before the target are the caller's: never touched.
      frame.fill(0x11, 0, DIRECT_IO_ALIGNMENT);
      expect(await store.getInto(id, target)).toBe(size);
      expect(frame.subarray(0, DIRECT_IO_ALIGNMENT).every((b) => b === 0x11)).toBe(true);
      slab.give(frame);
      const plain = Buffer.alloc(size + 10, 0xa5);
      expect(await store.getInto(id, plain)).toBe(size);
      expect(plain.subarray(0, size).equals(bytes)).toBe(true);
      expect(plain.subarray(size).every((b) => b === 0xa5)).toBe(true);
    }
    // No temporaries left behind.
    for (const shard of await readdir(store.root)) expect((await readdir(join(store.root, shard))).filter((n) => n.startsWith('.'))).toEqual([]);
  }

  it('writes and reads slab memory byte-exact at every size around a block (O_DIRECT where the file system takes it)', async () => {
    const root = await mkdtemp(join(tmpdir(), 'coffer-direct-'));
    dirs.push(root);
    const store = new FileBlobStore({ root });
    await roundTrips(store);
    // tmpdir() is a disk file system on Linux CI: O_DIRECT stays on. (Elsewhere this only checks the fallback.)
    if (process.platform === 'linux' && !(await isTmpfs(root))) expect(store.directIo).toBe(true);
  });

  it('on tmpfs (which refused O_DIRECT before Linux 6.6 and takes it since) the results are the same either way', async () => {
    if (!existsSync('/dev/shm')) return;
    const root = await mkdtemp('/dev/shm/coffer-direct-');
    dirs.push(root);
    await roundTrips(new FileBlobStore({ root }));
  });

  it('directIo: false never uses O_DIRECT', async () => {
    const root = await mkdtemp(join(tmpdir(), 'coffer-direct-off-'));
    dirs.push(root);
    const store = new FileBlobStore({ root, directIo: false });
    expect(store.directIo).toBe(false);
    await roundTrips(store);
  });

  it('a blob too large for a slab target is BlobTooLargeError, as for any target', async () => {
    const root = await mkdtemp(join(tmpdir(), 'coffer-direct-large-'));
    dirs.push(root);
    const store = new FileBlobStore({ root });
    await store.put('large-one', randomBytes(3 * DIRECT_IO_ALIGNMENT));
    const run = slab.take(UNIT)!;
    await expect(store.getInto('large-one', run.subarray(0, 2 * DIRECT_IO_ALIGNMENT))).rejects.toMatchObject({ code: 'BLOB_TOO_LARGE' });
    expect(alignUp(1)).toBe(DIRECT_IO_ALIGNMENT);
    slab.give(run);
  });
});

async function isTmpfs(path: string): Promise<boolean> {
  try {
    const mounts = await readFile('/proc/mounts', 'utf8');
    let best = '';
    let type = '';
    for (const line of mounts.split('\n')) {
      const [, mountPoint, fsType] = line.split(' ');
      if (mountPoint !== undefined && fsType !== undefined && path.startsWith(mountPoint) && mountPoint.length > best.length) {
        best = mountPoint;
        type = fsType;
      }
    }
    return type === 'tmpfs';
  } catch {
    return false;
  }
}
