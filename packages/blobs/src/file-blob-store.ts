/**
 * Local-file adapter (the embedded default). Layout: `<root>/<first id char>/<id>`: 64
 * shard folders. (Two characters made 4,096 folders, each a 4 KiB directory block: for a
 * store of a thousand chunks that was 0.4% of its bytes; ext4's hashed directories keep
 * even millions of entries in 64 folders fast.)
 * A put writes `<root>/<shard>/.tmp-<random>`, fsyncs it, renames it over the final name
 * and fsyncs the shard directory, so a crash leaves either the old blob, the new blob or
 * an orphaned `.tmp-*` file (never listed, removed by {@link FileBlobStore.removeStaleTemporaries}),
 * never a partial blob under a real id. rename(2) within one directory is atomic on POSIX.
 *
 * Direct I/O: a put whose bytes are one view in {@link AlignedSlab} memory, and a getInto
 * into such a view, use O_DIRECT when the file system takes it (aligned-slab.ts says why).
 * A direct put writes whole 4 KiB blocks (the slack past the blob zeroed first, inside the
 * caller's run) and truncates the file to the blob's size before the fsync; a direct read
 * reads whole blocks, so up to the next 4 KiB boundary past the size of such a target may
 * be overwritten. A file system that refuses O_DIRECT (tmpfs) is remembered, and every
 * later call is buffered.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import {
  assertBlobId, assertListOptions, BlobNotFoundError, BlobTooLargeError,
  type BlobListOptions, type BlobListPage, type BlobReadStream, type BlobSource, type BlobStat, type BlobStore,
} from './blob-store.js';
import { alignUp, directIoRoom, O_DIRECT } from './aligned-slab.js';

const TEMP_PREFIX = '.tmp-';
const SHARD = /^[A-Za-z0-9_-]$/;
const SHARD_LENGTH = 1;

function isErrno(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}

async function fsyncDirectory(path: string): Promise<void> {
  const handle = await open(path, constants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

const asView = (part: Uint8Array): NodeJS.ArrayBufferView => part;

async function writeAll(handle: FileHandle, data: BlobSource): Promise<number> {
  if (data instanceof Uint8Array) {
    let offset = 0;
    while (offset < data.byteLength) {
      const { bytesWritten } = await handle.write(data, offset, data.byteLength - offset);
      offset += bytesWritten;
    }
    return data.byteLength;
  }
  if (Array.isArray(data)) {
    const parts = data as readonly Uint8Array[];
    const total = parts.reduce((n, part) => n + part.byteLength, 0);
    // One writev for all parts (one thread-pool round trip); it may write less than asked.
    let written = (await handle.writev(parts.map(asView))).bytesWritten;
    if (written < total) {
      for (const part of parts) {
        if (written >= part.byteLength) {
          written -= part.byteLength;
          continue;
        }
        await writeAll(handle, part.subarray(written));
        written = 0;
      }
    }
    return total;
  }
  let total = 0;
  for await (const piece of data as AsyncIterable<Uint8Array>) {
    total += await writeAll(handle, piece);
  }
  return total;
}

export interface FileBlobStoreOptions {
  /** Directory that holds the shards; created if missing. */
  root: string;
  /** Use O_DIRECT for blobs in AlignedSlab memory where the file system allows it (default true on Linux). */
  directIo?: boolean;
}


export class FileBlobStore implements BlobStore {
  readonly kind = 'file';
  readonly root: string;
  #rootReady: Promise<void> | undefined;
  /** Shard folders that exist (they are never removed while the store is open). */
  readonly #shards = new Set<string>();

  /** False once the file system refused O_DIRECT (or when turned off): every call is buffered then. */
  #direct: boolean;

  constructor(options: FileBlobStoreOptions) {
    this.root = options.root;
    this.#direct = O_DIRECT !== undefined && (options.directIo ?? true);
  }

  /** True while direct I/O is still in use (not turned off, not refused by the file system). */
  get directIo(): boolean {
    return this.#direct;
  }

  /** The one view a direct put writes from, if `data` qualifies: a single part with room for whole blocks. */
  #directSource(data: BlobSource): Uint8Array | undefined {
    if (!this.#direct) return undefined;
    const part = data instanceof Uint8Array ? data : Array.isArray(data) && (data as readonly Uint8Array[]).length === 1 ? (data as readonly Uint8Array[])[0]! : undefined;
    if (part === undefined || part.byteLength === 0 || directIoRoom(part) < alignUp(part.byteLength)) return undefined;
    return part;
  }

