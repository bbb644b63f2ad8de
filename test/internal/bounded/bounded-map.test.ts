import { describe, expect, it } from "vitest";
import { createBoundedMap } from "../../../src/internal/bounded/bounded-map.js";

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

  it("deletes a key and lists the keys it holds, least recently used first", () => {
    const map = createBoundedMap<string, number>(3);
    map.set("a", 1);
    map.set("b", 2);
    map.set("c", 3);
    map.get("a");
    expect(map.keys()).toEqual(["b", "c", "a"]);
    for (const key of map.keys()) if (key !== "c") map.delete(key);
    expect([map.keys(), map.size, map.delete("a")]).toEqual([["c"], 1, false]);
  });

  it("keeps every entry with a limit of Infinity", () => {
    const map = createBoundedMap<number, number>(Number.POSITIVE_INFINITY);
    for (let i = 0; i < 5_000; i++) map.set(i, i);
    expect([map.size, map.get(0)]).toEqual([5_000, 0]);
  });

  it("refuses a limit below 1 (a programmer error) and counts a fraction down, as the fakes' logs do", () => {
    expect(() => createBoundedMap(0)).toThrow(RangeError);
    expect(() => createBoundedMap(0.5)).toThrow(RangeError);
    expect(() => createBoundedMap(Number.NaN)).toThrow(RangeError);
    const map = createBoundedMap<number, number>(2.5);
    for (let i = 0; i < 5; i++) map.set(i, i);
    expect(map.keys()).toEqual([3, 4]);
  });
});
