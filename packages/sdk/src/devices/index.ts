/** Trusted devices (issue 4): see devices.ts. */
export { Devices, type DeviceInfo, type PendingJoin, type JoinTicket, type TrustedContext, type WaitOptions, type DevicesHost } from './devices.js';
export { DeviceLog, type VerifiedLog } from './log.js';
export { DeviceError, DeviceLogTamperedError, type DeviceErrorCode } from './errors.js';
export { fileDeviceStates, memoryDeviceStates, FileDeviceStateStore, MemoryDeviceStateStore, type DeviceState, type DeviceStateStore, type DeviceStateFactory } from './device-state.js';
export type { KeyWorkReport } from './service-key-ops.js';
