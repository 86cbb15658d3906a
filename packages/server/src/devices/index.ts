/**
 * Trusted devices, protection mode and recovery — the server side of issue 4.
 *
 *   await registerDevices(app, { store, dataDir, escrow });   // after registerAuth
 *
 * registers `/devices/1/…`, `/protection/1/…` and `/recovery/1/…` (protocol DevicePaths) in
 * their own scope: JSON bodies, a session on every route, the CloudKit error envelope.
 * The server stores everything opaquely and can open none of it; docs/API.md and
 * docs/SECURITY.md "Devices, protection modes and recovery (server)" describe both.
 */
import type { FastifyInstance } from 'fastify';
import { loadPasscodeOprf } from '../escrow/passcode/index.js';
import { installJsonBodyParser } from '../http/json-body.js';
import { registerContactRequestRoutes } from './contact-request-routes.js';
import { registerContactSideRoutes } from './contact-side-routes.js';
import { registerContactsRoutes } from './contacts-routes.js';
import { devicesErrorHandler, type DevicesContext, type DevicesDeps } from './context.js';
import { registerJoinRoutes } from './join-routes.js';
import { registerKeychainRoutes } from './keychain-routes.js';
import { registerLogRoutes } from './log-routes.js';
import { registerPasscodeRoutes } from './passcode-routes.js';
import { registerProtectionRoutes } from './protection-routes.js';
import { registerRecoveryKeyRoutes } from './recovery-key-routes.js';
import { registerResetRoutes } from './reset-routes.js';

export type { DevicesDeps } from './context.js';
export { zoneResetState, rejectUnavailableZone, type ZoneUnavailableReason } from './zone-state.js';

function escrowForgetter(escrow: unknown): (owner: string) => void {
  const forget = (escrow as { forget?: unknown } | undefined)?.forget;
  return typeof forget === 'function' ? (owner) => void (forget as (o: string) => unknown).call(escrow, owner) : () => undefined;
}

export async function registerDevices(app: FastifyInstance, deps: DevicesDeps): Promise<void> {
  const oprf = deps.passcodeOprf ?? (await loadPasscodeOprf({ dataDir: deps.dataDir, keyIds: deps.store.auth.serverKeyIds }));
  const ctx: DevicesContext = { store: deps.store, devices: deps.store.devices, oprf, forgetEscrowKeys: escrowForgetter(deps.escrow) };
  await app.register((scope, _opts, done) => {
    installJsonBodyParser(scope);
    scope.setErrorHandler(devicesErrorHandler);
    registerLogRoutes(scope, ctx);
    registerJoinRoutes(scope, ctx);
    registerKeychainRoutes(scope, ctx);
    registerProtectionRoutes(scope, ctx);
    registerRecoveryKeyRoutes(scope, ctx);
    registerContactsRoutes(scope, ctx);
    registerContactRequestRoutes(scope, ctx);
    registerContactSideRoutes(scope, ctx);
    registerPasscodeRoutes(scope, ctx);
    registerResetRoutes(scope, ctx);
    done();
  });
}
