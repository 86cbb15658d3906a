/**
 * The incremental cache: for each file of the last snapshot of a folder, its size, mtime
 * and inode and the chunk refs it had. A file whose path, size, mtime and inode are
 * unchanged is not read again; its refs are reused (after the server confirms it still
 * stores those chunks). One JSON file per backed-up folder under the cache directory,
 * 0600 in a 0700 folder: it holds chunk keys, so it is as secret as the keychain.
 * Written to a temporary name and renamed, so a crash leaves the old cache or the new.
 */
import { createHash } from 'node:crypto';
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { AssetChunkRef } from '@coffer/crypto';
import type { ScannedFile } from './scan.js';

const CACHE_VERSION = 1;

interface CachedFile {
  size: number;
  mtimeNs: string;
  ino: string;
  chunks: [string, string, number][];
}

interface CacheDocument {
  version: number;
  root: string;
  files: Record<string, CachedFile>;
}

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
const unb64 = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'base64url'));

export class FileCache {
  #next: Record<string, CachedFile> = {};

  private constructor(readonly path: string, readonly root: string, private readonly files: Record<string, CachedFile>) {}

  /** The cache of `root` (an empty one if there is none or it is unreadable: the cache is only an optimisation). */
  static async load(cacheDir: string, root: string): Promise<FileCache> {
    const path = join(cacheDir, `${createHash('sha256').update(root).digest('hex').slice(0, 32)}.json`);
    let files: Record<string, CachedFile> = {};
    try {
      const doc = JSON.parse(await readFile(path, 'utf8')) as Partial<CacheDocument>;
      if (doc.version === CACHE_VERSION && doc.root === root && typeof doc.files === 'object' && doc.files !== null) files = doc.files;
    } catch {
      // Missing or damaged: start over (every file is read once).
    }
    return new FileCache(path, root, files);
  }

  /** The chunk refs of an unchanged file, or undefined. */
  lookup(file: ScannedFile): AssetChunkRef[] | undefined {
    const hit = this.files[file.path];
    if (hit?.size !== file.size || hit.mtimeNs !== file.mtimeNs.toString() || hit.ino !== file.ino.toString()) return undefined;
    try {
      return hit.chunks.map(([id, key, size]) => ({ id: unb64(id), key: unb64(key), size }));
    } catch {
      return undefined;
    }
  }

  /** Records a file for the next cache (the cache is replaced by the files of the snapshot being made). */
  remember(file: ScannedFile, chunks: readonly AssetChunkRef[]): void {
    // A file that changed while it was read does not match its stat: leave it out so it is read next time.
    if (chunks.reduce((n, c) => n + c.size, 0) !== file.size) return;
    this.#next[file.path] = { size: file.size, mtimeNs: file.mtimeNs.toString(), ino: file.ino.toString(), chunks: chunks.map((c) => [b64(c.id), b64(c.key), c.size]) };
  }

  /** Writes the files remembered since load (after the snapshot is committed). */
  async save(): Promise<void> {
    const dir = join(this.path, '..');
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const tmp = `${this.path}.${process.pid}.tmp`;
    const handle = await open(tmp, 'w', 0o600);
    try {
      await handle.writeFile(JSON.stringify({ version: CACHE_VERSION, root: this.root, files: this.#next } satisfies CacheDocument));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, this.path);
  }
}
