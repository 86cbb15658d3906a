/**
 * recovery/1/keychain/reset: a user who lost every device and every recovery method starts
 * over (store.devices.resets documents exactly what goes). Needs a session and, when the
 * account has TOTP on, a fresh TOTP code — the same bar as signing in, since this throws
 * away the end-to-end encrypted data for good.
 */
import type { FastifyInstance } from 'fastify';
import { DevicePaths, type KeychainResetResponse } from '@coffer/protocol';
import { CloudError } from '../http/cloud-error.js';
import { only } from './body.js';
import { BodyLimits, route, type DevicesContext } from './context.js';

export function registerResetRoutes(scope: FastifyInstance, ctx: DevicesContext): void {
  route(scope, 'POST', DevicePaths.keychainReset, BodyLimits.small, async (user, body, request): Promise<KeychainResetResponse> => {
    only(body, ['totpCode']);
    const totpCode = body.totpCode;
    if (totpCode !== undefined && typeof totpCode !== 'string') throw new CloudError('BAD_REQUEST', 'member "totpCode" must be a string of 6 digits');
    const account = await ctx.store.auth.accounts.findByRecordName(user);
    if (!account) throw new CloudError('AUTHENTICATION_FAILED', 'the account of this session no longer exists');
    await request.server.cofferAuth.totp.verifyAtLogin(account, totpCode);
    const outcome = await ctx.devices.resets.reset(user);
    ctx.forgetEscrowKeys(user);
    return { resetGeneration: outcome.resetGeneration };
  });
}
