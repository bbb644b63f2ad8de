import { describe, expect, it } from "vitest";
import { createBoundedMap } from "../../../src/adapters/postgres/bounded-map.js";

describe("bounded map", () => {
  it("forgets the least recently used entry past its limit, a get counting as a use", () => {
    const map = createBoundedMap<string, number>(2);
    map.set("a", 1);
    map.set("b", 2);
    expect(map.get("a")).toBe(1);
    map.set("c", 3);
    expect(map.get("b")).toBeUndefined();
    expect([map.get("a"), map.get("c"), map.size]).toEqual([1, 3, 2]);
  });

  it("sets a key again without growing", () => {
    const map = createBoundedMap<string, number>(2);
    map.set("a", 1);
    map.set("a", 2);
    map.set("b", 3);
    expect([map.get("a"), map.get("b"), map.size]).toEqual([2, 3, 2]);
  });

  it("refuses a limit that is not a positive integer (a programmer error)", () => {
    expect(() => createBoundedMap(0)).toThrow(RangeError);
    expect(() => createBoundedMap(1.5)).toThrow(RangeError);
  });
});
