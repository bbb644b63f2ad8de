import type { Result } from "neverthrow";

/** The whole of a value, for a failure message: JSON, two-space indented; what JSON cannot show, as text. */
export function describeForTest(value: unknown): string {
  const seen = new WeakSet<object>();
  try {
    return (
      JSON.stringify(
        value,
        (_key, v: unknown) => {
          if (typeof v === "bigint") return `${v}n`;
          if (v instanceof Error) return { ...v, name: v.name, message: v.message };
          if (typeof v === "object" && v !== null) {
            if (seen.has(v)) return "[circular]";
            seen.add(v);
          }
          return v;
        },
        2,
      ) ?? String(value)
    );
  } catch {
    return String(value);
  }
}

/** What {@link expectOk} and {@link expectErr} throw: the message carries the whole unexpected value. */
export class ResultExpectationError extends Error {
  override readonly name = "ResultExpectationError";
}

/**
 * The value of an `Ok`, or a thrown {@link ResultExpectationError} that prints the whole error of an `Err`
 * (its kind, code, message and detail), where neverthrow's test-only unwrap says only that it was an `Err`.
 * For a `ResultAsync`, await it first: `expectOk(await orchestrator.getRun(id))`.
 *
 * @example
 * const state = expectOk(await orchestrator.getRun(run_id));
 */
export function expectOk<T, E>(result: Result<T, E>): T {
  if (result.isOk()) return result.value;
  throw new ResultExpectationError(`expected Ok, got Err:\n${describeForTest(result.error)}`);
}

/** What an error is expected to be: its `kind`, and its `code` when given. */
export interface ExpectedError {
  readonly kind?: string;
  readonly code?: string;
}

/**
 * The error of an `Err` (checked against `expected` when given), or a thrown {@link ResultExpectationError}
 * that prints the whole `Ok` value, or the whole error when its kind or code differ.
 *
 * @example
 * expectErr(await orchestrator.redispatch({ assignment_id }), { kind: "conflict", code: "budget_exhausted" });
 */
export function expectErr<T, E>(result: Result<T, E>, expected: ExpectedError = {}): E {
  if (result.isOk()) {
    throw new ResultExpectationError(`expected Err, got Ok:\n${describeForTest(result.value)}`);
  }
  const error = result.error as { readonly kind?: unknown; readonly code?: unknown } | null;
  const kindWrong = expected.kind !== undefined && error?.kind !== expected.kind;
  const codeWrong = expected.code !== undefined && error?.code !== expected.code;
  if (kindWrong || codeWrong) {
    const want = [expected.kind, expected.code].filter((p) => p !== undefined).join(" / ");
    throw new ResultExpectationError(`expected Err ${want}, got Err:\n${describeForTest(result.error)}`);
  }
  return result.error;
}
