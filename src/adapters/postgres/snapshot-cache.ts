/**
 * The snapshots a store's reader has already verified, by hash, so that reading a run's state again need not
 * fetch, parse and hash them again (`rungate_run_state`'s `known`, `run-state-function.ts`).
 *
 * Why it is safe: a snapshot is content-addressed and frozen. A value held here was parsed, deep-frozen and found
 * to hash to its key when it was read; a later record that names the same hash gets this very value, which is
 * what that hash means whatever the row in `snapshots` holds by then. A run's hashes never change (they are
 * frozen fields), so the hashes its state named last time are the ones worth naming next time.
 *
 * It also remembers which hashes `snapshots` holds, so a write can leave those snapshots out of its records
 * (`write-in-one.ts`): a run's policy is then not sent with every write of the run.
 *
 * Every map is bounded (least recently used goes first): a long-lived worker reads many runs.
 */
import type { JsonObject } from "../../core/schemas/json.js";
import { createBoundedMap } from "./bounded-map.js";

/**
 * How many snapshots one store keeps: a policy is a few KB and most runs of a project share it, a card's input
 * a few hundred bytes; a workflow run of 1,000 cards names 1,002 (a few MB at most).
 */
export const SNAPSHOT_CACHE_LIMIT = 4_096;
/** How many runs' hashes one store remembers. */
export const RUN_HASHES_LIMIT = 1_024;
/** How many hashes one store remembers as held, verified, by `snapshots` (what its writes may leave out). */
export const STORED_HASHES_LIMIT = 16_384;

/** Verified snapshots by hash, and which hashes each run's state named. */
export interface SnapshotCache {
  /**
   * The snapshots to name as known when reading `run_id`'s state: those it named last time that are still held.
   * The answer is the reader's own (a concurrent read may evict entries meanwhile), to fill records from.
   */
  heldFor(run_id: string): ReadonlyMap<string, JsonObject>;
  /** Remembers the verified, deep-frozen snapshots `run_id`'s state named, each under its hash. */
  remember(run_id: string, snapshots: readonly (readonly [string, JsonObject])[]): void;
  /**
   * Whether a read found `snapshots` holding the genuine snapshot under `hash` (verified against it): a write
   * may then leave that snapshot out of its records. Not a write: the row under a hash keeps the first JSON
   * written, which a forged record may have sent. Rows of `snapshots` are never changed nor deleted by rungate;
   * a write whose snapshot went missing anyway is refused by the function and written whole.
   */
  isStored(hash: string): boolean;
}

/** An empty cache; one per store. */
export function createSnapshotCache(
  limits: { readonly snapshots?: number; readonly runs?: number; readonly stored?: number } = {},
): SnapshotCache {
  const snapshotLimit = limits.snapshots ?? SNAPSHOT_CACHE_LIMIT;
  const runLimit = limits.runs ?? RUN_HASHES_LIMIT;
  const storedLimit = limits.stored ?? STORED_HASHES_LIMIT;
  const snapshots = createBoundedMap<string, JsonObject>(snapshotLimit);
  const hashesOfRun = createBoundedMap<string, readonly string[]>(runLimit);
  const stored = createBoundedMap<string, true>(storedLimit);
  return {
    heldFor(run_id) {
      const held = new Map<string, JsonObject>();
      for (const hash of hashesOfRun.get(run_id) ?? []) {
        const value = snapshots.get(hash);
        if (value !== undefined) held.set(hash, value);
      }
      return held;
    },
    isStored: (hash) => stored.get(hash) === true,
    remember(run_id, named) {
      for (const [hash, value] of named) {
        snapshots.set(hash, value);
        stored.set(hash, true);
      }
      hashesOfRun.set(
        run_id,
        named.map(([hash]) => hash),
      );
    },
  };
}
