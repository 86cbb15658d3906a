/**
 * `coffer backup create|list|restore|forget`: end-to-end encrypted snapshots of a folder
 * in the `backup` category (@coffer/backup). The incremental cache lives under
 * `$COFFER_HOME/backup-cache`. Progress bars go to stderr when it is a terminal.
 */
import { join } from 'node:path';
import { Backup, type SnapshotSummary } from '@coffer/backup';
import type { CofferClient } from '@coffer/sdk';
import { stringOption } from '../args.js';
import { writeLine } from '../io.js';
import { formatBytes, ProgressBar } from '../progress.js';
import type { Command, CommandContext, CommandGroup } from '../router.js';
import { withSignedInClient } from '../signed-in.js';

function backupOf(ctx: CommandContext, client: CofferClient): Backup {
  const deviceName = stringOption(ctx.args, 'device');
  return new Backup(client, { cacheDir: join(ctx.home, 'backup-cache'), ...(deviceName === undefined ? {} : { deviceName }) });
}

const create: Command = {
  kind: 'command',
  name: 'create',
  summary: 'take an encrypted snapshot of a folder (incremental, deduplicated)',
  details: 'Prints the snapshot id and a summary; with --json one JSON line {"id", "files", "bytes", …}.',
  options: {
    device: { type: 'string', placeholder: 'NAME', description: 'device name recorded in the snapshot (default: the host name)' },
    json: { type: 'boolean', description: 'print one JSON line' },
  },
  positionals: [{ name: 'DIR', description: 'the folder to back up' }],
  async run(ctx) {
    const dir = ctx.args.positionals[0]!;
    return withSignedInClient(ctx, async (client) => {
      const bar = new ProgressBar(ctx.io.stderr, 'backup', 0);
      const report = await backupOf(ctx, client).create(dir, {
        onProgress: (done, total) => { bar.update(done, total); },
        onSkip: (path, reason) => { writeLine(ctx.io.stderr, `coffer: skipped ${path} (${reason})`); },
      }).finally(() => { bar.finish(); });
      const s = report.snapshot;
      if (ctx.args.values.json === true) {
        writeLine(ctx.io.stdout, JSON.stringify({
          ...s, filesRead: report.filesRead, filesCached: report.filesCached, bytesRead: report.bytesRead,
          chunks: report.upload.chunks, uploadedChunks: report.upload.uploaded, uploadedBytes: report.upload.uploadedBytes,
        }));
      } else {
        writeLine(ctx.io.stdout, `snapshot ${s.id} saved: ${s.files} files, ${s.dirs} folders, ${s.symlinks} symlinks, ${formatBytes(s.bytes)}`);
        writeLine(ctx.io.stdout, `  read ${report.filesRead} new or changed files (${formatBytes(report.bytesRead)}), ${report.filesCached} unchanged; uploaded ${report.upload.uploaded} chunks (${formatBytes(report.upload.uploadedBytes)})`);
      }
      return 0;
    });
  },
};

const list: Command = {
  kind: 'command',
  name: 'list',
  summary: 'list snapshots, oldest first',
  details: 'With --json: one JSON line, an array of snapshots (oldest first), each with an "id".',
  options: { json: { type: 'boolean', description: 'print one JSON line' } },
  async run(ctx) {
    return withSignedInClient(ctx, async (client) => {
      const snapshots = await backupOf(ctx, client).list();
      if (ctx.args.values.json === true) {
        writeLine(ctx.io.stdout, JSON.stringify(snapshots.map((s) => ({ ...s, date: new Date(s.time).toISOString() }))));
        return 0;
      }
      if (snapshots.length === 0) writeLine(ctx.io.stderr, 'coffer: no snapshots yet');
      for (const s of snapshots) writeLine(ctx.io.stdout, describe(s));
      return 0;
    });
  },
};

function describe(s: SnapshotSummary): string {
  return `${s.id}  ${new Date(s.time).toISOString().replace('T', ' ').slice(0, 19)}  ${s.device}  ${s.root}  ${s.files} files  ${formatBytes(s.bytes)}`;
}

const restore: Command = {
  kind: 'command',
  name: 'restore',
  summary: 'restore a snapshot into a folder (its contents go directly in TARGET)',
  details: 'SNAPSHOT is an id, a unique prefix of one (at least 4 characters), or "latest".',
  options: {},
  positionals: [{ name: 'SNAPSHOT', description: 'snapshot id, unique prefix or latest' }, { name: 'TARGET', description: 'folder to restore into (created if missing)' }],
  async run(ctx) {
    const [snapshot, target] = ctx.args.positionals as [string, string];
    return withSignedInClient(ctx, async (client) => {
      const bar = new ProgressBar(ctx.io.stderr, 'restore', 0);
      const report = await backupOf(ctx, client).restore(snapshot, target, { onProgress: (done, total) => { bar.update(done, total); } }).finally(() => { bar.finish(); });
      writeLine(ctx.io.stdout, `restored snapshot ${report.snapshot.id} to ${target}: ${report.files} files, ${report.dirs} folders, ${report.symlinks} symlinks, ${formatBytes(report.bytes)}`);
      return 0;
    });
  },
};

const forget: Command = {
  kind: 'command',
  name: 'forget',
  summary: 'delete a snapshot and collect chunks no snapshot needs any more',
  details: 'Chunks are freed once their grace period on the server has passed.',
  options: {},
  positionals: [{ name: 'SNAPSHOT', description: 'snapshot id or unique prefix' }],
  async run(ctx) {
    const snapshot = ctx.args.positionals[0]!;
    return withSignedInClient(ctx, async (client) => {
      const { snapshot: s, gc } = await backupOf(ctx, client).forget(snapshot);
      writeLine(ctx.io.stdout, `forgot snapshot ${s.id}; garbage collection freed ${gc.deletedChunks} chunks (${formatBytes(gc.freedBytes)})`);
      return 0;
    });
  },
};

export const backupGroup: CommandGroup = {
  kind: 'group',
  name: 'backup',
  summary: 'encrypted, incremental snapshots of folders',
  commands: [create, list, restore, forget],
};
