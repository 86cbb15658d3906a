/**
 * @coffer/server — the CloudKit-compatible record server.
 *
 * - `buildServer(options)` → a ready Fastify instance (tests use `inject`).
 * - `startServer(options & {port, host?})` → listening; `{url, dataLocation, close}`.
 * - `promoteSchema(store, container)` → `coffer schema promote`.
 */
export { buildServer, describeDataLocation } from './app/build-server.js';
export { startServer } from './app/start-server.js';
export { DEFAULT_DATA_DIR, DEFAULT_PORT, DEFAULT_QUOTA_BYTES, SQLITE_FILE_NAME, type ServerOptions, type StartServerOptions, type RunningServer } from './app/server-options.js';
export { promoteSchema, SchemaPromoteError } from './schema/promote-schema.js';
export type { RecordEscrow, EscrowKeyAccess, EscrowServiceKey, EscrowSealRequest, EscrowSealResult, EscrowOpenRequest, EscrowOpenResult, EscrowRecordContext, EscrowPlainField } from './records/escrow-port.js';
