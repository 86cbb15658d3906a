/**
 * Retry with exponential backoff and full jitter for THROTTLED and TRY_AGAIN_LATER.
 * Only those two are retried: both mean the server did not process the request, so
 * resending is safe even for non-idempotent operations such as `create`. Network
 * failures are not retried here — a request lost after the server applied it would
 * be applied twice.
 */
import { isRetryable } from '../server-errors.js';

export interface RetryOptions {
  /** Total attempts including the first (default 5). 1 disables retrying. */
  maxAttempts?: number;
  /** Base delay in ms for the exponential backoff (default 200). */
  baseDelayMs?: number;
  /** Cap of the backoff delay in ms (default 20 000); a larger server `retryAfter` still wins. */
  maxDelayMs?: number;
  /** Injectable for tests: resolves after `ms`. */
  sleep?: (ms: number) => Promise<void>;
  /** Injectable for tests: uniform in [0, 1). */
  random?: () => number;
}

export const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A resolved retry policy. */
export class RetryPolicy {
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly random: () => number;

  constructor(options: RetryOptions = {}) {
    this.maxAttempts = Math.max(1, Math.floor(options.maxAttempts ?? 5));
    this.baseDelayMs = options.baseDelayMs ?? 200;
    this.maxDelayMs = options.maxDelayMs ?? 20_000;
    this.sleep = options.sleep ?? defaultSleep;
    this.random = options.random ?? Math.random;
  }

  /**
   * The delay before retry number `attempt` (1 = first retry). Full jitter
   * (AWS "Exponential Backoff and Jitter"): uniform in [0, min(cap, base·2^(attempt-1))],
   * so many throttled clients spread out instead of retrying in lockstep. When the
   * server gave `retryAfter` seconds we never retry sooner than that.
   */
  delayMs(attempt: number, retryAfterSeconds: number | undefined): number {
    const ceiling = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (attempt - 1));
    const jittered = this.random() * ceiling;
    const floor = retryAfterSeconds === undefined ? 0 : retryAfterSeconds * 1000;
    return Math.round(Math.max(floor, jittered) + (floor > 0 ? this.random() * this.baseDelayMs : 0));
  }

  /** Runs `attempt` until it succeeds, fails with a non-retryable error, or attempts run out. */
  async run<T>(attempt: () => Promise<T>): Promise<T> {
    for (let n = 1; ; n++) {
      try {
        return await attempt();
      } catch (error) {
        if (!isRetryable(error) || n >= this.maxAttempts) throw error;
        await this.sleep(this.delayMs(n, error.retryAfter));
      }
    }
  }
}
