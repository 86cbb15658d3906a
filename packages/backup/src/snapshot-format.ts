/**
 * Backup snapshot formats v1 (normative: docs/PROTOCOL.md "Backup snapshots").
 *
 * - The index: every entry of the backed-up folder — path, type, mode, mtime, and for a
 *   file its size and chunk refs (keyed chunk id, chunk key, plaintext size), for a
 *   symlink its target. UTF-8 JSON; it is stored as an asset, so it is chunked and
 *   encrypted like any file, and its asset key sits in the snapshot record.
 * - The meta: a small summary (device, folder, time, counts) in the record's
 *   `encryptedValues`, so `list` needs no download.
 *
 * Decoding checks the format tag and version first and exactly (unknown → FORMAT), then
 * every field; a path that could leave the restore target is refused (UNSAFE_PATH).
 */
import type { AssetChunkRef } from '@coffer/crypto';
import { BackupError } from './errors.js';

export const INDEX_FORMAT = 'coffer-backup-index';
export const META_FORMAT = 'coffer-backup-meta';
export const SNAPSHOT_VERSION = 1;

interface EntryBase {
  /** Relative to the backed-up folder, `/`-separated, no `.`/`..`/empty components. */
  path: string;
  /** Permission bits (`st_mode & 0o7777`). */
  mode: number;
  /** Modification time in nanoseconds since the epoch, as a decimal string (exact). */
  mtimeNs: string;
}

export interface FileEntry extends EntryBase {
  type: 'file';
  size: number;
  chunks: AssetChunkRef[];
}

export interface DirEntry extends EntryBase {
  type: 'dir';
}

export interface SymlinkEntry extends EntryBase {
  type: 'symlink';
  target: string;
}

export type IndexEntry = FileEntry | DirEntry | SymlinkEntry;

export interface SnapshotIndex {
  /** Sorted by path (parents before children). */
  entries: IndexEntry[];
}

export interface SnapshotMeta {
  /** Name of the device that made the snapshot. */
  device: string;
  /** Absolute path of the folder on that device. */
  root: string;
  /** When the snapshot was taken (ms since the epoch, device clock). */
  time: number;
  files: number;
  dirs: number;
  symlinks: number;
  /** Plaintext bytes of all files. */
  bytes: number;
  /** Extra records holding chunk references (`<id>-p1` … `<id>-p<parts>`). */
  parts: number;
}

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');

function fromB64(text: unknown, what: string): Uint8Array {
  if (typeof text !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(text)) throw formatError(`${what} must be 43 base64url characters`);
  return new Uint8Array(Buffer.from(text, 'base64url'));
}

function formatError(message: string): BackupError {
  return new BackupError('FORMAT', `snapshot: ${message}`);
}

/** True for a relative `/`-separated path that stays inside the folder it is joined to. */
export function isSafeRelativePath(path: string): boolean {
  if (path === '' || path.startsWith('/') || path.includes('\0') || path.includes('\\')) return false;
  return path.split('/').every((part) => part !== '' && part !== '.' && part !== '..');
}

export function encodeIndex(index: SnapshotIndex): Uint8Array {
  const entries = index.entries.map((e) => {
    const base = { path: e.path, type: e.type, mode: e.mode, mtimeNs: e.mtimeNs };
    switch (e.type) {
      case 'file':
        return { ...base, size: e.size, chunks: e.chunks.map((c) => [b64(c.id), b64(c.key), c.size]) };
      case 'symlink':
        return { ...base, target: e.target };
      case 'dir':
        return base;
    }
  });
  return new TextEncoder().encode(JSON.stringify({ format: INDEX_FORMAT, version: SNAPSHOT_VERSION, entries }));
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** @throws BackupError FORMAT or UNSAFE_PATH. */
export function decodeIndex(bytes: Uint8Array): SnapshotIndex {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (cause) {
    throw new BackupError('FORMAT', 'snapshot index is not UTF-8 JSON', { cause });
  }
  if (!isRecord(json) || json.format !== INDEX_FORMAT) throw formatError('not a snapshot index');
  if (json.version !== SNAPSHOT_VERSION) throw formatError(`index version ${String(json.version)} is not supported (this client reads version ${SNAPSHOT_VERSION})`);
  if (!Array.isArray(json.entries)) throw formatError('index has no entries');
  return { entries: json.entries.map(decodeEntry) };
}

function decodeEntry(raw: unknown): IndexEntry {
  if (!isRecord(raw)) throw formatError('entry is not an object');
  const { path, type, mode, mtimeNs } = raw;
  if (typeof path !== 'string') throw formatError('entry without a path');
  if (!isSafeRelativePath(path)) throw new BackupError('UNSAFE_PATH', `snapshot entry ${JSON.stringify(path)} would leave the restore target`);
  if (!isCount(mode) || mode > 0o7777) throw formatError(`${path}: bad mode`);
  if (typeof mtimeNs !== 'string' || !/^-?\d{1,25}$/.test(mtimeNs)) throw formatError(`${path}: bad mtime`);
  const base = { path, mode, mtimeNs };
  if (type === 'dir') return { ...base, type };
  if (type === 'symlink') {
    if (typeof raw.target !== 'string' || raw.target === '' || raw.target.includes('\0')) throw formatError(`${path}: bad symlink target`);
    return { ...base, type, target: raw.target };
  }
  if (type !== 'file') throw formatError(`${path}: unknown type`);
  if (!isCount(raw.size) || !Array.isArray(raw.chunks)) throw formatError(`${path}: bad size or chunks`);
  let total = 0;
  const chunks = raw.chunks.map((c: unknown): AssetChunkRef => {
    if (!Array.isArray(c) || c.length !== 3 || !isCount(c[2]) || c[2] === 0) throw formatError(`${path}: bad chunk ref`);
    total += c[2];
    return { id: fromB64(c[0], 'chunk id'), key: fromB64(c[1], 'chunk key'), size: c[2] };
  });
  if (total !== raw.size) throw formatError(`${path}: chunk sizes do not add up to the file size`);
  return { ...base, type, size: raw.size, chunks };
}

export function encodeMeta(meta: SnapshotMeta): string {
  return JSON.stringify({ format: META_FORMAT, version: SNAPSHOT_VERSION, ...meta });
}

/** @throws BackupError FORMAT. */
export function decodeMeta(text: string): SnapshotMeta {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new BackupError('FORMAT', 'snapshot meta is not JSON', { cause });
  }
  if (!isRecord(json) || json.format !== META_FORMAT) throw formatError('not a snapshot meta');
  if (json.version !== SNAPSHOT_VERSION) throw formatError(`meta version ${String(json.version)} is not supported`);
  const { device, root, time, files, dirs, symlinks, bytes, parts } = json;
  if (typeof device !== 'string' || typeof root !== 'string' || typeof time !== 'number' || !Number.isFinite(time)) throw formatError('meta: bad device, root or time');
  if (![files, dirs, symlinks, bytes, parts].every(isCount)) throw formatError('meta: bad counts');
  return { device, root, time, files: files as number, dirs: dirs as number, symlinks: symlinks as number, bytes: bytes as number, parts: parts as number };
}

/** Every distinct chunk id (base64url) the entries reference, in first-use order. */
export function chunkIdsOfIndex(entries: readonly IndexEntry[]): string[] {
  const seen = new Set<string>();
  for (const entry of entries) if (entry.type === 'file') for (const c of entry.chunks) seen.add(b64(c.id));
  return [...seen];
}

export { b64 as chunkIdText };
