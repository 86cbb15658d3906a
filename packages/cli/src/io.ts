/**
 * The process surface a command may touch, injectable so commands run in-process in
 * tests: standard streams, environment and signals.
 */
import type { Readable, Writable } from 'node:stream';

export interface CliIO {
  stdout: Writable;
  stderr: Writable;
  stdin: Readable & { isTTY?: boolean };
  env: Record<string, string | undefined>;
  /** Resolves when the process is asked to stop (SIGINT/SIGTERM). */
  onShutdownSignal: (listener: (signal: string) => void) => () => void;
  /** Ends the process now (a second Ctrl-C while shutting down). */
  forceExit: (code: number) => void;
}

export function processIO(): CliIO {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    onShutdownSignal: (listener) => {
      const handler = (signal: NodeJS.Signals): void => {
        listener(signal);
      };
      process.on('SIGINT', handler);
      process.on('SIGTERM', handler);
      return () => {
        process.off('SIGINT', handler);
        process.off('SIGTERM', handler);
      };
    },
    forceExit: (code) => process.exit(code),
  };
}

export function writeLine(stream: Writable, line: string): void {
  stream.write(`${line}\n`);
}

/**
 * Reads a secret from standard input: everything up to EOF, minus one trailing newline
 * (what `echo pw |` and `printf 'pw\n' |` add). Other whitespace is kept — it may be
 * part of the password.
 */
export async function readSecretFromStdin(stdin: Readable & { isTTY?: boolean }, what: string): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  const text = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
  if (text.length === 0) throw new Error(`no ${what} on standard input`);
  return text;
}
