/**
 * Under ADP a recovery method must remain: the server refuses to delete the last one
 * (the recovery-key record or the contact set), mirroring the adp-on precondition.
 * Not transactional with the delete — a race between deleting both methods at once can
 * still leave none; clients re-check before and after.
 */
import { DeviceLogReasons } from '@coffer/protocol';
import { CloudError } from '../http/cloud-error.js';
import type { DevicesContext } from './context.js';

export async function refuseRemovingLastRecoveryMethod(ctx: DevicesContext, owner: string, removing: 'recovery-key' | 'contact-set'): Promise<void> {
  if ((await ctx.store.auth.accounts.protectionMode(owner)) !== 'advanced') return;
  const other = removing === 'recovery-key' ? await ctx.devices.contacts.getSet(owner) : await ctx.devices.recoveryKeys.get(owner);
  if (other === null) throw new CloudError('BAD_REQUEST', DeviceLogReasons.adpRequiresRecoveryMethod);
}
