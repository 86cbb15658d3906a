/**
 * The command router. The command line is `coffer <command> [flags]` or
 * `coffer <group> <command> [flags]`; each group lives in its own file under
 * `commands/` and is listed once in `commands/index.ts`, which is all a later issue
 * (devices, protection, recovery-key, drive, backup) has to touch to add commands.
 */
import { parseCommandArgs, type OptionTable, type ParsedArgs } from './args.js';
import { CliError, UsageError } from './errors.js';
import { writeLine, type CliIO } from './io.js';

export interface CommandContext {
  io: CliIO;
  args: ParsedArgs;
  /** `$COFFER_HOME` (default `~/.coffer`): client state lives here. */
  home: string;
  /** e.g. `coffer account create`, for messages. */
  commandPath: string;
}

export interface PositionalSpec {
  name: string;
  description: string;
  optional?: boolean;
}

export interface Command {
  kind: 'command';
  name: string;
  summary: string;
  /** Longer help text, shown under the usage line. */
  details?: string;
  options: OptionTable;
  positionals?: PositionalSpec[];
  /** Resolves to the exit code (default 0). Throw `UsageError`/`CliError` to fail. */
  run(ctx: CommandContext): Promise<number | undefined>;
}

export interface CommandGroup {
  kind: 'group';
  name: string;
  summary: string;
  commands: Command[];
}

export type Entry = Command | CommandGroup;

export async function runCommandLine(argv: readonly string[], entries: readonly Entry[], io: CliIO, home: string): Promise<number> {
  try {
    return await dispatch(argv, entries, io, home);
  } catch (error) {
    return report(error, io);
  }
}

async function dispatch(argv: readonly string[], entries: readonly Entry[], io: CliIO, home: string): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    const topic = first === 'help' ? rest : [];
    if (topic.length > 0) return dispatch([...topic, '--help'], entries, io, home);
    writeLine(first === undefined ? io.stderr : io.stdout, mainHelp(entries));
    return first === undefined ? 2 : 0;
  }
  if (first === '--version') {
    writeLine(io.stdout, 'coffer 0.1.0');
    return 0;
  }
  const entry = entries.find((e) => e.name === first);
  if (entry === undefined) throw new UsageError(`unknown command ${JSON.stringify(first)}`);
  if (entry.kind === 'command') return runCommand(entry, `coffer ${entry.name}`, rest, io, home);

  const [sub, ...subRest] = rest;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    writeLine(sub === undefined ? io.stderr : io.stdout, groupHelp(entry));
    return sub === undefined ? 2 : 0;
  }
  const command = entry.commands.find((c) => c.name === sub);
  if (command === undefined) throw new UsageError(`unknown command ${JSON.stringify(`${entry.name} ${sub}`)}`, `coffer ${entry.name}`);
  return runCommand(command, `coffer ${entry.name} ${command.name}`, subRest, io, home);
}

async function runCommand(command: Command, commandPath: string, argv: readonly string[], io: CliIO, home: string): Promise<number> {
  const args = parseCommandArgs(argv, command.options, commandPath, command.positionals?.length ?? 0);
  if (args.values.help === true) {
    writeLine(io.stdout, commandHelp(command, commandPath));
    return 0;
  }
  const missing = (command.positionals ?? []).find((p, i) => p.optional !== true && args.positionals[i] === undefined);
  if (missing !== undefined) throw new UsageError(`missing argument ${missing.name}`, commandPath);
  return (await command.run({ io, args, home, commandPath })) ?? 0;
}

/** One line on stderr: `coffer: <message>`, plus a help hint for usage errors. */
function report(error: unknown, io: CliIO): number {
  if (error instanceof UsageError) {
    const hint = error.commandPath === '' ? 'coffer --help' : `${error.commandPath} --help`;
    writeLine(io.stderr, `coffer: ${error.message} (see ${hint})`);
    return error.exitCode;
  }
  if (error instanceof CliError) {
    writeLine(io.stderr, `coffer: ${error.message}`);
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  writeLine(io.stderr, `coffer: ${message}`);
  return 1;
}

// ── Help ─────────────────────────────────────────────────────────────────────

function mainHelp(entries: readonly Entry[]): string {
  const lines = ['Usage: coffer <command> [options]', '', 'Commands:'];
  const rows: [string, string][] = [];
  for (const entry of entries) {
    if (entry.kind === 'command') rows.push([entry.name, entry.summary]);
    else for (const c of entry.commands) rows.push([`${entry.name} ${c.name}`, c.summary]);
  }
  lines.push(...table(rows), '', 'Run `coffer <command> --help` for the options of a command.', 'Client state lives under $COFFER_HOME (default ~/.coffer).');
  return lines.join('\n');
}

function groupHelp(group: CommandGroup): string {
  return [`Usage: coffer ${group.name} <command> [options]`, '', group.summary, '', 'Commands:', ...table(group.commands.map((c) => [c.name, c.summary]))].join('\n');
}

function commandHelp(command: Command, commandPath: string): string {
  const positionals = (command.positionals ?? []).map((p) => (p.optional === true ? `[${p.name}]` : p.name)).join(' ');
  const lines = [`Usage: ${commandPath}${positionals === '' ? '' : ` ${positionals}`} [options]`, '', command.summary];
  if (command.details !== undefined) lines.push('', command.details);
  if ((command.positionals ?? []).length > 0) {
    lines.push('', 'Arguments:', ...table((command.positionals ?? []).map((p) => [p.name, p.description])));
  }
  const rows: [string, string][] = Object.entries(command.options).map(([name, spec]) => {
    const flag = `--${name}${spec.type === 'string' ? ` <${spec.placeholder ?? name}>` : ''}`;
    const notes = [spec.required === true ? 'required' : undefined, spec.default === undefined ? undefined : `default: ${spec.default}`].filter((n) => n !== undefined);
    return [flag, `${spec.description}${notes.length > 0 ? ` (${notes.join('; ')})` : ''}`];
  });
  rows.push(['--help', 'show this help']);
  lines.push('', 'Options:', ...table(rows));
  return lines.join('\n');
}

function table(rows: readonly [string, string][]): string[] {
  const width = Math.max(...rows.map(([left]) => left.length));
  return rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`);
}
