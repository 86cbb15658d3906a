/**
 * Passcode escrow's server secret: the OPRF that hardens a device passcode with a key the
 * database never holds (docs/SECURITY.md "Devices, protection modes and recovery (server)").
 * Attempt counting and the escrow records are in the database (store.devices.passcode);
 * the routes are in packages/server/src/devices/passcode-routes.ts.
 */
export { seedOprf, PASSCODE_OPRF_SUITE, type PasscodeOprf } from './oprf.js';
export { loadPasscodeOprf, passcodeKeyIdOf, PASSCODE_OPRF_KEY_FILE } from './key-file.js';
