/**
 * The snapshots a store's reader has already verified, by hash, so that reading a run's state again need not
 * fetch, parse and hash them again (`rungate_run_state`'s `known`, `run-state-function.ts`).
 *
 * Why it is safe: a snapshot is content-addressed and frozen. A value held here was parsed, deep-frozen and found
 * to hash to its key when it was read; a later record that names the same hash gets this very value, which is
 * what that hash means whatever the row in `snapshots` holds by then. A run's hashes never change (they are
 * frozen fields), so the hashes its state named last time are the ones worth naming next time.
 *
 * What it holds also tells which hashes `snapshots` holds, so a write can leave those snapshots out of its
 * records (`write-in-one.ts`): a run's policy is then not sent with every write of the run.
 *
 * Every map is bounded (least recently used goes first): a long-lived worker reads many runs.
 */
import type { JsonObject } from "../../core/schemas/json.js";
import { createBoundedMap } from "../../internal/bounded/bounded-map.js";

/**
 * How many snapshots one store keeps: a policy is a few KB and most runs of a project share it, a card's input
 * a few hundred bytes; a workflow run of 1,000 cards names 1,002 (a few MB at most).
 */
export const SNAPSHOT_CACHE_LIMIT = 4_096;
/** How many runs' hashes one store remembers. */
export const RUN_HASHES_LIMIT = 1_024;

/** A run or card record, as plain data. */
type Record_ = Readonly<Record<string, unknown>>;

/**
 * The snapshot fields of runs and cards, each with where the record names its hash: what reads remember and
 * writes may leave out.
 */
export const RECORD_SNAPSHOTS: {
  readonly [T in "runs" | "assignments"]: readonly (readonly [string, (record: Record_) => unknown])[];
} = {
  runs: [
    ["system_policy_snapshot", (r) => (r.snapshot_hashes as Record_ | null | undefined)?.system_policy],
    ["run_input_snapshot", (r) => (r.snapshot_hashes as Record_ | null | undefined)?.run_input],
  ],
  assignments: [["assignment_input_snapshot", (r) => r.assignment_input_hash]],
};

/** The snapshots `record` of `table` names, each under its hash (a field without a hash is left out). */
export function namedSnapshots(
  table: keyof typeof RECORD_SNAPSHOTS,
  record: Record_,
): (readonly [string, JsonObject])[] {
  const named: (readonly [string, JsonObject])[] = [];
  for (const [field, hashOf] of RECORD_SNAPSHOTS[table]) {
    const hash = hashOf(record);
    if (typeof hash === "string") named.push([hash, record[field] as JsonObject]);
  }
  return named;
}

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
   * Whether a read found `snapshots` holding the genuine snapshot under `hash` (verified against it, and still
   * held here): a write may then leave that snapshot out of its records. Not a write: the row under a hash keeps
   * the first JSON written, which a forged record may have sent. Rows of `snapshots` are never changed nor
   * deleted by rungate; a write whose snapshot went missing anyway is refused by the function and written whole.
   */
  isStored(hash: string): boolean;
}

/** An empty cache; one per store. */
export function createSnapshotCache(
  limits: { readonly snapshots?: number; readonly runs?: number } = {},
): SnapshotCache {
  const snapshotLimit = limits.snapshots ?? SNAPSHOT_CACHE_LIMIT;
  const runLimit = limits.runs ?? RUN_HASHES_LIMIT;
  const snapshots = createBoundedMap<string, JsonObject>(snapshotLimit);
  const hashesOfRun = createBoundedMap<string, readonly string[]>(runLimit);
  return {
    heldFor(run_id) {
      const held = new Map<string, JsonObject>();
      for (const hash of hashesOfRun.get(run_id) ?? []) {
        const value = snapshots.get(hash);
        if (value !== undefined) held.set(hash, value);
      }
      return held;
    },
    isStored: (hash) => snapshots.get(hash) !== undefined,
    remember(run_id, named) {
      for (const [hash, value] of named) snapshots.set(hash, value);
      hashesOfRun.set(
        run_id,
        named.map(([hash]) => hash),
      );
    },
  };
}
