/**
 * Flag parsing on `node:util` parseArgs, driven by each command's option table so that
 * parsing, validation and `--help` come from one declaration.
 */
import { parseArgs } from 'node:util';
import { UsageError } from './errors.js';

export interface OptionSpec {
  type: 'string' | 'boolean';
  description: string;
  /** Shown in help as `--port <placeholder>`. */
  placeholder?: string;
  /** Default for string options (shown in help). */
  default?: string;
  required?: boolean;
  short?: string;
}

export type OptionTable = Record<string, OptionSpec>;

export interface ParsedArgs {
  /** String options are strings, boolean options booleans; absent options are undefined. */
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

export function parseCommandArgs(argv: readonly string[], options: OptionTable, commandPath: string, maxPositionals: number): ParsedArgs {
  const config: Record<string, { type: 'string' | 'boolean'; short?: string }> = { help: { type: 'boolean', short: 'h' } };
  for (const [name, spec] of Object.entries(options)) config[name] = { type: spec.type, ...(spec.short === undefined ? {} : { short: spec.short }) };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...argv], options: config, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message.replace(/\. To specify a positional argument.*$/s, ''), commandPath);
  }
  const values: ParsedArgs['values'] = {};
  for (const [name, value] of Object.entries(parsed.values)) {
    values[name] = Array.isArray(value) ? value.at(-1) : value;
  }
  for (const [name, spec] of Object.entries(options)) {
    if (values[name] === undefined && spec.default !== undefined) values[name] = spec.default;
  }
  if (values.help !== true) {
    for (const [name, spec] of Object.entries(options)) {
      if (spec.required === true && values[name] === undefined) throw new UsageError(`missing required option --${name}`, commandPath);
    }
    if (parsed.positionals.length > maxPositionals) {
      throw new UsageError(`unexpected argument ${JSON.stringify(parsed.positionals[maxPositionals])}`, commandPath);
    }
  }
  return { values, positionals: parsed.positionals };
}

/** A string option's value (after the required check, so present when required). */
export function stringOption(args: ParsedArgs, name: string): string | undefined {
  const value = args.values[name];
  return typeof value === 'string' ? value : undefined;
}

/** A TCP port option. */
export function portOption(args: ParsedArgs, name: string, commandPath: string): number {
  const text = stringOption(args, name) ?? '';
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535) throw new UsageError(`--${name} must be a port number (0-65535), got ${JSON.stringify(text)}`, commandPath);
  return port;
}
