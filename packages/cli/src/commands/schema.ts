/**
 * `coffer schema promote --container ID`: copies a container's development schema to
 * production, additively (new record types and fields only; a field whose type or
 * encryption differs is a conflict and nothing changes). Runs locally against the
 * server's database (`--data` / `--database`, as given to `coffer server`): promotion
 * is an operator action, not something a signed-in user may do over HTTP.
 */
import { join, resolve } from 'node:path';
import { stringOption } from '../args.js';
import { CliError, UsageError } from '../errors.js';
import { writeLine } from '../io.js';
import type { Command, CommandGroup } from '../router.js';

const promote: Command = {
  kind: 'command',
  name: 'promote',
  summary: 'promote a container\'s development schema to production (additive only)',
  details: 'Prints one JSON line: {"container", "addedTypes", "addedFields"}. Exits 1 on a conflict (nothing is changed).',
  options: {
    container: { type: 'string', placeholder: 'ID', description: 'the container to promote', required: true },
    data: { type: 'string', placeholder: 'DIR', description: 'the server\'s data folder', default: './coffer-data' },
    database: { type: 'string', placeholder: 'URL', description: 'the server\'s PostgreSQL URL, if it uses one' },
  },
  async run(ctx) {
    const container = stringOption(ctx.args, 'container')!;
    const databaseUrl = stringOption(ctx.args, 'database');
    if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
      throw new UsageError('--database must be a postgres:// or postgresql:// URL', ctx.commandPath);
    }
    const dataDir = resolve(stringOption(ctx.args, 'data')!);
    // Loaded on demand, like `coffer server`: only operator commands need the server packages.
    const [{ promoteSchema, SchemaPromoteError, SQLITE_FILE_NAME }, { openStore }] = await Promise.all([import('@coffer/server'), import('@coffer/storage')]);
    const store = await openStore(databaseUrl === undefined ? { kind: 'sqlite', file: join(dataDir, SQLITE_FILE_NAME) } : { kind: 'postgres', url: databaseUrl }).catch((error: unknown) => {
      throw new CliError(`cannot open the server database: ${error instanceof Error ? error.message : String(error)}`);
    });
    try {
      const result = await promoteSchema(store, container);
      writeLine(ctx.io.stdout, JSON.stringify({ container, ...result }));
    } catch (error) {
      if (error instanceof SchemaPromoteError) throw new CliError(`${error.message} (nothing was changed)`);
      throw new CliError(`schema promote failed: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      await store.close();
    }
    return 0;
  },
};

export const schemaGroup: CommandGroup = {
  kind: 'group',
  name: 'schema',
  summary: 'manage container schemas',
  commands: [promote],
};
