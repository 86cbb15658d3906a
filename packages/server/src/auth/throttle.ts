/**
 * Attempt throttling over the shared `auth_throttle` counters (so limits hold across
 * server nodes). Keys are keyed hashes of the email or IP: the table does not become a
 * list of who tried to sign in from where.
 */
import type { ThrottleRepository } from '@coffer/storage';
import type { AtRestSealer } from './at-rest.js';
import { throttled } from './errors.js';
import type { ThrottlePolicy } from './options.js';

export class Throttle {
  constructor(
    private readonly repo: ThrottleRepository,
    private readonly sealer: AtRestSealer,
    private readonly now: () => number,
  ) {}

  key(kind: string, subject: string): string {
    return `${kind}:${this.sealer.keyedHash(`throttle:${kind}`, subject)}`;
  }

  /** Counts one attempt; throws THROTTLED (with retryAfter) once over the limit. */
  async consume(key: string, policy: ThrottlePolicy, what: string): Promise<void> {
    const now = this.now();
    const window = await this.repo.hit(key, now, policy.windowMs);
    if (window.count > policy.limit) {
      throw throttled(`too many ${what}; try again later`, window.windowStart + policy.windowMs - now);
    }
  }

  /** Throws THROTTLED if the limit is already used up, without counting. */
  async check(key: string, policy: ThrottlePolicy, what: string): Promise<void> {
    const now = this.now();
    const window = await this.repo.peek(key, now, policy.windowMs);
    if (window && window.count >= policy.limit) {
      throw throttled(`too many ${what}; try again later`, window.windowStart + policy.windowMs - now);
    }
  }

  async reset(key: string): Promise<void> {
    await this.repo.reset(key);
  }

  /** Takes back one counted attempt (it turned out legitimate). */
  async undo(key: string): Promise<void> {
    await this.repo.undo(key);
  }
}
