/**
 * Backup snapshot formats v1 (docs/PROTOCOL.md "Backup snapshots"): exact round trips, the
 * version checked first and exactly, malformed values refused, and no path that could
 * leave the restore target — in decoding and again in restore.
 */
import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AssetSession } from '@coffer/sdk';
import { BackupError, decodeIndex, decodeMeta, encodeIndex, encodeMeta, isSafeRelativePath, type SnapshotIndex } from '../src/index.js';
import { restoreSnapshot } from '../src/restore.js';
import { comparePaths } from '../src/scan.js';
import { tempDir } from './helpers.js';

const ref = (n: number): { id: Uint8Array; key: Uint8Array; size: number } => ({ id: new Uint8Array(32).fill(n), key: new Uint8Array(32).fill(n + 1), size: 10 });
const index: SnapshotIndex = {
  entries: [
    { path: 'a', type: 'dir', mode: 0o755, mtimeNs: '1700000000123456789' },
    { path: 'a/f', type: 'file', mode: 0o644, mtimeNs: '1', size: 20, chunks: [ref(1), ref(2)] },
    { path: 'a/l', type: 'symlink', mode: 0o777, mtimeNs: '2', target: '../elsewhere' },
    { path: 'e', type: 'file', mode: 0o600, mtimeNs: '3', size: 0, chunks: [] },
  ],
};
const text = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));
/** The code of the BackupError `run` throws (or 'none'). */
function codeOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    return error instanceof BackupError ? error.code : 'not a BackupError';
  }
  return 'none';
}

describe('index v1', () => {
  it('round trips exactly', () => {
    expect(decodeIndex(encodeIndex(index))).toEqual(index);
  });

  it('checks the format and version first', () => {
    expect(() => decodeIndex(text({ format: 'coffer-backup-index', version: 2, entries: [] }))).toThrow(/version 2 is not supported/);
    expect(() => decodeIndex(text({ format: 'other', version: 1, entries: [] }))).toThrow(BackupError);
    expect(() => decodeIndex(new Uint8Array([0xff, 0xfe]))).toThrow(BackupError);
  });

  it.each([
    ['a chunk size sum that is not the file size', { path: 'f', type: 'file', mode: 0, mtimeNs: '0', size: 11, chunks: [['A'.repeat(43), 'A'.repeat(43), 10]] }],
    ['a short chunk id', { path: 'f', type: 'file', mode: 0, mtimeNs: '0', size: 10, chunks: [['AAA', 'A'.repeat(43), 10]] }],
    ['an empty chunk', { path: 'f', type: 'file', mode: 0, mtimeNs: '0', size: 0, chunks: [['A'.repeat(43), 'A'.repeat(43), 0]] }],
    ['a mode beyond 0o7777', { path: 'f', type: 'dir', mode: 0o10000, mtimeNs: '0' }],
    ['an unknown type', { path: 'f', type: 'fifo', mode: 0, mtimeNs: '0' }],
    ['a non-numeric mtime', { path: 'f', type: 'dir', mode: 0, mtimeNs: 'yesterday' }],
  ])('refuses %s', (_name, entry) => {
    expect(codeOf(() => decodeIndex(text({ format: 'coffer-backup-index', version: 1, entries: [entry] })))).toBe('FORMAT');
  });

  it.each(['../x', '/etc/passwd', 'a/../../x', 'a//b', './a', 'a/', '', 'a\\..\\b', 'a\0b'])('refuses the unsafe path %j', (path) => {
    expect(isSafeRelativePath(path)).toBe(false);
    expect(codeOf(() => decodeIndex(text({ format: 'coffer-backup-index', version: 1, entries: [{ path, type: 'dir', mode: 0, mtimeNs: '0' }] })))).toBe('UNSAFE_PATH');
  });
});

describe('meta v1', () => {
  it('round trips and refuses other versions', () => {
    const meta = { device: 'laptop', root: '/home/ann', time: 1, files: 2, dirs: 3, symlinks: 4, bytes: 5, parts: 0 };
    expect(decodeMeta(encodeMeta(meta))).toEqual(meta);
    expect(() => decodeMeta(JSON.stringify({ ...meta, format: 'coffer-backup-meta', version: 9 }))).toThrow(/version 9/);
  });
});

describe('restore refuses to write outside the target', () => {
  const session = { openChunk: () => Promise.reject(new Error('no download expected')) } as unknown as AssetSession;

  it('a file below a symlink of the snapshot (its parent is not a folder of the snapshot)', async () => {
    const outside = tempDir();
    const target = tempDir();
    const evil: SnapshotIndex = {
      entries: [
        { path: 'link', type: 'symlink', mode: 0o777, mtimeNs: '0', target: outside },
        { path: 'link/planted', type: 'file', mode: 0o644, mtimeNs: '0', size: 0, chunks: [] },
      ],
    };
    await expect(restoreSnapshot(session, evil, target)).rejects.toMatchObject({ code: 'UNSAFE_PATH' });
    expect(existsSync(join(outside, 'planted'))).toBe(false);
  });

  it('a symlink already in the target where the snapshot has a folder is replaced, not followed', async () => {
    const outside = tempDir();
    const target = tempDir();
    symlinkSync(outside, join(target, 'dir'));
    await restoreSnapshot(session, {
      entries: [
        { path: 'dir', type: 'dir', mode: 0o755, mtimeNs: '0' },
        { path: 'dir/file', type: 'file', mode: 0o644, mtimeNs: '0', size: 0, chunks: [] },
      ],
    }, target);
    expect(existsSync(join(outside, 'file'))).toBe(false);
    expect(existsSync(join(target, 'dir/file'))).toBe(true);
  });

  it('a target that is a file', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'x'));
    const file = join(dir, 'file');
    (await import('node:fs')).writeFileSync(file, '');
    await expect(restoreSnapshot(session, { entries: [] }, file)).rejects.toMatchObject({ code: 'TARGET_CONFLICT' });
  });
});

describe('path order', () => {
  it('puts every folder right before its contents', () => {
    const paths = ['a-b', 'a/z', 'a', 'a/b/c', 'a.b', 'a/b'];
    expect([...paths].sort(comparePaths)).toEqual(['a', 'a/b', 'a/b/c', 'a/z', 'a-b', 'a.b']);
  });
});
