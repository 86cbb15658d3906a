/**
 * CLI errors. A `UsageError` (exit 2) is a bad command line: the message says what to
 * fix and points at `--help`. A `CliError` (exit 1) is a failure while doing the work.
 * Both print one line to stderr; nothing else does.
 */
export class CliError extends Error {
  readonly exitCode: number = 1;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

export class UsageError extends CliError {
  override readonly exitCode: number = 2;
  /** The command path, for the "see coffer … --help" hint. */
  readonly commandPath: string;
  constructor(message: string, commandPath = '') {
    super(message);
    this.commandPath = commandPath;
  }
}
