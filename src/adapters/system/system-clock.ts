import type { Clock } from "../../ports/clock.js";

/** The machine's clock: `now()` is `new Date().toISOString()`. */
export function createSystemClock(): Clock {
  return { now: () => new Date().toISOString() };
}
