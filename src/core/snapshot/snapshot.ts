import { err, ok, type Result } from "neverthrow";
import { type RungateError, rungateError, type ValidationError } from "../errors.js";
import { canonicalJson } from "./canonical-json.js";
import { type DeepReadonly, deepFreeze, isDeeplyFrozen } from "./deep-freeze.js";
import { sha256Hex } from "./sha256.js";

/**
 * A value captured at one moment: a deep-frozen copy plus the content hash of its canonical JSON
 * (`"sha256:"` + 64 hex digits). The two always agree: the value is rebuilt from the very text the hash
 * was taken of. The snapshot object itself is frozen too.
 */
export type Snapshot<T> = { readonly value: DeepReadonly<T>; readonly hash: string };

/** The hashes of deeply frozen values, computed once each (see {@link hashSnapshotValue}). */
const hashesOfFrozen = new WeakMap<object, string>();

/**
 * Captures `value` as a {@link Snapshot}: canonicalises it, rebuilds a fresh deep copy with
 * `JSON.parse(canonical)` and deep-freezes it, so later mutation of the caller's object never reaches the
 * snapshot (`-0` comes back as `0`). Fails with the `validation` error of {@link canonicalJson}
 * (`not_canonical_json`) when `value` is not plain JSON data. Never throws.
 */
export function captureSnapshot<T>(value: T): Result<Snapshot<T>, ValidationError> {
  return canonicalJson(value).map((canonical) => {
    const frozen = deepFreeze(JSON.parse(canonical) as DeepReadonly<T>);
    const hash = hashOfCanonical(canonical);
    // Its hash is known already: verifying the run's snapshots on the next read need not take it again.
    if (isDeeplyFrozen(frozen)) hashesOfFrozen.set(frozen as object, hash);
    return Object.freeze({ value: frozen, hash });
  });
}

/**
 * The content hash of `value`: `"sha256:"` + the hex SHA-256 of its canonical JSON. Fails with the
 * `validation` error of {@link canonicalJson} (`not_canonical_json`) when `value` is not plain JSON data.
 * Never throws.
 */
export function hashSnapshotValue(value: unknown): Result<string, ValidationError> {
  // A deeply frozen value cannot change, so its hash is taken once: a run's snapshots are verified on every
  // read, and hashing them again each time was a tenth of a card lifecycle on the in-memory ports.
  if (!isDeeplyFrozen(value)) return canonicalJson(value).map(hashOfCanonical);
  const known = hashesOfFrozen.get(value as object);
  if (known !== undefined) return ok(known);
  return canonicalJson(value)
    .map(hashOfCanonical)
    .map((hash) => {
      hashesOfFrozen.set(value as object, hash);
      return hash;
    });
}

/**
 * Checks a stored snapshot against its recorded hash: ok when the content hash of `value` equals
 * `expectedHash`. Fails with a `validation` error, code `snapshot_hash_mismatch` and one issue at the root,
 * when they differ (a mismatch is reported, never repaired), or with `not_canonical_json` when `value` is
 * not plain JSON data. Never throws.
 */
export function verifySnapshot(value: unknown, expectedHash: string): Result<true, RungateError> {
  return hashSnapshotValue(value).andThen((actual) =>
    actual === expectedHash ? ok(true as const) : err(mismatch(actual, expectedHash)),
  );
}

function hashOfCanonical(canonical: string): string {
  return `sha256:${sha256Hex(canonical)}`;
}

function mismatch(actual: string, expected: unknown): ValidationError {
  const recorded = typeof expected === "string" ? expected : "(no hash: not a string)";
  return rungateError("validation", "snapshot_hash_mismatch", {
    issues: [
      {
        path: [],
        code: "snapshot_hash_mismatch",
        message: `snapshot content hash ${actual} does not match the recorded ${recorded}`,
      },
    ],
  });
}
