import { buildServer, describeDataLocation } from './build-server.js';
import type { RunningServer, StartServerOptions } from './server-options.js';

/**
 * How long close() lets in-flight requests finish. Fastify closes idle keep-alive
 * connections at once, but waits without limit for a request whose client stalls (an
 * abandoned upload body): after this grace the remaining connections are cut, so a
 * shutdown always ends. Their requests' transactions roll back; nothing half-written stays.
 */
const SHUTDOWN_GRACE_MS = 5_000;

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
    close: async () => {
      const timer = setTimeout(() => {
        app.server.closeAllConnections();
      }, SHUTDOWN_GRACE_MS);
      try {
        await app.close();
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
