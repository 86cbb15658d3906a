/**
 * `coffer server`: runs the record server in this process. With no flags it is the
 * embedded setup (SQLite + local files in ./coffer-data, port 8080); `--database
 * postgres://…` switches the database to PostgreSQL. Stops cleanly on SIGINT/SIGTERM
 * (in-flight requests finish, the database closes); a second signal exits at once.
 */
import { resolve } from 'node:path';
import { portOption, stringOption } from '../args.js';
import { CliError, UsageError } from '../errors.js';
import { writeLine } from '../io.js';
import type { Command } from '../router.js';

/** The database URL without its password, for printing. */
export function redactUrl(text: string): string {
  try {
    const url = new URL(text);
    if (url.password !== '') url.password = '***';
    return url.toString();
  } catch {
    return '(unparseable database URL)';
  }
}

export const serverCommand: Command = {
  kind: 'command',
  name: 'server',
  summary: 'run the Coffer server (SQLite + local files by default)',
  details: 'Prints "listening on http://HOST:PORT" once it accepts requests, and where data lives.',
  options: {
    port: { type: 'string', placeholder: 'PORT', description: 'TCP port (0 = any free port)', default: '8080' },
    data: { type: 'string', placeholder: 'DIR', description: 'data folder (SQLite database, blobs, key files)', default: './coffer-data' },
    database: { type: 'string', placeholder: 'URL', description: 'postgres://… to store records in PostgreSQL instead of SQLite' },
    host: { type: 'string', placeholder: 'HOST', description: 'interface to listen on', default: '127.0.0.1' },
  },
  async run(ctx) {
    const port = portOption(ctx.args, 'port', ctx.commandPath);
    const dataDir = resolve(stringOption(ctx.args, 'data')!);
    const host = stringOption(ctx.args, 'host')!;
    const databaseUrl = stringOption(ctx.args, 'database');
    if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
      throw new UsageError('--database must be a postgres:// or postgresql:// URL', ctx.commandPath);
    }
    // Signal handlers go in before anything is printed: a supervisor that sends SIGTERM
    // the moment it sees the listening line must get a graceful stop, not the default kill.
    let received: string | undefined;
    let wake: (() => void) | undefined;
    const stopListening = ctx.io.onShutdownSignal((name) => {
      if (received !== undefined) {
        writeLine(ctx.io.stderr, `coffer: ${name} again, exiting now`);
        ctx.io.forceExit(130);
      }
      received = name;
      wake?.();
    });
    try {
      // Loaded on demand: client commands should not pay for Fastify and the database drivers.
      const { startServer } = await import('@coffer/server');
      const server = await startServer({ port, dataDir, host, ...(databaseUrl === undefined ? {} : { databaseUrl }) }).catch((error: unknown) => {
        throw new CliError(`cannot start the server: ${error instanceof Error ? error.message : String(error)}`);
      });
      const where = databaseUrl === undefined
        ? `coffer: data in ${dataDir} (SQLite + local files)`
        : `coffer: data in PostgreSQL ${redactUrl(databaseUrl)} (+ local files in ${dataDir})`;
      // One write, so a reader that reacts to the listening line already has both lines.
      ctx.io.stdout.write(`coffer: listening on ${server.url}\n${where}\n`);
      if (received === undefined) await new Promise<void>((resolveWake) => (wake = resolveWake));
      writeLine(ctx.io.stdout, `coffer: ${received ?? 'signal'}: shutting down`);
      await server.close();
      writeLine(ctx.io.stdout, 'coffer: stopped');
      return 0;
    } finally {
      stopListening();
    }
  },
};
