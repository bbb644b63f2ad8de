import { err, errAsync, ok } from "neverthrow";
import { describe, expect, it } from "vitest";
import { rungateError } from "../../src/core/errors.js";
import { resultMatchers } from "../../src/testing/contracts/index.js";
import { expectErr, expectOk, ResultExpectationError } from "../../src/testing/index.js";

expect.extend(resultMatchers);

const budget = rungateError("conflict", "budget_exhausted", {
  entity: "card assignment",
  id: "a-1",
  way_on: "raise max_cost_usd_per_card",
});

describe("expectOk / expectErr", () => {
  it("answers the value of an Ok, and throws with the whole error of an Err", () => {
    expect(expectOk(ok(42))).toBe(42);
    const thrown = (() => {
      try {
        expectOk(err(budget));
      } catch (e) {
        return e;
      }
    })();
    expect(thrown).toBeInstanceOf(ResultExpectationError);
    const message = (thrown as Error).message;
    // Kind, code, message and detail are all there: what `_unsafeUnwrap` leaves out.
    for (const part of ["conflict", "budget_exhausted", "raise max_cost_usd_per_card", budget.message]) {
      expect(message).toContain(part);
    }
  });

  it("answers the error of an Err of the expected kind and code, and throws otherwise", async () => {
    expect(expectErr(await errAsync(budget), { kind: "conflict", code: "budget_exhausted" })).toBe(budget);
    expect(() => expectErr(err(budget), { code: "attempts_exhausted" })).toThrow(/budget_exhausted/);
    expect(() => expectErr(ok({ phase: "ready" }))).toThrow(/expected Err, got Ok:[\s\S]*"phase": "ready"/);
  });

  it("prints what JSON cannot hold instead of failing on it", () => {
    const circular: Record<string, unknown> = { kind: "x" };
    circular.self = circular;
    expect(() => expectOk(err({ circular, big: 10n }))).toThrow(/\[circular\][\s\S]*10n/);
  });
});

describe("resultMatchers", () => {
  it("pass and fail as their names say, printing the whole error on failure", () => {
    expect(ok(1)).toBeOk();
    expect(err(budget)).toBeErrWith("conflict", "budget_exhausted");
    expect(err(budget)).toBeErrWith("conflict");
    expect(err(budget)).not.toBeOk();
    expect(() => expect(err(budget)).toBeOk()).toThrow(/raise max_cost_usd_per_card/);
    expect(() => expect(err(budget)).toBeErrWith("conflict", "attempts_exhausted")).toThrow(
      /budget_exhausted/,
    );
    expect(() => expect(ok({ id: "r-1" })).toBeErrWith("conflict")).toThrow(/"id": "r-1"/);
    expect(() => expect("not a result").toBeOk()).toThrow(/expected a Result/);
  });
});
