import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  canonicalJson,
  captureSnapshot,
  hashSnapshotValue,
  type Snapshot,
  sha256Hex,
  verifySnapshot,
} from "../../../src/core/snapshot/index.js";
import {
  applyChange,
  changeSites,
  containers,
  freshKey,
  reinsertKeys,
  seededRandom,
  withoutNegativeZero,
} from "./helpers.js";

/** JSON objects at the top, any JSON below: the shape of a policy or a run input. */
const jsonObject = fc.dictionary(fc.string(), fc.jsonValue());

/**
 * Every way one could try to change a frozen object or array in place. Written values are fresh objects,
 * never equal to what is there: redefining a frozen property with its own value is a legal no-op.
 */
function mutationAttempts(node: object): [string, () => unknown][] {
  const key = freshKey(node);
  if (Array.isArray(node)) {
    const list = node as unknown[];
    const attempts: [string, () => unknown][] = [
      ["append by index", () => (list[list.length] = "x")],
      ["push", () => list.push("x")],
      ["pop", () => list.pop()],
      ["unshift", () => list.unshift("x")],
      ["splice", () => list.splice(0, 0, "x")],
      ["truncate length", () => (list.length = 0)],
      ["defineProperty", () => Object.defineProperty(list, key, { value: 1 })],
      ["setPrototypeOf", () => Object.setPrototypeOf(list, Object.prototype)],
    ];
    if (list.length > 0) {
      attempts.push(["overwrite an item", () => (list[0] = {})], ["splice out", () => list.splice(0, 1)]);
    }
    return attempts;
  }
  const record = node as Record<string, unknown>;
  const [existing] = Object.keys(record);
  const proto: unknown = Object.getPrototypeOf(record);
  const attempts: [string, () => unknown][] = [
    ["add a key", () => (record[key] = "x")],
    ["defineProperty", () => Object.defineProperty(record, key, { value: 1, enumerable: true })],
    ["setPrototypeOf", () => Object.setPrototypeOf(record, proto === null ? Object.prototype : null)],
  ];
  if (existing !== undefined) {
    attempts.push(
      ["overwrite a key", () => (record[existing] = {})],
      ["delete a key", () => delete record[existing]],
      ["redefine a key", () => Object.defineProperty(record, existing, { value: {} })],
    );
  }
  return attempts;
}

