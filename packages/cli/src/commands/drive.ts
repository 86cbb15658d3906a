/**
 * `coffer drive put|get|ls|rm|mv`: files and folders in the Drive (`drive` category;
 * names, tree and content end-to-end encrypted). Drive paths start at `/`. Transfers show
 * a progress bar on stderr when it is a terminal.
 */
import { lstat, mkdir, open, readdir, rename, rm, stat, utimes } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { Drive, type DriveItem, type DrivePut } from '@coffer/sdk';
import { UsageError } from '../errors.js';
import { writeLine } from '../io.js';
import { formatBytes, ProgressBar } from '../progress.js';
import type { Command, CommandGroup } from '../router.js';
import { withSignedInClient } from '../signed-in.js';

/** `/a/b` joined with a name. */
function drivePath(parent: string, name: string): string {
  return `${parent.replace(/\/+$/, '')}/${name}`;
}

function normalize(remote: string): string {
  return remote.startsWith('/') ? remote : `/${remote}`;
}

/** Where LOCAL goes: inside REMOTE when it is the root, an existing folder, or ends with `/`. */
async function destinationOf(drive: Drive, remote: string | undefined, name: string): Promise<string> {
  if (remote === undefined) return `/${name}`;
  const path = normalize(remote);
  if (path.endsWith('/') || (await drive.stat(path))?.kind === 'folder') return drivePath(path, name);
  return path;
}

