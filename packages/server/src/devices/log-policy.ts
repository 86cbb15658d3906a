/**
 * The server's own rules for what an append may do to the account, applied inside the
 * append transaction (so they see the state the entries actually land on):
 * - the first entry of a log adds a device (clients check it is self-signed);
 * - adp-on only from Standard and only when a recovery method is stored (a recovery-key
 *   record or a recovery-contact set) — without one, ADP would make a lost device a lost
 *   account; adp-off only from Advanced.
 * The resulting mode is what the server enforces (escrow refusal, deleted escrow copies).
 */
import type { AppendPolicy, ProtectionMode } from '@coffer/storage';
import { DeviceLogReasons } from '@coffer/protocol';
import { CloudError, badRequest } from '../http/cloud-error.js';
import type { LogKind } from './log-entry.js';

export function appendPolicy(kinds: readonly LogKind[]): AppendPolicy {
  return ({ length, mode: start, hasRecoveryMethod }) => {
    if (length === 0 && kinds[0] !== 'add-device') throw badRequest('the first entry of a device log must add a device');
    let mode: ProtectionMode = start;
    kinds.forEach((kind, i) => {
      if (kind === 'adp-on') {
        if (mode === 'advanced') throw badRequest(`entries[${i}]: Advanced Data Protection is already on`);
        if (!hasRecoveryMethod) {
          throw new CloudError('BAD_REQUEST', DeviceLogReasons.adpRequiresRecoveryMethod);
        }
        mode = 'advanced';
      } else if (kind === 'adp-off') {
        if (mode === 'standard') throw badRequest(`entries[${i}]: Advanced Data Protection is already off`);
        mode = 'standard';
      }
    });
    return mode;
  };
}