describe("snapshot", () => {
  describe("capture", () => {
    it("hashes the canonical JSON of the value, prefixed sha256:", () => {
      const snapshot = captureSnapshot({ b: [1, 2], a: "x" })._unsafeUnwrap();
      expect(snapshot.hash).toBe(`sha256:${sha256Hex('{"a":"x","b":[1,2]}')}`);
      expect(snapshot.hash).toBe(hashSnapshotValue({ a: "x", b: [1, 2] })._unsafeUnwrap());
    });

    it("holds a fresh deep-frozen copy, and the snapshot record itself is frozen", () => {
      const original = { cards: [{ id: "c1", paths: ["src/**"] }] };
      const snapshot = captureSnapshot(original)._unsafeUnwrap();
      expect(snapshot.value).toEqual(original);
      expect(snapshot.value).not.toBe(original);
      expect(snapshot.value.cards[0]).not.toBe(original.cards[0]);
      expect(Object.isFrozen(snapshot)).toBe(true);
      for (const { node } of containers(snapshot.value)) expect(Object.isFrozen(node)).toBe(true);
      expect(() => {
        (snapshot as { hash: string }).hash = "sha256:forged";
      }).toThrow(TypeError);
    });

    it("refuses a value that is not plain JSON data, naming where", () => {
      const result = captureSnapshot({ policy: { created: new Date(0) } });
      const error = result._unsafeUnwrapErr();
      expect(error.code).toBe("not_canonical_json");
      expect(error.detail.issues.map((issue) => issue.path)).toEqual([["policy", "created"]]);
    });

    it("has the same hash whatever order the keys were inserted in", () => {
      fc.assert(
        fc.property(jsonObject, fc.integer(), (value, seed) => {
          const shuffled = reinsertKeys(value, seededRandom(seed));
          expect(captureSnapshot(shuffled)._unsafeUnwrap().hash).toBe(
            captureSnapshot(value)._unsafeUnwrap().hash,
          );
        }),
        { numRuns: 1000 },
      );
    });

    it("keeps value and hash in agreement: the value re-hashes to the recorded hash", () => {
      fc.assert(
        fc.property(jsonObject, (value) => {
          const snapshot = captureSnapshot(value)._unsafeUnwrap();
          expect(snapshot.value).toStrictEqual(withoutNegativeZero(value));
          expect(verifySnapshot(snapshot.value, snapshot.hash)._unsafeUnwrap()).toBe(true);
        }),
        { numRuns: 1000 },
      );
    });
  });

  describe("immutability", () => {
    // 1,000 property runs take ~2.7 s on a quiet machine: the default 5 s failed under load.
    it("refuses every attempt to mutate a captured snapshot, at any depth, and stays verified", {
      timeout: 30_000,
    }, () => {
      fc.assert(
        fc.property(jsonObject, (value) => {
          const snapshot: Snapshot<unknown> = captureSnapshot(value)._unsafeUnwrap();
          const before = canonicalJson(snapshot.value)._unsafeUnwrap();
          for (const { path, node } of containers(snapshot.value)) {
            for (const [name, attempt] of mutationAttempts(node)) {
              expect(attempt, `${name} at ${JSON.stringify(path)}`).toThrow(TypeError);
            }
          }
          expect(canonicalJson(snapshot.value)._unsafeUnwrap()).toBe(before);
          expect(snapshot.value).toStrictEqual(withoutNegativeZero(value));
          expect(verifySnapshot(snapshot.value, snapshot.hash).isOk()).toBe(true);
        }),
        { numRuns: 1000 },
      );
    });

    it("is not reached by later changes to the caller's original object", () => {
      fc.assert(
        fc.property(jsonObject, fc.nat(), (value, pick) => {
          const untouched = structuredClone(value);
          const snapshot = captureSnapshot(value)._unsafeUnwrap();
          const sites = changeSites(value);
          applyChange(value, sites[pick % sites.length] as (typeof sites)[number]);
          expect(snapshot.value).toStrictEqual(withoutNegativeZero(untouched));
          expect(verifySnapshot(snapshot.value, snapshot.hash).isOk()).toBe(true);
          expect(hashSnapshotValue(value)._unsafeUnwrap()).not.toBe(snapshot.hash);
        }),
        { numRuns: 1000 },
      );
    });
  });

  describe("verification", () => {
    it("accepts an equal value built independently, in any key order", () => {
      const snapshot = captureSnapshot({ a: 1, b: { c: [true, null] } })._unsafeUnwrap();
      expect(verifySnapshot(JSON.parse('{"b":{"c":[true,null]},"a":1}'), snapshot.hash)._unsafeUnwrap()).toBe(
        true,
      );
    });

    it("detects any single change to a deep copy and names both hashes", () => {
      fc.assert(
        fc.property(jsonObject, fc.nat(), (value, pick) => {
          const snapshot = captureSnapshot(value)._unsafeUnwrap();
          const copy = structuredClone(snapshot.value) as unknown;
          const sites = changeSites(copy);
          const changed = applyChange(copy, sites[pick % sites.length] as (typeof sites)[number]);
          const actual = hashSnapshotValue(changed)._unsafeUnwrap();
          const error = verifySnapshot(changed, snapshot.hash)._unsafeUnwrapErr();
          expect(error.kind).toBe("validation");
          expect(error.code).toBe("snapshot_hash_mismatch");
          expect(error.detail).toEqual({
            issues: [
              {
                path: [],
                code: "snapshot_hash_mismatch",
                message: `snapshot content hash ${actual} does not match the recorded ${snapshot.hash}`,
              },
            ],
          });
        }),
        { numRuns: 1000 },
      );
    });

    it("reports a value that cannot be hashed instead of throwing", () => {
      const error = verifySnapshot({ when: new Date(0) }, "sha256:00")._unsafeUnwrapErr();
      expect(error.code).toBe("not_canonical_json");
      expect(() => verifySnapshot(undefined, "sha256:00")).not.toThrow();
    });

    it("never throws, whatever it is handed", () => {
      fc.assert(
        fc.property(
          fc.anything({ withBigInt: true, withDate: true, withMap: true }),
          fc.string(),
          (value, hash) => {
            expect(verifySnapshot(value, hash).isErr()).toBe(true);
          },
        ),
      );
    });
  });
});
