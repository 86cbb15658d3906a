/**
 * The Coffer server of the backup bench, in its own process (SQLite + local blob files,
 * a quota large enough for the data set). Prints one JSON line with its URL and pid, then
 * runs until stdin closes.
 */
import { startServer } from '@coffer/server';

const [dataDir] = process.argv.slice(2);
if (dataDir === undefined) throw new Error('usage: server-child.ts DATA_DIR');
const server = await startServer({ dataDir, port: 0, quotaBytes: 1024 ** 4, assets: { gcIntervalMs: 0 } });
process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
process.stdin.resume();
process.stdin.on('end', () => {
  void server.close().then(() => process.exit(0));
});
