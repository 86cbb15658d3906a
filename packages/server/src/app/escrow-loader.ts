/**
 * The Standard-protection escrow for the record path (packages/server/src/escrow, the only
 * server code that uses @coffer/crypto) and its public-key route.
 */
import type { FastifyInstance } from 'fastify';
import type { Store } from '@coffer/storage';
import { createEscrow, registerEscrowRoutes } from '../escrow/index.js';
import type { RecordEscrow } from '../records/escrow-port.js';

export async function loadEscrow(app: FastifyInstance, deps: { store: Store; dataDir: string }, replacement?: RecordEscrow): Promise<RecordEscrow> {
  if (replacement) return replacement;
  const escrow = await createEscrow(deps);
  registerEscrowRoutes(app, escrow);
  return escrow;
}
