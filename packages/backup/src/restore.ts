/**
 * `backup restore SNAPSHOT TARGET`: recreates the backed-up folder's contents directly in
 * TARGET (TARGET/file, not TARGET/original/path/file): folders (empty ones too), file
 * contents, symlinks, then permissions and modification times — folders last and deepest
 * first, since creating their contents changes their mtime.
 *
 * Content: every distinct chunk is fetched once, many per request (AssetSession
 * `openChunks`: assets/fetch), verified and decrypted, and its plaintext written straight
 * to every place it occurs — a duplicate file or shared content costs a positional write,
 * not a download or a read-back. Chunks arrive in any order; each file is created
 * (truncated) at its first write and closed after its last. A corrupted or swapped chunk
 * stops the restore with `DecryptionError`; only verified plaintext is ever written.
 *
 * Paths come from an authenticated index and are checked anyway: nothing is written
 * outside TARGET, existing symlinks in the way are replaced, never followed.
 */
import { constants } from 'node:fs';
import { chmod, lstat, lutimes, mkdir, open, rm, symlink, utimes, type FileHandle } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { O_DIRECT } from '@coffer/blobs';
import type { AssetChunkRef } from '@coffer/crypto';
import type { AssetSession } from '@coffer/sdk';
import { DirectWrites, type PendingBlocks } from './direct-writes.js';
import { BackupError } from './errors.js';
import { comparePaths } from './scan.js';
import { chunkIdText, isSafeRelativePath, type FileEntry, type IndexEntry, type SnapshotIndex } from './snapshot-format.js';

/** Default of RestoreOptions.maxOpenFiles (a file stays open from its first write to its last; the least recently used idle one closes first). */
const MAX_OPEN_FILES = 64;

export interface RestoreOptions {
  /** Plaintext bytes written so far of the total. */
  onProgress?: (done: number, total: number) => void;
  /** Decrypted chunks held at most while their writes run (default 12). */
  window?: number;
  /** Target files kept open at once (default 64); others are closed and reopened as needed. */
  maxOpenFiles?: number;
  /**
   * Write file contents with O_DIRECT where the file system takes it (default true on
   * Linux; direct-writes.ts says why). A file system that refuses it is written buffered.
   */
  directIo?: boolean;
}

/** Aligned memory for direct writes in flight: every chunk of a window (12 × ≤ 4 MiB) fits. */
const DIRECT_MEMORY = 64 * 1024 * 1024;

export interface RestoreReport {
  files: number;
  dirs: number;
  symlinks: number;
  bytes: number;
  /** Distinct chunks downloaded vs. further places they were written to (duplicates, shared content). */
  chunksDownloaded: number;
  chunksCopied: number;
}

/** A file being restored: where it goes, and how many chunk writes it still waits for. */
interface TargetFile {
  readonly path: string;
  /** Bytes the file has once restored. */
  size: number;
  /** Written with O_DIRECT (decided at its first open), and its partial blocks waiting for their other bytes. */
  direct: boolean;
  readonly pending: PendingBlocks;
  remaining: number;
  /** Writes started and not finished (only an idle handle may be closed to make room). */
  writing: number;
  /** Created (truncated) already: later opens must not truncate again. */
  created: boolean;
}

/** Where one distinct chunk goes. */
interface ChunkPlaces {
  ref: AssetChunkRef;
  places: { file: TargetFile; offset: number }[];
}

/** Seconds as utimes wants them, from exact nanoseconds. */
function seconds(mtimeNs: string): number {
  const ns = BigInt(mtimeNs);
  return Number(ns / 1_000_000_000n) + Number(ns % 1_000_000_000n) / 1e9;
}

