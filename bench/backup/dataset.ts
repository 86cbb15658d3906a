/**
 * The benchmark's data set: random files of mixed sizes (log-uniform, 4 KiB … 24 MiB,
 * plus a few empty files, empty folders and symlinks) in nested folders; 70% of the bytes
 * are unique random data and 30% are duplicates — whole-file copies and files made of two
 * other files back to back (content-defined chunking finds those too). Deterministic for
 * a given size, from an AES-CTR keystream (fast and incompressible, like restic's peers).
 */
import { createCipheriv, createHash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, statSync, symlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export interface DatasetFile {
  rel: string;
  size: number;
}

export interface Dataset {
  root: string;
  files: DatasetFile[];
  bytes: number;
  duplicateBytes: number;
}

const MIN = 4 * 1024;
const MAX = 24 * 1024 * 1024;

/** Deterministic pseudo-random numbers in [0, 1). */
function rng(seed: string): () => number {
  let state = createHash('sha256').update(seed).digest();
  let i = 0;
  return () => {
    if (i + 4 > state.length) {
      state = createHash('sha256').update(state).digest();
      i = 0;
    }
    const v = state.readUInt32BE(i);
    i += 4;
    return v / 2 ** 32;
  };
}

/** A keystream writer: `size` random bytes into `fd`, 1 MiB at a time. */
function writeRandom(fd: number, size: number, seed: string): void {
  const key = createHash('sha256').update(seed).digest().subarray(0, 16);
  const cipher = createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
  const zeros = Buffer.alloc(1 << 20);
  for (let left = size; left > 0;) {
    const n = Math.min(left, zeros.length);
    writeSync(fd, cipher.update(zeros.subarray(0, n)));
    left -= n;
  }
}

function copyInto(fd: number, from: string): number {
  const bytes = readFileSync(from);
  writeSync(fd, bytes);
  return bytes.length;
}

export function generateDataset(root: string, totalBytes: number): Dataset {
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  const random = rng(`coffer-bench-backup-${totalBytes}`);
  const dirs: string[] = [];
  for (let a = 0; a < 6; a++) for (let b = 0; b < 4; b++) dirs.push(`d${a}/s${b}`);
  for (const d of dirs) mkdirSync(join(root, d), { recursive: true });
  mkdirSync(join(root, 'empty/nested-empty'), { recursive: true });

  const files: DatasetFile[] = [];
  let bytes = 0;
  let n = 0;
  const place = (): string => `${dirs[Math.floor(random() * dirs.length)]!}/f${String(n++).padStart(5, '0')}.bin`;
  // 70% unique random files.
  while (bytes < totalBytes * 0.7) {
    const size = Math.min(Math.round(MIN * Math.exp(random() * Math.log(MAX / MIN))), Math.max(MIN, Math.round(totalBytes * 0.7 - bytes)));
    const rel = place();
    const fd = openSync(join(root, rel), 'w');
    writeRandom(fd, size, `${rel}-${size}`);
    closeSync(fd);
    files.push({ rel, size });
    bytes += size;
  }
  const unique = [...files];
  // 30% duplicates: two thirds whole copies, one third two files back to back.
  let duplicateBytes = 0;
  while (bytes < totalBytes) {
    const rel = place();
    const fd = openSync(join(root, rel), 'w');
    let size = copyInto(fd, join(root, unique[Math.floor(random() * unique.length)]!.rel));
    if (random() < 1 / 3) size += copyInto(fd, join(root, unique[Math.floor(random() * unique.length)]!.rel));
    closeSync(fd);
    files.push({ rel, size });
    bytes += size;
    duplicateBytes += size;
  }
  for (let i = 0; i < 5; i++) {
    closeSync(openSync(join(root, `d${i}/empty-${i}.txt`), 'w'));
    files.push({ rel: `d${i}/empty-${i}.txt`, size: 0 });
  }
  symlinkSync('d0/s0', join(root, 'link-to-dir'));
  symlinkSync(files[0]!.rel, join(root, 'link-to-file'));
  return { root, files, bytes, duplicateBytes };
}

/** Changes 5% of the files (by count): a 64 KiB region in the middle, or the whole of a small file. */
export function changeFivePercent(dataset: Dataset): number {
  const random = rng('coffer-bench-backup-change');
  const candidates = dataset.files.filter((f) => f.size > 0);
  const count = Math.max(1, Math.round(candidates.length * 0.05));
  const chosen = new Set<DatasetFile>();
  while (chosen.size < count) chosen.add(candidates[Math.floor(random() * candidates.length)]!);
  let changed = 0;
  for (const file of chosen) {
    const path = join(dataset.root, file.rel);
    const region = Math.min(64 * 1024, file.size);
    const at = Math.floor((file.size - region) / 2);
    const key = createHash('sha256').update(`change-${file.rel}`).digest().subarray(0, 16);
    const bytes = createCipheriv('aes-128-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(region));
    const fd = openSync(path, 'r+');
    writeSync(fd, bytes, 0, region, at);
    closeSync(fd);
    changed += statSync(path).size;
  }
  return changed;
}
