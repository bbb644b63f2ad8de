import { describe, expect, it } from "vitest";
import { BoundedLog } from "../../../src/internal/bounded/bounded-log.js";

describe("BoundedLog", () => {
  it("answers the newest `limit` entries, oldest first, and counts what it dropped", () => {
    const log = new BoundedLog<number>(3);
    for (let i = 1; i <= 10; i++) log.push(i);
    expect(log.entries()).toEqual([8, 9, 10]);
    expect(log.dropped).toBe(7);
    const few = new BoundedLog<number>(3);
    few.push(1);
    expect(few.entries()).toEqual([1]);
    expect(few.dropped).toBe(0);
  });

  it("stays at its limit however many entries pass through", () => {
    const log = new BoundedLog<number>(100);
    for (let i = 0; i < 10_000; i++) log.push(i);
    expect(log.entries()).toHaveLength(100);
    expect(log.entries()[99]).toBe(9_999);
    expect(log.dropped).toBe(9_900);
    expect(log.total).toBe(10_000);
  });

  it("keeps everything with an Infinity limit and refuses a limit below 1", () => {
    const log = new BoundedLog<number>(Number.POSITIVE_INFINITY);
    for (let i = 0; i < 1_000; i++) log.push(i);
    expect(log.entries()).toHaveLength(1_000);
    expect(() => new BoundedLog(0)).toThrow(RangeError);
  });
});
