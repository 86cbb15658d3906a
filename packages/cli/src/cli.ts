/** `runCli(argv, io)`: the whole CLI as a function, so tests can run it in-process. */
import { commands } from './commands/index.js';
import { processIO, type CliIO } from './io.js';
import { runCommandLine } from './router.js';
import { homeDir } from './state.js';

export async function runCli(argv: readonly string[], io: CliIO = processIO()): Promise<number> {
  return runCommandLine(argv, commands, io, homeDir(io.env));
}
