/** The `coffer` command (packages/cli/bin/coffer.js loads this through tsx). */
import { runCli } from './cli.js';

process.exitCode = await runCli(process.argv.slice(2));
