/** `GET /escrow/1/public-key`: the key clients seal escrow copies of service keys to. Public by design. */
import type { FastifyInstance } from 'fastify';
import type { Escrow } from './escrow.js';

export const ESCROW_PUBLIC_KEY_PATH = '/escrow/1/public-key';

export function registerEscrowRoutes(app: FastifyInstance, escrow: Escrow): void {
  app.get(ESCROW_PUBLIC_KEY_PATH, () => escrow.publicKey());
}
