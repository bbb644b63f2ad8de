import { err, ok, type Result } from "neverthrow";
import { rungateError, type ValidationError } from "../../core/errors.js";
import type { Clock } from "../../ports/clock.js";

/** Options of {@link createSimulatedClock}. */
export interface SimulatedClockOptions {
  /**
   * How far every {@link Clock.now} call moves the clock after answering, in milliseconds (default `1000`),
   * so that successive timestamps are strictly increasing and ordering by time is meaningful in tests.
   * `0` freezes time between explicit {@link SimulatedClock.advance} / {@link SimulatedClock.set} calls.
   */
  readonly autoAdvanceMs?: number;
}

/**
 * A {@link Clock} that only moves when told to (and by a fixed step on each reading). Time never goes back:
 * like XState's `SimulatedClock`, {@link SimulatedClock.set} refuses an earlier instant.
 */
export interface SimulatedClock extends Clock {
  /**
   * Moves the clock forward by `ms` and returns the new current instant. A negative or non-finite `ms` is
   * refused with a `validation` error (`clock_backwards` / `invalid_duration`) and leaves the clock as it was.
   */
  advance(ms: number): Result<string, ValidationError>;
  /**
   * Jumps to `iso` (any ISO-8601 date-time) and returns it normalised (UTC, milliseconds). An instant earlier
   * than the current one is refused with a `validation` error, code `clock_backwards`; an unparsable one with
   * code `invalid_instant`.
   */
  set(iso: string): Result<string, ValidationError>;
  /** The instant the next {@link Clock.now} will return, without moving the clock. */
  peek(): string;
}

function invalid(code: string, message: string, path: string): ValidationError {
  return rungateError("validation", code, { issues: [{ path: [path], code, message }] });
}

function parseInstant(iso: string): number | null {
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? ms : null;
}

/**
 * A deterministic clock for tests. The first {@link Clock.now} returns `start`; each reading then moves the
 * clock by `autoAdvanceMs` (default 1000). Throws at construction when `start` is not a date-time or
 * `autoAdvanceMs` is negative: a broken test setup should fail loudly.
 *
 * @example
 * const clock = createSimulatedClock();
 * clock.now(); // "2026-01-01T00:00:00.000Z"
 * clock.now(); // "2026-01-01T00:00:01.000Z"
 * clock.advance(60_000);
 * clock.peek(); // "2026-01-01T00:01:02.000Z"
 */
export function createSimulatedClock(
  start = "2026-01-01T00:00:00.000Z",
  options: SimulatedClockOptions = {},
): SimulatedClock {
  const step = options.autoAdvanceMs ?? 1000;
  if (!Number.isFinite(step) || step < 0) {
    throw new Error(`createSimulatedClock: autoAdvanceMs must be a finite number >= 0, got ${step}`);
  }
  const initial = parseInstant(start);
  if (initial === null) {
    throw new Error(
      `createSimulatedClock: start must be an ISO-8601 date-time such as "2026-01-01T00:00:00.000Z", got ${JSON.stringify(start)}`,
    );
  }
  let current = initial;
  const iso = () => new Date(current).toISOString();

  return {
    now() {
      const answer = iso();
      current += step;
      return answer;
    },
    peek: iso,
    advance(ms) {
      if (!Number.isFinite(ms))
        return err(invalid("invalid_duration", `must be a finite number, got ${ms}`, "ms"));
      if (ms < 0) return err(invalid("clock_backwards", `time never goes back (advance by ${ms} ms)`, "ms"));
      current += ms;
      return ok(iso());
    },
    set(target) {
      const ms = parseInstant(target);
      if (ms === null) return err(invalid("invalid_instant", `not an ISO-8601 date-time: ${target}`, "iso"));
      if (ms < current) {
        return err(invalid("clock_backwards", `time never goes back (from ${iso()} to ${target})`, "iso"));
      }
      current = ms;
      return ok(iso());
    },
  };
}
