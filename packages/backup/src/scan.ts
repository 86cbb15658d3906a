/**
 * Walks the folder to back up with `lstat` (never following symlinks) and returns its
 * entries sorted by path, parents first. Regular files, folders (empty ones included)
 * and symlinks are kept; sockets, FIFOs and devices are reported and skipped. Files are
 * not read here: the incremental cache decides which ones need reading.
 */
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';

export interface ScannedBase {
  /** Relative, `/`-separated. */
  path: string;
  abs: string;
  mode: number;
  mtimeNs: bigint;
}

export interface ScannedFile extends ScannedBase {
  type: 'file';
  size: number;
  ino: bigint;
  dev: bigint;
}

export type ScannedEntry = ScannedFile | (ScannedBase & { type: 'dir' }) | (ScannedBase & { type: 'symlink'; target: string });

export interface ScanResult {
  entries: ScannedEntry[];
  /** Paths skipped (special files, or unreadable folders) with the reason. */
  skipped: { path: string; reason: string }[];
}

/** Directories stat'ed concurrently: enough to hide syscall latency, few enough for small machines. */
const PARALLEL_STATS = 32;

export async function scanTree(root: string): Promise<ScanResult> {
  const entries: ScannedEntry[] = [];
  const skipped: ScanResult['skipped'] = [];

  async function visit(dirRel: string, dirAbs: string): Promise<void> {
    let names: string[];
    try {
      names = await readdir(dirAbs);
    } catch (error) {
      skipped.push({ path: dirRel, reason: (error as NodeJS.ErrnoException).code ?? 'unreadable' });
      return;
    }
    const subdirs: [string, string][] = [];
    for (let i = 0; i < names.length; i += PARALLEL_STATS) {
      await Promise.all(names.slice(i, i + PARALLEL_STATS).map(async (name) => {
        const rel = dirRel === '' ? name : `${dirRel}/${name}`;
        const abs = join(dirAbs, name);
        let st;
        try {
          st = await lstat(abs, { bigint: true });
        } catch (error) {
          skipped.push({ path: rel, reason: (error as NodeJS.ErrnoException).code ?? 'vanished' });
          return;
        }
        const base = { path: rel, abs, mode: Number(st.mode & 0o7777n), mtimeNs: st.mtimeNs };
        if (st.isFile()) entries.push({ ...base, type: 'file', size: Number(st.size), ino: st.ino, dev: st.dev });
        else if (st.isDirectory()) {
          entries.push({ ...base, type: 'dir' });
          subdirs.push([rel, abs]);
        } else if (st.isSymbolicLink()) {
          try {
            entries.push({ ...base, type: 'symlink', target: await readlink(abs) });
          } catch (error) {
            skipped.push({ path: rel, reason: (error as NodeJS.ErrnoException).code ?? 'unreadable link' });
          }
        } else skipped.push({ path: rel, reason: 'not a file, folder or symlink' });
      }));
    }
    for (const [rel, abs] of subdirs) await visit(rel, abs);
  }

  await visit('', root);
  entries.sort((a, b) => comparePaths(a.path, b.path));
  return { entries, skipped };
}

/** Orders paths component by component, so a folder comes right before its contents. */
export function comparePaths(a: string, b: string): number {
  const pa = a.split('/');
  const pb = b.split('/');
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    if (pa[i] !== pb[i]) return pa[i]! < pb[i]! ? -1 : 1;
  }
  return pa.length - pb.length;
}
