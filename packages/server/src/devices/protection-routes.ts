/**
 * protection/1/status: the account's mode (as the log's last adp-on/adp-off set it) and
 * the category table for that mode — the seed-style table the CLI and console print.
 */
import type { FastifyInstance } from 'fastify';
import { DevicePaths, protectionTable, type ProtectionStatusResponse } from '@coffer/protocol';
import { BodyLimits, route, type DevicesContext } from './context.js';

export function registerProtectionRoutes(scope: FastifyInstance, ctx: DevicesContext): void {
  route(scope, 'GET', DevicePaths.protectionStatus, BodyLimits.small, async (user): Promise<ProtectionStatusResponse> => {
    const mode = await ctx.store.auth.accounts.protectionMode(user);
    return { mode, categories: protectionTable(mode) };
  });
}
