/**
 * `backup create DIR`: scan → reuse unchanged files from the cache (after the server
 * confirms it still stores their chunks) → chunk, encrypt and upload the rest in one
 * pipeline (only chunks the server lacks travel: dedup across files and snapshots) →
 * upload the encrypted index → commit the snapshot records → save the cache.
 *
 * Nothing is visible until the final commit; an interrupted run leaves uploaded chunks
 * that the next run finds present (resume) or that GC collects after the grace period.
 */
import { randomBytes } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { AssetChunkRef } from '@coffer/crypto';
import type { UploadStats } from '@coffer/sdk';
import { BackupError } from './errors.js';
import { FileCache } from './file-cache.js';
import { scanTree, type ScannedFile } from './scan.js';
import { chunkIdsOfIndex, chunkIdText, encodeIndex, type IndexEntry } from './snapshot-format.js';
import type { SnapshotStore, SnapshotSummary } from './snapshot-store.js';

export interface CreateOptions {
  /** Where the incremental cache lives (per account); no cache when undefined. */
  cacheDir?: string;
  /** Device name in the snapshot (default: the host name). */
  deviceName?: string;
  /** Progress: plaintext bytes read so far of the bytes that need reading. */
  onProgress?: (done: number, total: number) => void;
  /** A file or folder that could not be read and was left out. */
  onSkip?: (path: string, reason: string) => void;
}

export interface CreateReport {
  snapshot: SnapshotSummary;
  /** Files read (new or changed) vs. reused from the cache. */
  filesRead: number;
  filesCached: number;
  bytesRead: number;
  upload: UploadStats;
}

export async function createSnapshot(store: SnapshotStore, dir: string, options: CreateOptions = {}): Promise<CreateReport> {
  const root = resolve(dir);
  const rootStat = await stat(root).catch(() => undefined);
  if (rootStat?.isDirectory() !== true) throw new BackupError('NOT_A_DIRECTORY', `${dir} is not a folder`);
  const skip = options.onSkip ?? (() => undefined);

  const scan = await scanTree(root);
  for (const s of scan.skipped) skip(s.path, s.reason);
  const cache = options.cacheDir === undefined ? undefined : await FileCache.load(options.cacheDir, root);
  await store.ensureZone();
  const session = store.db.assets();

  // 1. Unchanged files: their cached chunks, if the server still has every one of them.
  const chunksOf = new Map<ScannedFile, AssetChunkRef[]>();
  const files = scan.entries.filter((e): e is ScannedFile => e.type === 'file');
  for (const file of files) {
    const hit = cache?.lookup(file);
    if (hit !== undefined) chunksOf.set(file, hit);
  }
  const cachedIds = [...new Set([...chunksOf.values()].flatMap((chunks) => chunks.map((c) => chunkIdText(c.id))))];
  const gone = new Set(cachedIds.length === 0 ? [] : await session.missing(cachedIds));
  for (const [file, chunks] of chunksOf) if (chunks.some((c) => gone.has(chunkIdText(c.id)))) chunksOf.delete(file);
  const filesCached = chunksOf.size;

  // 2. Everything else is read, chunked, encrypted and uploaded in one pipeline.
  const toRead = files.filter((f) => !chunksOf.has(f));
  const total = toRead.reduce((n, f) => n + f.size, 0);
  const unreadable = new Set<ScannedFile>();
  let bytesRead = 0;
  const upload = await session.uploadFiles(toRead, (f) => f.abs, (file, chunks) => {
    chunksOf.set(file, chunks);
    bytesRead += chunks.reduce((n, c) => n + c.size, 0);
  }, {
    expectedBytes: total,
    onProgress: (done) => options.onProgress?.(done, total),
    onError: (file, error) => {
      unreadable.add(file);
      skip(file.path, (error as NodeJS.ErrnoException).code ?? (error instanceof Error ? error.message : 'unreadable'));
    },
  });

  // 3. The index, uploaded as an asset of its own.
  const entries: IndexEntry[] = [];
  let bytes = 0;
  for (const e of scan.entries) {
    const base = { path: e.path, mode: e.mode, mtimeNs: e.mtimeNs.toString() };
    if (e.type === 'dir') entries.push({ ...base, type: 'dir' });
    else if (e.type === 'symlink') entries.push({ ...base, type: 'symlink', target: e.target });
    else if (!unreadable.has(e)) {
      const chunks = chunksOf.get(e) ?? [];
      const size = chunks.reduce((n, c) => n + c.size, 0);
      bytes += size;
      entries.push({ ...base, type: 'file', size, chunks });
      cache?.remember(e, chunks);
    }
  }
  const index = await session.upload(encodeIndex({ entries }), { contentType: 'application/vnd.coffer.backup-index+json' });

  // 4. Commit, then remember what is now in a snapshot.
  const id = randomBytes(8).toString('hex');
  const snapshot = await store.save(id, {
    device: options.deviceName ?? hostname(),
    root,
    time: Date.now(),
    files: entries.filter((e) => e.type === 'file').length,
    dirs: entries.filter((e) => e.type === 'dir').length,
    symlinks: entries.filter((e) => e.type === 'symlink').length,
    bytes,
  }, index, chunkIdsOfIndex(entries));
  await cache?.save();
  return { snapshot, filesRead: toRead.length - unreadable.size, filesCached, bytesRead, upload };
}
