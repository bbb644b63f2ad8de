import { describe, expect, it } from "vitest";
import type { Clock } from "../../ports/clock.js";

/** Options of {@link describeClockContract}. */
export interface ClockContractOptions {
  /** The clock's name, shown in the suite title. */
  readonly name: string;
  /** Builds a fresh clock; called once per case. */
  readonly make: () => Clock;
}

const ISO_UTC_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * The behaviour every {@link Clock} must show, as a vitest suite titled `Clock contract: <name>`: `now()` is
 * an ISO-8601 instant in UTC with milliseconds (`toISOString()` form), and never goes back.
 */
export function describeClockContract(options: ClockContractOptions): void {
  describe(`Clock contract: ${options.name}`, () => {
    it("tells the time as an ISO-8601 UTC instant with milliseconds", () => {
      const now = options.make().now();
      expect(now).toMatch(ISO_UTC_MS);
      expect(new Date(now).toISOString()).toBe(now);
    });

    it("never goes back", () => {
      const clock = options.make();
      const readings = Array.from({ length: 100 }, () => clock.now());
      for (let i = 1; i < readings.length; i += 1) {
        expect(Date.parse(readings[i] ?? "")).toBeGreaterThanOrEqual(Date.parse(readings[i - 1] ?? ""));
      }
    });
  });
}
