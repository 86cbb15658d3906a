/**
 * `backup restore SNAPSHOT TARGET`: recreates the backed-up folder's contents directly in
 * TARGET (TARGET/file, not TARGET/original/path/file): folders (empty ones too), file
 * contents, symlinks, then permissions and modification times — folders last and deepest
 * first, since creating their contents changes their mtime.
 *
 * Content flows through one pipeline over all files: chunks are fetched a few ahead,
 * verified and decrypted on the worker pool, and written in order. A chunk that appears
 * again (a duplicate file, or shared content) is not downloaded again: it is copied from
 * where it was already written. A corrupted or swapped chunk stops the restore with
 * `DecryptionError`; no unverified byte is ever written.
 *
 * Paths come from an authenticated index and are checked anyway: nothing is written
 * outside TARGET, existing symlinks in the way are replaced, never followed.
 */
import { constants } from 'node:fs';
import { chmod, lstat, lutimes, mkdir, open, rm, symlink, utimes, type FileHandle } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { inOrder } from '@coffer/assets';
import type { AssetChunkRef } from '@coffer/crypto';
import type { AssetSession } from '@coffer/sdk';
import { BackupError } from './errors.js';
import { comparePaths } from './scan.js';
import { chunkIdText, isSafeRelativePath, type FileEntry, type IndexEntry, type SnapshotIndex } from './snapshot-format.js';

/** Chunker v1 max: every chunk fits. */
const COPY_BUFFER = 4 * 1024 * 1024;

export interface RestoreOptions {
  /** Plaintext bytes written so far of the total. */
  onProgress?: (done: number, total: number) => void;
  /** Chunks fetched ahead (default 8). */
  window?: number;
}

export interface RestoreReport {
  files: number;
  dirs: number;
  symlinks: number;
  bytes: number;
  /** Chunks downloaded vs. copied from a place already restored. */
  chunksDownloaded: number;
  chunksCopied: number;
}

interface Placement {
  file: FileEntry;
  ref: AssetChunkRef;
  offset: number;
  /** Where this chunk was first written, when it is a repeat. */
  copyFrom?: { path: string; offset: number; written: Promise<void> };
  written: Deferred;
}

interface Deferred {
  promise: Promise<void>;
  resolve(): void;
}

function deferred(): Deferred {
  let resolveFn: () => void = () => undefined;
  const promise = new Promise<void>((r) => {
    resolveFn = r;
  });
  return { promise, resolve: resolveFn };
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
  const first = new Map<string, { path: string; offset: number; written: Promise<void> }>();
  const placements: Placement[] = [];
  for (const file of files) {
    let offset = 0;
    for (const ref of file.chunks) {
      const id = chunkIdText(ref.id);
      const written = deferred();
      const seen = first.get(id);
      placements.push({ file, ref, offset, written, ...(seen === undefined ? {} : { copyFrom: seen }) });
      if (seen === undefined) first.set(id, { path: at(file), offset, written: written.promise });
      offset += ref.size;
    }
  }

  // Buffers for copied chunks, reused once written (a restore moves GBs: less garbage).
  const spare: ArrayBuffer[] = [];
  const mine = new WeakSet<ArrayBuffer>();
  const spareBuffer = (size: number): Uint8Array => {
    const buffer = spare.pop() ?? new ArrayBuffer(COPY_BUFFER);
    mine.add(buffer);
    return size <= buffer.byteLength ? new Uint8Array(buffer, 0, size) : new Uint8Array(size);
  };
  const work = async (p: Placement): Promise<Uint8Array> => {
    if (p.copyFrom === undefined) return session.openChunk(p.ref);
    // Written earlier in this run (the consumer writes in order, so this resolves), already verified.
    await p.copyFrom.written;
    const handle = await open(p.copyFrom.path, 'r');
    try {
      const bytes = spareBuffer(p.ref.size);
      const { bytesRead } = await handle.read(bytes, 0, bytes.length, p.copyFrom.offset);
      if (bytesRead !== bytes.length) throw new BackupError('TARGET_CONFLICT', `${p.copyFrom.path} changed during the restore`);
      return bytes;
    } finally {
      await handle.close();
    }
  };

  // Empty files have no chunks: create them first.
  for (const f of files) if (f.chunks.length === 0) await (await openForWrite(at(f))).close();

  let current: { file: FileEntry; handle: FileHandle } | undefined;
  try {
    for await (const [i, bytes] of inOrder(placements.entries(), async ([i, p]) => [i, await work(p)] as const, options.window ?? 8)) {
      const p = placements[i]!;
      if (current?.file !== p.file) {
        await current?.handle.close();
        current = undefined;
        current = { file: p.file, handle: await openForWrite(at(p.file)) };
      }
      await current.handle.write(bytes, 0, bytes.length, p.offset);
      p.written.resolve();
      if (mine.has(bytes.buffer as ArrayBuffer) && spare.length < 16) spare.push(bytes.buffer as ArrayBuffer);
      if (p.copyFrom === undefined) report.chunksDownloaded++;
      else report.chunksCopied++;
      report.bytes += bytes.length;
      options.onProgress?.(report.bytes, total);
    }
  } finally {
    await current?.handle.close();
  }
}

/** Opens a file for writing without following a symlink that may be in the way (it is replaced). */
async function openForWrite(path: string): Promise<FileHandle> {
  const existing = await lstat(path).catch(() => undefined);
  if (existing !== undefined && !existing.isFile()) await rm(path, { recursive: true, force: true });
  // O_NOFOLLOW: a symlink planted between the check and the open fails instead of redirecting the write.
  return open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o600);
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
