import type { BlobStore } from '@coffer/blobs';
import type { Store } from '@coffer/storage';
import type { RecordEscrow } from '../records/escrow-port.js';

export const DEFAULT_DATA_DIR = './coffer-data';
export const DEFAULT_PORT = 8080;
/** Default per-user storage quota: 1 GiB. */
export const DEFAULT_QUOTA_BYTES = 1024 ** 3;
export const SQLITE_FILE_NAME = 'coffer.sqlite';

export interface ServerOptions {
  /** Holds the SQLite file (unless databaseUrl is set) and the server's key files. */
  dataDir: string;
  /** `postgres://…` selects PostgreSQL; otherwise SQLite at `<dataDir>/coffer.sqlite`. */
  databaseUrl?: string;
  /** Per-user storage quota in bytes (default 1 GiB); also the quota of each public database. */
  quotaBytes?: number;
  /** Fastify's pino logger (request bodies and query strings are never logged). Default false. */
  logger?: boolean;
  /** Use this Store instead of opening one (embedding, tests). The server does not close it. */
  store?: Store;
  /** Replace the Standard-protection escrow (tests). */
  escrow?: RecordEscrow;
  /** Asset storage: blob store (default files in `<dataDir>/blobs`), GC grace period and interval (tests, operators). */
  assets?: { blobs?: BlobStore; graceMs?: number; gcIntervalMs?: number };
}

export interface StartServerOptions extends ServerOptions {
  port: number;
  /** Default 127.0.0.1. */
  host?: string;
}

export interface RunningServer {
  /** e.g. `http://127.0.0.1:8080`. */
  url: string;
  /** Human-readable: the SQLite file or the PostgreSQL URL without its password. */
  dataLocation: string;
  close(): Promise<void>;
}
