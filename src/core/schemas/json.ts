import { z } from "zod";
import { deepFreeze, isDeeplyFrozen } from "../snapshot/deep-freeze.js";
import { putOwn } from "../snapshot/put-own.js";

/** JSON data: what `JSON.parse` can answer (finite numbers, plain objects and arrays all the way down). */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** How deep JSON data may nest: deeper input is refused with an issue (a stack overflow is not an answer). */
export const MAX_JSON_DEPTH = 512;

/** Deep-frozen values already found to be JSON data: they can never change, so each is walked once. */
const knownJson = new WeakSet<object>();

/** The first place `value` stops being JSON data (path relative to it, innermost last), or null. */
function jsonProblem(value: unknown, depth: number): { path: (string | number)[]; message: string } | null {
  if (value === null || typeof value === "string" || typeof value === "boolean") return null;
  if (typeof value === "number") {
    return Number.isFinite(value)
      ? null
      : { path: [], message: `Expected a finite number, received ${value}` };
  }
  if (typeof value !== "object") return { path: [], message: `Expected JSON data, received ${typeof value}` };
  if (knownJson.has(value)) return null;
  if (depth >= MAX_JSON_DEPTH) return { path: [], message: `JSON data nests deeper than ${MAX_JSON_DEPTH}` };
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const problem = jsonProblem(value[i], depth + 1);
      if (problem !== null) return { path: [i, ...problem.path], message: problem.message };
    }
  } else {
    const prototype: unknown = Object.getPrototypeOf(value);
    if (prototype !== Object.prototype && prototype !== null) {
      return { path: [], message: "Expected a plain JSON object" };
    }
    for (const key of Object.keys(value)) {
      const problem = jsonProblem((value as Record<string, unknown>)[key], depth + 1);
      if (problem !== null) return { path: [key, ...problem.path], message: problem.message };
    }
  }
  if (isDeeplyFrozen(value)) knownJson.add(value);
  return null;
}

/** A copy of JSON data; deep-frozen parts are shared (nobody can change them). */
function copyJson(value: JsonValue): JsonValue {
  if (value === null || typeof value !== "object" || isDeeplyFrozen(value)) return value;
  if (Array.isArray(value)) return value.map(copyJson);
  const copy: Record<string, JsonValue> = {};
  // putOwn: an own "__proto__" key (JSON.parse makes one) stays a key instead of setting the copy's prototype.
  for (const key of Object.keys(value)) putOwn(copy, key, copyJson(value[key] as JsonValue));
  return copy;
}

/**
 * Checked by hand, not with `z.json()`: a recursive union tried member by member cost about six times as much
 * per record, and every event payload and snapshot crosses it (issue 17).
 */
const CheckedJsonObject = z.custom<{ [key: string]: JsonValue }>().superRefine((value, ctx) => {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    ctx.addIssue({ code: "custom", message: "Expected a JSON object" });
    return;
  }
  const problem = jsonProblem(value, 0);
  if (problem !== null) ctx.addIssue({ code: "custom", path: problem.path, message: problem.message });
});

/** A JSON object (string keys, JSON values); parsing answers a copy, as other object schemas do. */
export const JsonObject = CheckedJsonObject.transform(
  (value) => copyJson(value) as { [key: string]: JsonValue },
);
/** A JSON object. */
export type JsonObject = z.infer<typeof JsonObject>;

/**
 * A JSON object that comes out of parsing deep-frozen: what snapshot fields use, so a parsed record can't be
 * edited. A deep-frozen input is answered as it is (it cannot change), anything else as a frozen copy.
 */
export const FrozenJsonObject = CheckedJsonObject.transform((value) =>
  isDeeplyFrozen(value) ? value : deepFreeze(copyJson(value) as { [key: string]: JsonValue }),
);

/** Content hashes of a run's two snapshots, verified on every read. */
export const SnapshotHashes = z.object({
  system_policy: z.string().min(1),
  run_input: z.string().min(1),
});
/** Parsed {@link SnapshotHashes}. */
export type SnapshotHashes = z.infer<typeof SnapshotHashes>;
