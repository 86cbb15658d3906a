/**
 * Unwrapped service and zone keys, cached per account (the account is part of the cache
 * key, so one account's request can never be served another account's key). Bounded LRU.
 */
import type { SymmetricKey } from '@coffer/crypto';
import { Lru } from './lru.js';

export class KeyCache {
  readonly #lru: Lru<string, SymmetricKey>;
  constructor(capacity: number) {
    this.#lru = new Lru(capacity);
  }

  private static key(owner: string, kind: string, id: string, version: number): string {
    return `${owner}\u0000${kind}\u0000${id}\u0000${version}`;
  }

  get(owner: string, kind: string, id: string, version: number): SymmetricKey | undefined {
    return this.#lru.get(KeyCache.key(owner, kind, id, version));
  }

  set(owner: string, key: SymmetricKey): void {
    this.#lru.set(KeyCache.key(owner, key.kind, key.id, key.version), key);
  }

  /** Drops every key of an account (e.g. when it turns ADP on). */
  forget(owner: string): void {
    const prefix = `${owner}\u0000`;
    this.#lru.deleteWhere((k) => k.startsWith(prefix));
  }
}
