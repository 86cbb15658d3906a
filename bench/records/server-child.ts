/**
 * The Coffer server under test, in its own process so the bench client's CPU (JSON,
 * client-side encryption) does not share a thread with it. Prints one JSON line with
 * its URL, then runs until stdin closes.
 */
import { startServer } from '@coffer/server';

const [dataDir, databaseUrl] = process.argv.slice(2);
if (dataDir === undefined) throw new Error('usage: server-child.ts DATA_DIR [DATABASE_URL]');
const server = await startServer({ dataDir, port: 0, quotaBytes: 50 * 1024 ** 3, ...(databaseUrl ? { databaseUrl } : {}) });
process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
process.stdin.resume();
process.stdin.on('end', () => {
  void server.close().then(() => process.exit(0));
});
