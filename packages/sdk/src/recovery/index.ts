/** Recovery key, recovery contacts, passcode escrow (issue 4). */
export { Recovery, type ContactRecoveryPrompt, type ContactRecoveryOptions } from './recovery.js';
export type { KeychainItems } from './items.js';