export async function restoreSnapshot(session: AssetSession, index: SnapshotIndex, target: string, options: RestoreOptions = {}): Promise<RestoreReport> {
  const root = resolve(target);
  // Every parent must be a folder of the snapshot: together with ensureDir (which replaces
  // anything that is not a real folder) no write can pass through a symlink.
  const folders = new Set(index.entries.filter((e) => e.type === 'dir').map((e) => e.path));
  for (const e of index.entries) {
    const parent = e.path.includes('/') ? e.path.slice(0, e.path.lastIndexOf('/')) : '';
    if (!isSafeRelativePath(e.path) || (parent !== '' && !folders.has(parent))) {
      throw new BackupError('UNSAFE_PATH', `snapshot entry ${JSON.stringify(e.path)} would leave the restore target`);
    }
  }
  await ensureDir(root, true);
  const at = (e: IndexEntry): string => join(root, ...e.path.split('/'));

  const dirs = index.entries.filter((e) => e.type === 'dir').sort((a, b) => comparePaths(a.path, b.path));
  const files = index.entries.filter((e): e is FileEntry => e.type === 'file');
  const links = index.entries.filter((e) => e.type === 'symlink');
  for (const d of dirs) await ensureDir(at(d), false);

  const total = files.reduce((n, f) => n + f.size, 0);
  const report: RestoreReport = { files: files.length, dirs: dirs.length, symlinks: links.length, bytes: 0, chunksDownloaded: 0, chunksCopied: 0 };
  await writeContents(session, files, at, report, total, options);

  for (const l of links) {
    const path = at(l);
    await rm(path, { recursive: true, force: true });
    await symlink(l.target, path);
    const t = seconds(l.mtimeNs);
    await lutimes(path, t, t);
  }
  for (const f of files) {
    await chmod(at(f), f.mode);
    const t = seconds(f.mtimeNs);
    await utimes(at(f), t, t);
  }
  // Deepest first: setting a folder's time before its children are done would not stick.
  for (const d of [...dirs].reverse()) {
    await chmod(at(d), d.mode);
    const t = seconds(d.mtimeNs);
    await utimes(at(d), t, t);
  }
  return report;
}

async function writeContents(
  session: AssetSession, files: readonly FileEntry[], at: (e: IndexEntry) => string, report: RestoreReport, total: number, options: RestoreOptions,
): Promise<void> {
  const chunks = new Map<string, ChunkPlaces>();
  for (const entry of files) {
    const file: TargetFile = { path: at(entry), size: 0, direct: false, pending: new Map(), remaining: entry.chunks.length, writing: 0, created: false };
    let offset = 0;
    for (const ref of entry.chunks) {
      const id = chunkIdText(ref.id);
      let chunk = chunks.get(id);
      if (chunk === undefined) {
        chunk = { ref, places: [] };
        chunks.set(id, chunk);
      }
      chunk.places.push({ file, offset });
      offset += ref.size;
    }
    file.size = offset;
  }

  // Empty files have no chunks: create them first.
  for (const f of files) if (f.chunks.length === 0) await (await openForWrite(at(f))).close();

  if (chunks.size === 0) return;
  const target = new TargetFiles(options.maxOpenFiles ?? MAX_OPEN_FILES, O_DIRECT !== undefined && (options.directIo ?? true));
  const writing = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  try {
    // First-seen order: files fill roughly front to back, so few are open at once.
    for await (const opened of session.openChunks([...chunks.values()].map((c) => c.ref), { maxOpen: options.window ?? 12 })) {
      if (failure !== undefined) {
        opened.release();
        break;
      }
      const chunk = chunks.get(opened.idText);
      if (chunk === undefined) {
        opened.release();
        continue;
      }
      const bytes = opened.plaintext;
      // Settled, not all(): the buffer goes back to the fetcher only once no write reads it.
      const done = Promise.allSettled(chunk.places.map(async ({ file, offset }) => {
        await target.write(file, bytes, offset);
        report.bytes += bytes.length;
        options.onProgress?.(report.bytes, total);
      })).then((results) => {
        opened.release();
        writing.delete(done);
        const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
        if (failed !== undefined) failure ??= { error: failed.reason };
        else {
          report.chunksDownloaded++;
          report.chunksCopied += chunk.places.length - 1;
        }
      });
      writing.add(done);
    }
  } finally {
    await Promise.allSettled([...writing]);
    await target.closeAll();
  }
  if (failure !== undefined) throw failure.error;
}

/**
 * The open files of a restore. A file is created (truncated, never through a symlink) at
 * its first write and closed after its last; at most `maxOpen` stay open, the least
 * recently used idle one is closed to make room and reopened (without truncating) later.
 */
class TargetFiles {
  /** Insertion order is use order: the first entry is the least recently used. */
  readonly #open = new Map<TargetFile, Promise<FileHandle>>();
  readonly #closing = new Set<Promise<void>>();

