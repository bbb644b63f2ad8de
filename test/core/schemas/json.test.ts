import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { FrozenJsonObject, JsonObject, MAX_JSON_DEPTH } from "../../../src/core/schemas/json.js";
import { deepFreeze, isDeeplyFrozen } from "../../../src/core/snapshot/deep-freeze.js";

/** What the schema was before it was checked by hand: the two must judge every value alike. */
const ZodJsonObject = z.record(z.string(), z.json());

/** Whether an own "__proto__" key is anywhere in `value`. */
function hasProtoKey(value: unknown, seen = new Set<unknown>()): boolean {
  if (typeof value !== "object" || value === null || seen.has(value)) return false;
  seen.add(value);
  if (Object.hasOwn(value, "__proto__")) return true;
  return Object.values(value).some((inner) => hasProtoKey(inner, seen));
}

describe("JsonObject", () => {
  it("accepts exactly what zod's own JSON object schema accepts, and answers an equal value", () => {
    const values = fc.oneof(
      fc.dictionary(fc.string(), fc.jsonValue()),
      fc.dictionary(
        fc.string(),
        fc.anything({ withNullPrototype: true, withBoxedValues: true, withMap: true }),
      ),
      fc.anything(),
    );
    fc.assert(
      fc.property(values, (value) => {
        // The one deliberate difference: an own "__proto__" key stays a key here (see the next test).
        fc.pre(!hasProtoKey(value));
        const ours = JsonObject.safeParse(value);
        const theirs = ZodJsonObject.safeParse(value);
        expect(ours.success).toBe(theirs.success);
        if (ours.success && theirs.success) expect(ours.data).toEqual(theirs.data);
      }),
      { numRuns: 2_000 },
    );
  });

  it("names where a value stops being JSON", () => {
    const bad = { a: { b: [1, Number.NaN] }, c: 1 };
    const parsed = JsonObject.safeParse(bad);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]).toMatchObject({ path: ["a", "b", 1] });
    expect(JsonObject.safeParse({ f: () => 1 }).error?.issues[0]).toMatchObject({ path: ["f"] });
    expect(JsonObject.safeParse({ d: new Date(0) }).error?.issues[0]).toMatchObject({ path: ["d"] });
    expect(JsonObject.safeParse([1]).success).toBe(false);
  });

  it("refuses data nested deeper than its limit with an issue, not a stack overflow", () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    const parsed = JsonObject.safeParse({ deep });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.message).toContain(String(MAX_JSON_DEPTH));
  });

  it("answers a copy: changing the input afterwards changes nothing parsed, and __proto__ stays a key", () => {
    const input = JSON.parse('{"list":[1,2],"__proto__":{"polluted":true}}') as Record<string, unknown>;
    const parsed = JsonObject.parse(input);
    (input.list as number[]).push(3);
    expect(parsed.list).toEqual([1, 2]);
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
    expect(Object.keys(parsed)).toContain("__proto__");
    expect((parsed as { polluted?: unknown }).polluted).toBeUndefined();
  });
});

describe("FrozenJsonObject", () => {
  it("answers a deep-frozen input as it is, anything else as a deep-frozen copy", () => {
    const frozen = deepFreeze({ a: [1, { b: "c" }] });
    expect(FrozenJsonObject.parse(frozen)).toBe(frozen);
    const open = { a: [1, { b: "c" }] };
    const parsed = FrozenJsonObject.parse(open);
    expect(parsed).not.toBe(open);
    expect(parsed).toEqual(open);
    expect(isDeeplyFrozen(parsed)).toBe(true);
    expect(Object.isFrozen(open)).toBe(false);
  });

  it("still refuses a deep-frozen value that is not JSON", () => {
    expect(FrozenJsonObject.safeParse(deepFreeze({ n: Number.POSITIVE_INFINITY })).success).toBe(false);
  });
});
