/** @coffer/cli — the `coffer` command as a library (for tests and embedding). */
export { runCli } from './cli.js';
export type { CliIO } from './io.js';
export type { Command, CommandGroup, CommandContext, Entry } from './router.js';
