/** Standard / Advanced Data Protection and the keychain-reset helpers (issue 4). */
export { Protection, deviceSupportsAdp, type ProtectionStatus } from './protection.js';
export { recreateZoneFromCache, zoneNotFoundIn, isEncryptedDataResetError, isUserDeletedZoneError, type RecreateOptions } from './keychain-reset.js';
