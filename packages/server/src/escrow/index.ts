/**
 * Standard-protection escrow — the ONLY server code that touches @coffer/crypto (the
 * lint rule in eslint.config.js enforces it). docs/SECURITY.md "Escrow (Standard
 * protection)" explains what the server can and cannot read.
 *
 *   const escrow = await createEscrow({ dataDir, store });   // loads/creates escrow.key (0600)
 *   registerEscrowRoutes(app, escrow);                        // GET /escrow/1/public-key
 *   // records path: escrow.sealFields / openFields / recoverServiceKey (RecordEscrow port)
 */
export { createEscrow, type Escrow, type EscrowDeps } from './escrow.js';
export { registerEscrowRoutes, ESCROW_PUBLIC_KEY_PATH } from './routes.js';
export { FileEscrowKeyProvider, escrowKeyIdOf } from './file-key-provider.js';
export type { EscrowKeyProvider } from './key-provider.js';
export { ADP_PLAINTEXT_REFUSED } from './errors.js';
export { categoryOfContainer, isEscrowEligible } from './categories.js';
