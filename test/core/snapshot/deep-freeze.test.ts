import { describe, expect, it } from "vitest";
import { deepFreeze, isDeeplyFrozen } from "../../../src/core/snapshot/deep-freeze.js";
import { changedFrozenField } from "../../../src/core/snapshot/frozen-fields.js";
import { hashSnapshotValue } from "../../../src/core/snapshot/snapshot.js";

describe("deepFreeze and isDeeplyFrozen", () => {
  it("counts an object as deeply frozen only when deepFreeze froze all of it", () => {
    const value = deepFreeze({ a: { b: [1, { c: "x" }] } });
    expect(isDeeplyFrozen(value)).toBe(true);
    expect(isDeeplyFrozen(value.a.b)).toBe(true);
    expect(isDeeplyFrozen(Object.freeze({ a: 1 }))).toBe(false);
    expect(isDeeplyFrozen("text")).toBe(false);
  });

  it("does not count an object holding a child frozen elsewhere, whose own children may still change", () => {
    const child = Object.freeze({ inner: { n: 1 } });
    const value = deepFreeze({ child });
    expect(Object.isFrozen(value)).toBe(true);
    expect(isDeeplyFrozen(value)).toBe(false);
  });

  it("does not count an object with an accessor, which may answer differently each time", () => {
    let n = 0;
    const value = deepFreeze({
      get n() {
        n += 1;
        return n;
      },
    });
    expect(isDeeplyFrozen(value)).toBe(false);
  });
});

describe("hashes and comparisons of values that cannot change", () => {
  it("hashes a deeply frozen value as its plain copy, again and again", () => {
    const plain = { policy: { rules: ["src/**"], limit: 3 } };
    const frozen = deepFreeze(structuredClone(plain));
    const expected = hashSnapshotValue(plain)._unsafeUnwrap();
    expect(hashSnapshotValue(frozen)._unsafeUnwrap()).toBe(expected);
    expect(hashSnapshotValue(frozen)._unsafeUnwrap()).toBe(expected);
  });

  it("never answers a remembered hash for a value that can still change (frozen on top only)", () => {
    const inner = { n: 1 };
    const shallow = Object.freeze({ inner });
    const before = hashSnapshotValue(shallow)._unsafeUnwrap();
    inner.n = 2;
    expect(hashSnapshotValue(shallow)._unsafeUnwrap()).not.toBe(before);
  });

  it("finds a changed frozen field by content, and an identical one unchanged without looking inside", () => {
    const snapshot = deepFreeze({ a: 1 });
    const stored = { run_id: "r1", card_id: "c1", assignment_input_snapshot: snapshot };
    expect(changedFrozenField("assignments", stored, { ...stored })).toBeNull();
    expect(
      changedFrozenField("assignments", stored, {
        ...stored,
        assignment_input_snapshot: deepFreeze({ a: 2 }),
      }),
    ).toBe("assignment_input_snapshot");
    expect(
      changedFrozenField("assignments", stored, { ...stored, assignment_input_snapshot: { a: 1 } }),
    ).toBeNull();
  });
});
