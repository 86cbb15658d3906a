/**
 * A small bounded LRU for unwrapped keys, so the plain-client path does not re-open the
 * escrow box and re-unwrap the zone key on every request. Bounded so a flood of zones
 * cannot grow memory without limit. Entries are keys: never log the map.
 */
export class Lru<K, V> {
  readonly #map = new Map<K, V>();
  constructor(private readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('Lru capacity must be a positive integer');
  }

  get(key: K): V | undefined {
    const value = this.#map.get(key);
    if (value === undefined) return undefined;
    // Re-insert to mark as most recently used (Map keeps insertion order).
    this.#map.delete(key);
    this.#map.set(key, value);
    return value;
  }

  set(key: K, value: V): void {
    this.#map.delete(key);
    this.#map.set(key, value);
    if (this.#map.size > this.capacity) {
      const oldest = this.#map.keys().next();
      if (!oldest.done) this.#map.delete(oldest.value);
    }
  }

  delete(key: K): void {
    this.#map.delete(key);
  }

  /** Drops every entry whose key matches (e.g. all of one user's keys when ADP turns on). */
  deleteWhere(predicate: (key: K) => boolean): void {
    for (const key of [...this.#map.keys()]) if (predicate(key)) this.#map.delete(key);
  }

  get size(): number {
    return this.#map.size;
  }
}
