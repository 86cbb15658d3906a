/**
 * @coffer/protocol — the wire types shared by server and SDK: record/zone/field JSON in
 * the CloudKit Web Services shape, request/response bodies, the error-code registry and
 * limits. No crypto and no I/O.
 */
export * from './errors.js';
export * from './fields.js';
export * from './records.js';
export * from './requests.js';
export * from './auth.js';
export * from './limits.js';
export * from './keys.js';
export * from './names.js';
export * from './categories.js';
export * from './devices.js';
export * from './asset-fetch.js';
