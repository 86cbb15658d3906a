// The `coffer` command. Subcommands land with their issues; until then this says so.
const [command] = process.argv.slice(2);

if (command === 'server') {
  process.stderr.write('coffer server: not built yet — the record server lands with the server issue.\n');
  process.exitCode = 1;
} else {
  process.stderr.write(`coffer: unknown command ${JSON.stringify(command ?? '')}\n`);
  process.exitCode = 2;
}