  readonly #maxOpen: number;
  /** Direct writes, until a file system refuses O_DIRECT (then every later file is buffered). */
  #direct: DirectWrites | undefined;

  constructor(maxOpen: number, directIo: boolean) {
    this.#maxOpen = Math.max(1, maxOpen);
    if (directIo) {
      try {
        this.#direct = new DirectWrites(DIRECT_MEMORY);
      } catch {
        // No aligned memory to be had (address space): buffered writes work the same.
      }
    }
  }

  async write(file: TargetFile, bytes: Uint8Array, offset: number): Promise<void> {
    file.writing++;
    try {
      const handle = await this.#handle(file);
      if (file.direct) await this.#direct!.write(handle, file.pending, bytes, offset, file.size);
      else {
        for (let done = 0; done < bytes.length;) {
          const { bytesWritten } = await handle.write(bytes, done, bytes.length - done, offset + done);
          done += bytesWritten;
        }
      }
    } finally {
      file.writing--;
    }
    file.remaining--;
    if (file.remaining === 0) {
      // Every block is written (the chunks cover the file, and the last block's padding was
      // cut as it went out): a partial block left over would be a bug, not a short file.
      if (file.direct && file.pending.size > 0) throw new Error(`restore: ${file.pending.size} partial blocks of ${file.path} were never completed`);
      this.#close(file);
    }
  }

  /** Closes what is still open (after a failure) and waits for every close. */
  async closeAll(): Promise<void> {
    for (const file of [...this.#open.keys()]) this.#close(file);
    const results = await Promise.allSettled([...this.#closing]);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  }

  #handle(file: TargetFile): Promise<FileHandle> {
    const open = this.#open.get(file);
    if (open !== undefined) {
      this.#open.delete(file);
      this.#open.set(file, open);
      return open;
    }
    if (this.#open.size >= this.#maxOpen) {
      for (const [other] of this.#open) {
        if (other.writing === 0) {
          this.#close(other);
          break;
        }
      }
    }
    const handle = this.#openFile(file);
    this.#open.set(file, handle);
    return handle;
  }

  /** Creates (first time) or reopens `file`, with O_DIRECT while direct writes are on and the file system takes them. */
  async #openFile(file: TargetFile): Promise<FileHandle> {
    const first = !file.created;
    file.created = true;
    if (first) file.direct = this.#direct !== undefined;
    if (!file.direct) return first ? openForWrite(file.path) : reopenForWrite(file.path);
    try {
      return await (first ? openForWrite(file.path, O_DIRECT) : reopenForWrite(file.path, O_DIRECT));
    } catch (error) {
      // Only a first open can fall back: nothing has been written to the file yet.
      if (!first || (error as { code?: unknown }).code !== 'EINVAL') throw error;
      this.#direct = undefined;
      file.direct = false;
      return openForWrite(file.path);
    }
  }

  #close(file: TargetFile): void {
    const handle = this.#open.get(file);
    if (handle === undefined) return;
    this.#open.delete(file);
    const closing: Promise<void> = handle.then((h) => h.close()).finally(() => this.#closing.delete(closing));
    this.#closing.add(closing);
  }
}

/** Opens a file this restore created, again (no truncation; still never through a symlink). */
function reopenForWrite(path: string, extra = 0): Promise<FileHandle> {
  return open(path, constants.O_WRONLY | constants.O_NOFOLLOW | extra);
}

/** Opens a file for writing without following a symlink that may be in the way (it is replaced). */
async function openForWrite(path: string, extra = 0): Promise<FileHandle> {
  const existing = await lstat(path).catch(() => undefined);
  if (existing !== undefined && !existing.isFile()) await rm(path, { recursive: true, force: true });
  // O_NOFOLLOW: a symlink planted between the check and the open fails instead of redirecting the write.
  return open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW | extra, 0o600);
}

/** A real folder at `path` (a symlink or file in the way is replaced, unless it is the target itself). */
async function ensureDir(path: string, isTarget: boolean): Promise<void> {
  const existing = await lstat(path).catch(() => undefined);
  if (existing?.isDirectory() === true) return;
  if (existing !== undefined) {
    if (isTarget) throw new BackupError('TARGET_CONFLICT', `${path} exists and is not a folder`);
    await rm(path, { recursive: true, force: true });
  }
  await mkdir(path, { recursive: isTarget, mode: 0o700 });
}
