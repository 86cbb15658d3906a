/**
 * Which data categories the escrow may hold keys for, from the shared registry
 * (@coffer/protocol categories.ts): only those whose Standard policy is `escrowed`
 * (third-party app containers and the ADP-eligible first-party categories). Always-E2E
 * and unknown categories never are — the registry fails closed.
 */
import { dataCategoryOfContainer, isEscrowAllowed } from '@coffer/protocol';

/** Coffer's own Drive and Backup containers map to their categories; anything else is `app:<container>`. */
export function categoryOfContainer(container: string): string {
  return dataCategoryOfContainer(container);
}

/** Escrow-eligible in Standard protection (the account's current mode is checked separately). */
export function isEscrowEligible(category: string): boolean {
  return isEscrowAllowed(category, 'standard');
}
