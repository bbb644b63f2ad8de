import type { Result } from "neverthrow";
import { describeForTest, type ExpectedError } from "../result-expectations.js";

/** What a vitest matcher answers. */
interface MatcherResult {
  readonly pass: boolean;
  readonly message: () => string;
}

/** Whether `value` is a neverthrow `Result` (both `Ok` and `Err` have `isOk`). */
function isResult(value: unknown): value is Result<unknown, unknown> {
  return typeof (value as { isOk?: unknown } | null)?.isOk === "function";
}

const notAResult = (received: unknown): MatcherResult => ({
  pass: false,
  message: () => `expected a Result, got:\n${describeForTest(received)}`,
});

/**
 * vitest matchers for neverthrow Results that print the whole error (or value) when they fail. Install once
 * in a setup file or at the top of a test file: `expect.extend(resultMatchers)`. Then
 * `expect(result).toBeOk()` and `expect(result).toBeErrWith("conflict", "budget_exhausted")` (await a
 * `ResultAsync` first). The types come with this module (`declare module "vitest"` below).
 */
export const resultMatchers = {
  toBeOk(received: unknown): MatcherResult {
    if (!isResult(received)) return notAResult(received);
    return received.isOk()
      ? { pass: true, message: () => `expected Err, got Ok:\n${describeForTest(received.value)}` }
      : { pass: false, message: () => `expected Ok, got Err:\n${describeForTest(received.error)}` };
  },
  toBeErrWith(received: unknown, kind: string, code?: string): MatcherResult {
    if (!isResult(received)) return notAResult(received);
    const want = code === undefined ? kind : `${kind} / ${code}`;
    if (received.isOk()) {
      return {
        pass: false,
        message: () => `expected Err ${want}, got Ok:\n${describeForTest(received.value)}`,
      };
    }
    const error = received.error as ExpectedError | null;
    const pass = error?.kind === kind && (code === undefined || error?.code === code);
    return {
      pass,
      message: () =>
        pass
          ? `expected not Err ${want}, got it:\n${describeForTest(received.error)}`
          : `expected Err ${want}, got Err:\n${describeForTest(received.error)}`,
    };
  },
};

declare module "vitest" {
  // vitest's documented way to type custom matchers: merge into its `Matchers` interface, whose type
  // parameter must be declared exactly as vitest does.
  // biome-ignore lint/suspicious/noExplicitAny: vitest declares it `T = any`; a merge must repeat it.
  interface Matchers<T = any> {
    /** The Result is `Ok`; on failure the whole error is printed. */
    toBeOk(): void;
    /** The Result is an `Err` of this `kind` (and `code`); on failure the whole value or error is printed. */
    toBeErrWith(kind: string, code?: string): void;
  }
}