/** Files and folders under a local folder, relative `/`-paths; symlinks and special files are reported. */
async function walkLocal(root: string, skip: (path: string) => void): Promise<{ dirs: string[]; files: { rel: string; abs: string; size: number; mtime: Date }[] }> {
  const dirs: string[] = [];
  const files: { rel: string; abs: string; size: number; mtime: Date }[] = [];
  const visit = async (rel: string): Promise<void> => {
    for (const entry of (await readdir(join(root, rel), { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const childRel = rel === '' ? entry.name : `${rel}/${entry.name}`;
      const abs = join(root, childRel);
      if (entry.isDirectory()) {
        dirs.push(childRel);
        await visit(childRel);
      } else if (entry.isFile()) {
        const st = await stat(abs);
        files.push({ rel: childRel, abs, size: st.size, mtime: st.mtime });
      } else skip(childRel);
    }
  };
  await visit('');
  return { dirs, files };
}

const put: Command = {
  kind: 'command',
  name: 'put',
  summary: 'upload a file or folder to the Drive',
  details: 'REMOTE defaults to /; LOCAL goes inside REMOTE when REMOTE is an existing folder or ends with /. A file already there is replaced.',
  options: {},
  positionals: [{ name: 'LOCAL', description: 'local file or folder' }, { name: 'REMOTE', description: 'Drive path (default /)', optional: true }],
  async run(ctx) {
    const [local, remote] = ctx.args.positionals as [string, string | undefined];
    const localStat = await stat(local).catch(() => undefined);
    if (localStat === undefined) throw new UsageError(`${local} does not exist`, ctx.commandPath);
    return withSignedInClient(ctx, async (client) => {
      const drive = new Drive(client);
      const target = await destinationOf(drive, remote, basename(resolve(local)));
      const puts: DrivePut[] = [];
      let total = 0;
      if (localStat.isDirectory()) {
        const tree = await walkLocal(resolve(local), (p) => { writeLine(ctx.io.stderr, `coffer: skipped ${p} (not a file or folder)`); });
        await drive.mkdir(target, { parents: true });
        for (const dir of tree.dirs) await drive.mkdir(drivePath(target, dir), { parents: true });
        for (const f of tree.files) {
          puts.push({ path: drivePath(target, f.rel), source: f.abs, modified: f.mtime });
          total += f.size;
        }
      } else {
        puts.push({ path: target, source: resolve(local), modified: localStat.mtime });
        total = localStat.size;
      }
      const bar = new ProgressBar(ctx.io.stderr, 'upload', total);
      const { upload } = await drive.putMany(puts, { expectedBytes: total, onProgress: (done) => { bar.update(done); } }).finally(() => { bar.finish(); });
      writeLine(ctx.io.stdout, `uploaded ${puts.length} file${puts.length === 1 ? '' : 's'} (${formatBytes(total)}) to ${target}; sent ${upload.uploaded} new chunks (${formatBytes(upload.uploadedBytes)})`);
      return 0;
    });
  },
};

/** Writes one Drive file to `dest` (via a temporary name), with its modification time. */
async function downloadFile(drive: Drive, item: DriveItem, dest: string, onBytes: (n: number) => void): Promise<void> {
  const download = await drive.download(item);
  const tmp = `${dest}.coffer-${process.pid}.tmp`;
  const handle = await open(tmp, 'w', 0o644);
  try {
    for await (const piece of download) {
      await handle.write(piece);
      onBytes(piece.length);
    }
  } catch (error) {
    await handle.close();
    await rm(tmp, { force: true });
    throw error;
  }
  await handle.close();
  await rename(tmp, dest);
  await utimes(dest, item.modified, item.modified);
}

const get: Command = {
  kind: 'command',
  name: 'get',
  summary: 'download a file or folder from the Drive',
  details: 'LOCAL defaults to the item\'s name in the current folder; an existing local folder receives the item inside it.',
  options: {},
  positionals: [{ name: 'REMOTE', description: 'Drive path' }, { name: 'LOCAL', description: 'local destination', optional: true }],
  async run(ctx) {
    const [remote, local] = ctx.args.positionals as [string, string | undefined];
    return withSignedInClient(ctx, async (client) => {
      const drive = new Drive(client);
      const tree = await drive.tree();
      const item = tree.find(normalize(remote));
      const isRoot = tree.isRoot(normalize(remote));
      if (item === undefined && !isRoot) throw new UsageError(`no such file or folder in the Drive: ${remote}`, ctx.commandPath);
      const name = item?.name ?? 'Drive';
      const localStat = local === undefined ? undefined : await lstat(local).catch(() => undefined);
      const dest = local === undefined ? resolve(name) : localStat?.isDirectory() === true ? join(local, name) : resolve(local);
      const items = item === undefined ? tree.children('').flatMap((c) => tree.subtree(c)) : tree.subtree(item);
      const files = items.filter((i) => i.kind === 'file');
      const total = files.reduce((n, f) => n + f.size, 0);
      const bar = new ProgressBar(ctx.io.stderr, 'download', total);
      let done = 0;
      const onBytes = (n: number): void => {
        done += n;
        bar.update(done);
      };
      try {
        if (item?.kind === 'file') await downloadFile(drive, item, dest, onBytes);
        else {
          const prefix = item?.path ?? '';
          await mkdir(dest, { recursive: true });
          for (const i of items) {
            if (i === item) continue;
            const at = join(dest, ...i.path.slice(prefix.length + 1).split('/'));
            if (i.kind === 'folder') await mkdir(at, { recursive: true });
            else await downloadFile(drive, i, at, onBytes);
          }
        }
      } finally {
        bar.finish();
      }
      writeLine(ctx.io.stdout, `downloaded ${files.length} file${files.length === 1 ? '' : 's'} (${formatBytes(total)}) to ${dest}`);
      return 0;
    });
  },
};

function listLine(item: DriveItem): string {
  const when = item.modified.toISOString().replace('T', ' ').slice(0, 16);
  return item.kind === 'folder' ? `${'-'.padStart(9)}  ${when}  ${item.name}/` : `${formatBytes(item.size).padStart(9)}  ${when}  ${item.name}`;
}

const ls: Command = {
  kind: 'command',
  name: 'ls',
  summary: 'list a Drive folder',
  details: 'With --json: one JSON line, an array of {name, path, kind, size, modified}.',
  options: { json: { type: 'boolean', description: 'print one JSON line' } },
  positionals: [{ name: 'REMOTE', description: 'Drive folder (default /)', optional: true }],
  async run(ctx) {
    const remote = normalize(ctx.args.positionals[0] ?? '/');
    return withSignedInClient(ctx, async (client) => {
      const items = await new Drive(client).list(remote);
      if (ctx.args.values.json === true) {
        writeLine(ctx.io.stdout, JSON.stringify(items.map((i) => ({ name: i.name, path: i.path, kind: i.kind, size: i.size, modified: i.modified.toISOString() }))));
      } else for (const item of items) writeLine(ctx.io.stdout, listLine(item));
      return 0;
    });
  },
};

const rmCommand: Command = {
  kind: 'command',
  name: 'rm',
  summary: 'remove a file or folder from the Drive',
  options: { recursive: { type: 'boolean', short: 'r', description: 'remove a folder and everything in it' } },
  positionals: [{ name: 'REMOTE', description: 'Drive path' }],
  async run(ctx) {
    const remote = normalize(ctx.args.positionals[0]!);
    return withSignedInClient(ctx, async (client) => {
      const removed = await new Drive(client).remove(remote, { recursive: ctx.args.values.recursive === true });
      writeLine(ctx.io.stdout, `removed ${remote}${removed.length > 1 ? ` and ${removed.length - 1} item${removed.length === 2 ? '' : 's'} in it` : ''}`);
      return 0;
    });
  },
};

const mv: Command = {
  kind: 'command',
  name: 'mv',
  summary: 'move or rename a file or folder in the Drive',
  details: 'Into DST when DST is an existing folder; otherwise renamed to DST. Never replaces an existing item.',
  options: {},
  positionals: [{ name: 'SRC', description: 'Drive path' }, { name: 'DST', description: 'Drive path or folder' }],
  async run(ctx) {
    const [from, to] = (ctx.args.positionals as [string, string]).map(normalize) as [string, string];
    return withSignedInClient(ctx, async (client) => {
      const moved = await new Drive(client).move(from, to);
      writeLine(ctx.io.stdout, `moved ${from} to ${moved.path}`);
      return 0;
    });
  },
};

export const driveGroup: CommandGroup = {
  kind: 'group',
  name: 'drive',
  summary: 'end-to-end encrypted files and folders',
  commands: [put, get, ls, rmCommand, mv],
};
