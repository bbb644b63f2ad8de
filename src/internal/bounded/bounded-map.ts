/**
 * A map that keeps at most `limit` entries, forgetting the least recently used first: what the Postgres store's
 * snapshot cache and the scripted agent's places in its scripts are made of, so a long-lived worker's or fake's
 * memory stays bounded.
 */

/** A bounded map: `get` and `set` both count as a use. */
export interface BoundedMap<K, V> {
  /** The value under `key` (now the most recently used), or `undefined`. */
  get(key: K): V | undefined;
  /** Sets `key` (the most recently used), forgetting the least recently used entries past the limit. */
  set(key: K, value: V): void;
  /** Forgets `key`; answers whether it was there. */
  delete(key: K): boolean;
  /** The keys it holds, least recently used first (a copy: deleting while iterating is safe). */
  keys(): K[];
  /** How many entries it holds. */
  readonly size: number;
}

/**
 * An empty map of at most `limit` entries: at least 1, as the fakes' `log_limit` (a fraction counts down, 2.5
 * keeps 2), `Infinity` keeping every entry.
 */
export function createBoundedMap<K, V>(limit: number): BoundedMap<K, V> {
  if (!(limit >= 1)) throw new RangeError(`a bounded map's limit must be at least 1, got ${limit}`);
  // A Map iterates in insertion order: deleting and setting again moves a key last, so the first is the oldest.
  const map = new Map<K, V>();
  return {
    get(key) {
      const value = map.get(key);
      if (value === undefined) return undefined;
      map.delete(key);
      map.set(key, value);
      return value;
    },
    set(key, value) {
      map.delete(key);
      map.set(key, value);
      while (map.size > limit) {
        const oldest = map.keys().next();
        if (oldest.done) break;
        map.delete(oldest.value);
      }
    },
    delete(key) {
      return map.delete(key);
    },
    keys() {
      return [...map.keys()];
    },
    get size() {
      return map.size;
    },
  };
}
