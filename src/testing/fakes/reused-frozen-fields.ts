/**
 * A record written back with the very frozen values the store holds (what a read answered, a snapshot object
 * and all) needs none of them parsed, hashed or compared again: they were when they were stored, and the store
 * hands out deep-frozen values nobody can change. The in-memory store parses such a record with small stand-ins
 * in place of its snapshots and puts the stored values back; anything else is parsed and checked in full.
 */
import { FROZEN_FIELDS, type FrozenTable } from "../../core/snapshot/frozen-fields.js";

type Raw = Record<string, unknown>;

/** The large frozen fields of each table, each with a stand-in its schema accepts. */
const STAND_INS: { readonly [T in FrozenTable]: Raw } = {
  runs: { system_policy_snapshot: {}, run_input_snapshot: {} },
  assignments: { assignment_input_snapshot: {} },
};

/** Whether `input` carries every frozen field of `table` as the very value `stored` holds. */
export function reusesStoredFrozenFields(table: string, input: unknown, stored: Raw | undefined): boolean {
  if (stored === undefined || typeof input !== "object" || input === null) return false;
  if (table !== "runs" && table !== "assignments") return false;
  const record = input as Raw;
  return FROZEN_FIELDS[table].every((field) => record[field] === stored[field]);
}

/** `input` with its snapshots replaced by stand-ins, to parse the rest. */
export function withStandIns(table: FrozenTable, input: Raw): Raw {
  return { ...input, ...STAND_INS[table] };
}

/** `parsed` with the stored values of every frozen field put back. */
export function withStoredFrozenFields(table: FrozenTable, parsed: Raw, stored: Raw): Raw {
  const kept: Raw = {};
  for (const field of FROZEN_FIELDS[table]) kept[field] = stored[field];
  return { ...parsed, ...kept };
}
