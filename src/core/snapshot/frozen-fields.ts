import { rungateError, type ValidationError } from "../errors.js";
import { canonicalJson } from "./canonical-json.js";
import { isDeeplyFrozen } from "./deep-freeze.js";

/**
 * The fields of a stored record that no write may change once it is stored: the snapshots a run and a card
 * were created with, their hashes, and what they belong to. A store refuses an update that changes any of
 * them (`validation`, `snapshot_immutable`), whatever else it changes, and whether or not the hash was
 * recomputed to match: "immutable" must not depend on a writer's good faith.
 */
export const FROZEN_FIELDS = {
  runs: [
    "project_id",
    "scope",
    "system_policy_profile_id",
    "system_policy_snapshot",
    "run_input_snapshot",
    "snapshot_hashes",
    "created_at",
  ],
  assignments: ["run_id", "card_id", "assignment_input_snapshot", "assignment_input_hash", "created_at"],
} as const satisfies Record<string, readonly string[]>;

/** A table whose records have {@link FROZEN_FIELDS}. */
export type FrozenTable = keyof typeof FROZEN_FIELDS;

/** The value a frozen field is compared by: its canonical JSON, an absent field counting as `null`. */
function comparable(value: unknown): string {
  if (!isDeeplyFrozen(value)) return canonicalJson(value ?? null).unwrapOr(JSON.stringify(value ?? null));
  // A deeply frozen value (a snapshot as stored and read) cannot change: its canonical form is taken once.
  const known = comparableOfFrozen.get(value as object);
  if (known !== undefined) return known;
  const text = canonicalJson(value).unwrapOr(JSON.stringify(value));
  comparableOfFrozen.set(value as object, text);
  return text;
}

/** Canonical JSON of deeply frozen values, computed once each (see {@link comparable}). */
const comparableOfFrozen = new WeakMap<object, string>();

/** The first frozen field of `table` whose value differs between `stored` and `next`; `null` when none. */
export function changedFrozenField(
  table: FrozenTable,
  stored: Readonly<Record<string, unknown>>,
  next: Readonly<Record<string, unknown>>,
): string | null {
  return (
    FROZEN_FIELDS[table].find(
      // The very same value (a record written back as it was read) is unchanged without looking inside.
      (field) => stored[field] !== next[field] && comparable(stored[field]) !== comparable(next[field]),
    ) ?? null
  );
}

/** The error a store answers for a write that would change the frozen `field` of `entity` `id`. */
export function snapshotImmutable(entity: string, id: string, field: string): ValidationError {
  return rungateError("validation", "snapshot_immutable", {
    issues: [
      {
        path: [field],
        code: "snapshot_immutable",
        message: `${field} of ${entity} ${id} is frozen when it is stored; a write may not change it`,
      },
    ],
  });
}
