/**
 * devices/1/log and devices/1/log/append: the signed device log, stored opaquely and
 * appended by compare-and-append. The append also moves the account's protection mode
 * when it carries adp-on/adp-off (see log-policy.ts), in the same transaction.
 */
import type { FastifyInstance } from 'fastify';
import { DeviceLimits, DevicePaths, type DeviceLogAppendResponse, type DeviceLogResponse } from '@coffer/protocol';
import { CloudError } from '../http/cloud-error.js';
import { arr, b64Value, decodeB64, int, only } from './body.js';
import { BodyLimits, route, type DevicesContext } from './context.js';
import { readLogEntryHeader, type LogKind } from './log-entry.js';
import { appendPolicy } from './log-policy.js';

export function registerLogRoutes(scope: FastifyInstance, ctx: DevicesContext): void {
  route(scope, 'GET', DevicePaths.log, BodyLimits.small, async (user): Promise<DeviceLogResponse> => ({ entries: await ctx.devices.log.entries(user) }));

  route(scope, 'POST', DevicePaths.logAppend, BodyLimits.log, async (user, body): Promise<DeviceLogAppendResponse> => {
    only(body, ['entries', 'expectedLength']);
    const expectedLength = int(body, 'expectedLength', 0, DeviceLimits.logEntries);
    const entries = arr(body, 'entries', 1, DeviceLimits.entriesPerAppend).map((e, i) => b64Value(e, `entries[${i}]`, 1, DeviceLimits.logEntryBytes));
    if (expectedLength + entries.length > DeviceLimits.logEntries) {
      throw new CloudError('LIMIT_EXCEEDED', `a device log holds at most ${DeviceLimits.logEntries} entries`);
    }
    const kinds: LogKind[] = entries.map((e, i) => readLogEntryHeader(decodeB64(e), expectedLength + i, i));
    const outcome = await ctx.devices.log.append(user, expectedLength, entries, appendPolicy(kinds));
    if (!outcome.ok) {
      throw new CloudError('CONFLICT', `the log has ${outcome.length} entries, not ${expectedLength}; fetch, verify and retry`);
    }
    if (outcome.mode === 'advanced' && outcome.previousMode !== 'advanced') ctx.forgetEscrowKeys(user);
    return { length: outcome.length };
  });
}
