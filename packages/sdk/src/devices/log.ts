/**
 * The account's device log as this device sees it: fetched, decoded and verified on every
 * read (`verifyDeviceLog`, and `verifyLogExtends` against the head this device verified
 * before, which is then advanced and persisted). A log that fails either check is refused
 * with `DeviceLogTamperedError` — whatever the server meant by it, nothing is done on its
 * basis. Appends are compare-and-append on the verified length, retried on a race.
 */
import {
  createLogEntry,
  decodeLogEntry,
  DeviceLogError,
  encodeLogEntry,
  fromHex,
  logEntryHash,
  toHex,
  verifyDeviceLog,
  verifyLogExtends,
  type DeviceLogBody,
  type DeviceLogEntry,
  type DeviceLogState,
  type LogSigner,
} from '@coffer/crypto';
import { DevicePaths, type DeviceLogAppendRequest, type DeviceLogAppendResponse, type DeviceLogResponse } from '@coffer/protocol';
import { fromBase64, toBase64 } from '../base64.js';
import { ConflictError } from '../server-errors.js';
import type { DeviceApi } from './api.js';
import { DeviceLogTamperedError } from './errors.js';

/** A verified log: its entries and the state they define (null while the account has no log yet). */
export interface VerifiedLog {
  entries: DeviceLogEntry[];
  state: DeviceLogState | null;
}

/** Where the last verified head lives (the device state file); absent for a device with no state yet. */
export interface TrustedHeadStore {
  getHead(): Promise<{ hash: string; length: number } | undefined>;
  setHead(head: { hash: string; length: number }): Promise<void>;
}

/** What to append, decided on the freshly verified log (called again after a race). */
export type AppendPlan = (log: VerifiedLog) => { signer: LogSigner; bodies: readonly DeviceLogBody[] } | Promise<{ signer: LogSigner; bodies: readonly DeviceLogBody[] }>;

export class DeviceLog {
  constructor(private readonly api: DeviceApi, private readonly heads: TrustedHeadStore | undefined) {}

  /** Fetches and verifies the log; advances the trusted head. */
  async fetch(): Promise<VerifiedLog> {
    const response = await this.api.get<DeviceLogResponse>(DevicePaths.log);
    return this.verify(response.entries);
  }

  /** Verifies base64 entries (from `log` or from another account's `contacts/identity`). */
  async verify(encoded: readonly string[], options: { persist?: boolean } = {}): Promise<VerifiedLog> {
    let entries: DeviceLogEntry[];
    try {
      entries = encoded.map((e) => decodeLogEntry(fromBase64(e)));
    } catch (error) {
      throw new DeviceLogTamperedError('bad-format', 'an entry does not decode', error);
    }
    const head = options.persist === false ? undefined : await this.heads?.getHead();
    if (entries.length === 0) {
      if (head !== undefined && head.length > 0) throw new DeviceLogTamperedError('history-rewritten', `the server returned an empty log; this device verified ${head.length} entries before`);
      return { entries, state: null };
    }
    let state: DeviceLogState;
    try {
      state = head === undefined ? verifyDeviceLog(entries) : verifyLogExtends(fromHex(head.hash), head.length, entries);
    } catch (error) {
      if (error instanceof DeviceLogError) throw new DeviceLogTamperedError(error.reason, error.message, error);
      throw error;
    }
    if (options.persist !== false && this.heads !== undefined && (head === undefined || head.length !== state.length || head.hash !== toHex(state.headHash))) {
      await this.heads.setHead({ hash: toHex(state.headHash), length: state.length });
    }
    return { entries, state };
  }

  /**
   * Appends the entries `plan` decides on the verified log; on a length race (CONFLICT)
   * refetches, re-verifies and asks `plan` again (up to `attempts` times).
   * @returns the verified log after the append.
   */
  async append(plan: AppendPlan, attempts = 4): Promise<VerifiedLog & { state: DeviceLogState }> {
    for (let attempt = 1; ; attempt++) {
      const log = await this.fetch();
      const { signer, bodies } = await plan(log);
      let previous = log.entries.at(-1) ?? null;
      const now = Date.now();
      const created: DeviceLogEntry[] = [];
      for (const body of bodies) {
        previous = createLogEntry(signer, previous, body, now);
        created.push(previous);
      }
      const next = [...log.entries, ...created];
      // Check locally first: never send an entry our own verifier would refuse.
      try {
        verifyDeviceLog(next);
      } catch (error) {
        if (error instanceof DeviceLogError) throw new DeviceLogTamperedError(error.reason, `refusing to append: ${error.message}`, error);
        throw error;
      }
      try {
        await this.api.post<DeviceLogAppendResponse>(DevicePaths.logAppend, {
          entries: created.map((e) => toBase64(encodeLogEntry(e))),
          expectedLength: log.entries.length,
        } satisfies DeviceLogAppendRequest);
      } catch (error) {
        if (error instanceof ConflictError && attempt < attempts) continue;
        throw error;
      }
      const state = verifyDeviceLog(next);
      if (this.heads !== undefined) await this.heads.setHead({ hash: toHex(logEntryHash(created.at(-1) ?? next.at(-1)!)), length: next.length });
      return { entries: next, state };
    }
  }
}
