import { buildServer, describeDataLocation } from './build-server.js';
import type { RunningServer, StartServerOptions } from './server-options.js';

/** Builds the server and listens; `url` is where it accepts requests once this resolves. */
export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const app = await buildServer(options);
  const host = options.host ?? '127.0.0.1';
  try {
    await app.listen({ port: options.port, host });
  } catch (error) {
    await app.close();
    throw error;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}`,
    dataLocation: describeDataLocation(options),
    close: () => app.close(),
  };
}
