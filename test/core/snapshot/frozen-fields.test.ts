import { describe, expect, it } from "vitest";
import {
  changedFrozenField,
  FROZEN_FIELDS,
  snapshotImmutable,
} from "../../../src/core/snapshot/frozen-fields.js";

describe("changedFrozenField", () => {
  const stored = {
    run_id: "r",
    card_id: "c",
    assignment_input_snapshot: { title: "t", allowed_paths: ["src/**"] },
    assignment_input_hash: "sha256:aa",
    created_at: "2026-01-01T00:00:00.000Z",
    phase: "queued",
  };

  it("ignores fields that may change, and the key order of a snapshot", () => {
    const next = {
      ...stored,
      phase: "ready",
      assignment_input_snapshot: { allowed_paths: ["src/**"], title: "t" },
    };
    expect(changedFrozenField("assignments", stored, next)).toBeNull();
  });

  it("names the first frozen field that differs, deep inside a snapshot too", () => {
    const deep = { ...stored, assignment_input_snapshot: { title: "t", allowed_paths: ["**"] } };
    expect(changedFrozenField("assignments", stored, deep)).toBe("assignment_input_snapshot");
    expect(changedFrozenField("assignments", stored, { ...stored, card_id: "x", run_id: "y" })).toBe(
      "run_id",
    );
  });

  it("counts an absent field as null, so records written before a field existed can still move on", () => {
    const { assignment_input_hash: _, ...legacy } = stored;
    expect(changedFrozenField("assignments", legacy, { ...legacy, assignment_input_hash: null })).toBeNull();
    expect(changedFrozenField("assignments", legacy, stored)).toBe("assignment_input_hash");
  });

  it("freezes a run's snapshots and hashes", () => {
    expect(FROZEN_FIELDS.runs).toEqual(
      expect.arrayContaining(["system_policy_snapshot", "run_input_snapshot", "snapshot_hashes"]),
    );
    expect(snapshotImmutable("run", "r1", "run_input_snapshot")).toMatchObject({
      kind: "validation",
      code: "snapshot_immutable",
      detail: { issues: [{ path: ["run_input_snapshot"], code: "snapshot_immutable" }] },
    });
  });
});