  /**
   * Writes `part` to a new file at `temp` with O_DIRECT and fsyncs it. Resolves false
   * (nothing left behind) when the file system refuses O_DIRECT, which turns it off.
   */
  async #putDirect(temp: string, part: Uint8Array): Promise<boolean> {
    let handle: FileHandle;
    try {
      handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | O_DIRECT!, 0o600);
    } catch (error) {
      if (!isErrno(error, 'EINVAL')) throw error;
      this.#direct = false;
      return false;
    }
    try {
      const size = part.byteLength;
      const blocks = new Uint8Array(part.buffer, part.byteOffset, alignUp(size));
      // The slack is the caller's run too (directIoRoom): zero it so no other bytes reach the disk.
      blocks.fill(0, size);
      let written = 0;
      while (written < blocks.byteLength) {
        const { bytesWritten } = await handle.write(blocks, written, blocks.byteLength - written, written);
        written += bytesWritten;
      }
      await handle.truncate(size);
      await handle.sync();
      await handle.close();
      return true;
    } catch (error) {
      await handle.close().catch(() => undefined);
      await unlink(temp).catch(() => undefined);
      if (!isErrno(error, 'EINVAL')) throw error;
      this.#direct = false;
      return false;
    }
  }

  #shardOf(id: string): string {
    return join(this.root, id.slice(0, SHARD_LENGTH));
  }

  #pathOf(id: string): string {
    return join(this.root, id.slice(0, SHARD_LENGTH), id);
  }

  async #ensureShard(id: string): Promise<string> {
    this.#rootReady ??= mkdir(this.root, { recursive: true }).then(() => undefined);
    await this.#rootReady;
    const shard = this.#shardOf(id);
    // Known to exist (made or seen by this process): skip the mkdir, whose EEXIST error
    // object cost more CPU per put than the write itself.
    if (this.#shards.has(shard)) return shard;
    try {
      await mkdir(shard);
      // A new directory entry in the root must itself be durable before we rely on it.
      await fsyncDirectory(this.root);
    } catch (error) {
      if (!isErrno(error, 'EEXIST')) throw error;
    }
    this.#shards.add(shard);
    return shard;
  }

  async put(id: string, data: BlobSource): Promise<BlobStat> {
    assertBlobId(id);
    const shard = await this.#ensureShard(id);
    const temp = join(shard, `${TEMP_PREFIX}${randomBytes(12).toString('hex')}`);
    const direct = this.#directSource(data);
    let size: number;
    if (direct !== undefined && await this.#putDirect(temp, direct)) {
      size = direct.byteLength;
    } else {
      const handle = await open(temp, 'wx', 0o600);
      try {
        size = await writeAll(handle, data);
        await handle.sync();
      } catch (error) {
        await handle.close().catch(() => undefined);
        await unlink(temp).catch(() => undefined);
        throw error;
      }
      await handle.close();
    }
    try {
      await rename(temp, this.#pathOf(id));
    } catch (error) {
      await unlink(temp).catch(() => undefined);
      throw error;
    }
    await fsyncDirectory(shard);
    return { id, size };
  }

  async get(id: string): Promise<Uint8Array> {
    assertBlobId(id);
    try {
      const buffer = await readFile(this.#pathOf(id));
      return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    } catch (error) {
      if (isErrno(error, 'ENOENT')) throw new BlobNotFoundError(id);
      throw error;
    }
  }

  /** Opens blob `id` for reading (`flags` added to O_RDONLY); a missing one is BlobNotFoundError. */
  async #openBlob(id: string, flags = 0): Promise<FileHandle> {
    try {
      return await open(this.#pathOf(id), constants.O_RDONLY | flags);
    } catch (error) {
      if (isErrno(error, 'ENOENT')) throw new BlobNotFoundError(id);
      throw error;
    }
  }

  async getStream(id: string): Promise<BlobReadStream> {
    assertBlobId(id);
    const handle = await this.#openBlob(id);
    try {
      const { size } = await handle.stat();
      // The open handle pins the inode: a concurrent replace or delete cannot tear this read.
      // `end` = the size read at open: the stream stops there instead of issuing one more
      // 1 MiB read (a fresh buffer, then a shrink-copy) to discover the end of file.
      return { size, stream: handle.createReadStream({ autoClose: true, highWaterMark: 1 << 20, ...(size > 0 ? { start: 0, end: size - 1 } : {}) }) };
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  /**
   * getInto with O_DIRECT: whole blocks straight into `target` (`room` bytes of slab memory).
   * Resolves undefined when the buffered path must decide instead: the blob's blocks do not
   * fit the room (or the target), or the file system refuses O_DIRECT (then turned off).
   */
  async #getDirect(id: string, target: Uint8Array, room: number): Promise<number | undefined> {
    let handle: FileHandle;
    try {
      handle = await this.#openBlob(id, O_DIRECT);
    } catch (error) {
      if (!isErrno(error, 'EINVAL')) throw error;
      this.#direct = false;
      return undefined;
    }
    try {
      const { size } = await handle.stat();
      if (alignUp(size) > room) return undefined;
      // Whole blocks from block offsets; only the last read (at the end of file) is short.
      await readBlob(handle, id, new Uint8Array(target.buffer, target.byteOffset, alignUp(size)), size);
      return size;
    } catch (error) {
      if (!isErrno(error, 'EINVAL')) throw error;
      this.#direct = false;
      return undefined;
    } finally {
      await handle.close();
    }
  }

  async getInto(id: string, target: Uint8Array): Promise<number> {
    assertBlobId(id);
    // Direct only into slab memory with room for at least one block; the size decides below.
    const room = this.#direct ? Math.min(directIoRoom(target), target.byteLength) : 0;
    if (room > 0) {
      const size = await this.#getDirect(id, target, room);
      if (size !== undefined) return size;
    }
    const handle = await this.#openBlob(id);
    try {
      // As in getStream, the open handle pins the inode: a concurrent replace or delete
      // cannot tear the read, so the size read here is the size of what we read.
      const { size } = await handle.stat();
      if (size > target.byteLength) throw new BlobTooLargeError(id, target.byteLength, size);
      await readBlob(handle, id, target.subarray(0, size), size);
      return size;
    } finally {
      await handle.close();
    }
  }

  async stat(id: string): Promise<BlobStat | undefined> {
    assertBlobId(id);
    try {
      const info = await stat(this.#pathOf(id));
      return { id, size: info.size };
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return undefined;
      throw error;
    }
  }

  async has(id: string): Promise<boolean> {
    return (await this.stat(id)) !== undefined;
  }

  async delete(id: string): Promise<void> {
    assertBlobId(id);
    try {
      await unlink(this.#pathOf(id));
    } catch (error) {
      if (!isErrno(error, 'ENOENT')) throw error;
    }
  }

  async list(options: BlobListOptions = {}): Promise<BlobListPage> {
    const { prefix, startAfter, limit } = assertListOptions(options);
    const shards = (await readdirOrEmpty(this.root))
      .filter((name) => SHARD.test(name))
      .filter((name) => (prefix.length >= SHARD_LENGTH ? name === prefix.slice(0, SHARD_LENGTH) : name.startsWith(prefix)))
      .filter((name) => startAfter === undefined || name >= startAfter.slice(0, SHARD_LENGTH))
      .sort();
    const items: BlobStat[] = [];
    for (const shard of shards) {
      const names = (await readdirOrEmpty(join(this.root, shard)))
        .filter((name) => !name.startsWith('.') && name.startsWith(prefix) && (startAfter === undefined || name > startAfter))
        .sort();
      for (const name of names) {
        try {
          const info = await stat(join(this.root, shard, name));
          items.push({ id: name, size: info.size });
        } catch (error) {
          if (!isErrno(error, 'ENOENT')) throw error; // deleted while listing
          continue;
        }
        if (items.length > limit) {
          items.length = limit;
          return { items, next: items[limit - 1]!.id };
        }
      }
    }
    return { items };
  }

  /** Removes `.tmp-*` files older than `maxAgeMs` (left by a crash mid-put). Returns how many. */
  async removeStaleTemporaries(maxAgeMs: number): Promise<number> {
    let removed = 0;
    const cutoff = Date.now() - maxAgeMs;
    for (const shard of (await readdirOrEmpty(this.root)).filter((name) => SHARD.test(name))) {
      for (const name of await readdirOrEmpty(join(this.root, shard))) {
        if (!name.startsWith(TEMP_PREFIX)) continue;
        const path = join(this.root, shard, name);
        try {
          if ((await stat(path)).mtimeMs < cutoff) {
            await unlink(path);
            removed += 1;
          }
        } catch (error) {
          if (!isErrno(error, 'ENOENT')) throw error;
        }
      }
    }
    return removed;
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * Positional reads into `view` from offset 0 until `size` bytes are in — straight into the
 * caller's memory, no intermediate buffer. A read may return less than asked (and a direct
 * read of whole blocks stops at the end of file), so it loops; reading nothing first is a
 * blob that shrank since its size was read.
 */
async function readBlob(handle: FileHandle, id: string, view: Uint8Array, size: number): Promise<void> {
  for (let filled = 0; filled < size;) {
    const { bytesRead } = await handle.read(view, filled, view.byteLength - filled, filled);
    if (bytesRead === 0) throw new Error(`blob ${JSON.stringify(id)} changed size while it was being read (${filled} of ${size} bytes)`);
    filled += bytesRead;
  }
}

async function readdirOrEmpty(path: string): Promise<string[]> {
  try {
    return await readdir(path);
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return [];
    throw error;
  }
}
