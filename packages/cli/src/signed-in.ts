/**
 * Runs a command's work with an SDK client for the session saved under `$COFFER_HOME`,
 * turning SDK failures into one-line CLI errors, and stopping the asset worker threads
 * afterwards so the command exits as soon as it is done.
 */
import { closeAssetEngines, type CofferClient } from '@coffer/sdk';
import { explain, makeClient } from './client.js';
import { CliError } from './errors.js';
import type { CommandContext } from './router.js';
import { requireSession } from './state.js';

export async function withSignedInClient<T>(ctx: CommandContext, work: (client: CofferClient) => Promise<T>): Promise<T> {
  const saved = await requireSession(ctx.home);
  const client = makeClient(ctx.home, saved.serverUrl, saved);
  try {
    return await work(client);
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw explain(error, saved.serverUrl);
  } finally {
    await closeAssetEngines();
  }
}
