import { describe, expect, it } from "vitest";
import type { GateReason } from "../../../src/core/errors.js";
import { canRequestApproval } from "../../../src/core/gates/approval-gate.js";
import type { RunCheck, RunCheckStatus } from "../../../src/core/schemas/run-check.js";
import {
  ASSIGNMENT_ID,
  at,
  errorOf,
  makeAssignment,
  makeCheck,
  makePolicy,
  OTHER_ASSIGNMENT_ID,
  OTHER_RUN_ID,
  okValue,
  SECOND_ASSIGNMENT_ID,
  SHA_A,
  SHA_B,
} from "../state/fixtures.js";

/** An assignment whose current head is SHA_A; policy requires lint and unit. */
const assignment = makeAssignment({ phase: "checking", head_sha: SHA_A, base_sha: "0".repeat(40) });
const policy = makePolicy({ required_checks: ["lint", "unit"] });

const passedLint = makeCheck({ check_type: "lint", status: "passed" });
const passedUnit = makeCheck({ check_type: "unit", status: "passed" });

/** The reasons the gate gave, as `[code, subject]` pairs (fails when the gate was open). */
function reasonsOf(checks: readonly RunCheck[], subject = assignment, required = policy): [string, string][] {
  const error = errorOf(canRequestApproval(subject, checks, required));
  return error.detail.reasons.map((r: GateReason) => [r.code, r.subject]);
}

describe("approval gate", () => {
  it("opens when every required check passed on the current head", () => {
    expect(okValue(canRequestApproval(assignment, [passedLint, passedUnit], policy))).toBe(true);
  });

  it("opens with no checks at all when the policy requires none", () => {
    expect(canRequestApproval(assignment, [], makePolicy({ required_checks: [] })).isOk()).toBe(true);
  });

  it("ignores results of check types the policy does not require", () => {
    const failedE2e = makeCheck({ check_type: "e2e", status: "failed" });
    expect(canRequestApproval(assignment, [passedLint, failedE2e, passedUnit], policy).isOk()).toBe(true);
  });

  it("refuses while the assignment has no head, naming the assignment", () => {
    const headless = makeAssignment({ phase: "agent_running", head_sha: null });
    expect(reasonsOf([passedLint, passedUnit], headless)).toEqual([["no_head", ASSIGNMENT_ID]]);
  });

  it("refuses when a required check has no result", () => {
    expect(reasonsOf([passedLint])).toEqual([["check_missing", "unit"]]);
  });

  describe("only `passed` counts", () => {
    const notPassed: RunCheckStatus[] = ["failed", "skipped", "pending", "running", "error"];
    it.each(notPassed)("refuses while a required check is %s", (status) => {
      const unit = makeCheck({ check_type: "unit", status });
      const error = errorOf(canRequestApproval(assignment, [passedLint, unit], policy));
      expect(error.detail.reasons).toEqual([
        { code: "check_not_passed", subject: "unit", message: expect.stringContaining(status) },
      ]);
    });
  });

  it("refuses a pass recorded only on an older head as stale", () => {
    const oldUnit = makeCheck({ check_type: "unit", status: "passed", head_sha: SHA_B });
    const error = errorOf(canRequestApproval(assignment, [passedLint, oldUnit], policy));
    expect(error.detail.reasons.map((r) => [r.code, r.subject])).toEqual([["check_stale", "unit"]]);
    expect(error.detail.reasons[0]?.message).toContain(SHA_A.slice(0, 12));
  });

  it("refuses a check with no head recorded as stale, not as passed", () => {
    const headless = makeCheck({ check_type: "unit", status: "passed", head_sha: null });
    expect(reasonsOf([passedLint, headless])).toEqual([["check_stale", "unit"]]);
  });

  it("judges a failure on the current head even when an older head passed", () => {
    const oldUnit = makeCheck({ check_type: "unit", status: "passed", head_sha: SHA_B, executed_at: at(9) });
    const failedUnit = makeCheck({ check_type: "unit", status: "failed", executed_at: at(1) });
    expect(reasonsOf([passedLint, oldUnit, failedUnit])).toEqual([["check_not_passed", "unit"]]);
  });

  describe("the latest result on the head wins", () => {
    it("refuses when a pass is followed by a later failure", () => {
      const later = makeCheck({ check_type: "unit", status: "failed", executed_at: at(5) });
      expect(reasonsOf([passedLint, passedUnit, later])).toEqual([["check_not_passed", "unit"]]);
    });

    it("opens when a failure is followed by a later pass", () => {
      const earlier = makeCheck({ check_type: "unit", status: "failed", executed_at: at(0) });
      const later = makeCheck({ check_type: "unit", status: "passed", executed_at: at(5) });
      expect(canRequestApproval(assignment, [passedLint, earlier, later], policy).isOk()).toBe(true);
    });

    it("refuses while a re-run after a pass is still pending (executed_at null counts as newest)", () => {
      const rerun = makeCheck({ check_type: "unit", status: "pending", executed_at: null });
      expect(reasonsOf([passedLint, rerun, passedUnit])).toEqual([["check_not_passed", "unit"]]);
    });

    it("orders by executed_at, not by position in the list", () => {
      const newerPass = makeCheck({ check_type: "unit", status: "passed", executed_at: at(9) });
      const olderFail = makeCheck({ check_type: "unit", status: "failed", executed_at: at(2) });
      expect(canRequestApproval(assignment, [passedLint, newerPass, olderFail], policy).isOk()).toBe(true);
    });

    it("compares instants, not strings, across time-zone offsets", () => {
      // 01:00+02:00 is 23:00Z the day before: older than 00:30Z, although it sorts later as text.
      const offsetPass = makeCheck({
        check_type: "unit",
        status: "passed",
        executed_at: "2026-01-01T01:00:00+02:00",
      });
      const utcFail = makeCheck({
        check_type: "unit",
        status: "failed",
        executed_at: "2026-01-01T00:30:00Z",
      });
      expect(reasonsOf([passedLint, utcFail, offsetPass])).toEqual([["check_not_passed", "unit"]]);
    });

    it("lets the later-listed result win a tie on executed_at", () => {
      const fail = makeCheck({ check_type: "unit", status: "failed", executed_at: at(4) });
      const pass = makeCheck({ check_type: "unit", status: "passed", executed_at: at(4) });
      expect(canRequestApproval(assignment, [passedLint, fail, pass], policy).isOk()).toBe(true);
      expect(reasonsOf([passedLint, pass, fail])).toEqual([["check_not_passed", "unit"]]);
    });
  });

  describe("whose checks count", () => {
    it("does not count checks of another assignment", () => {
      const others = [passedLint, passedUnit].map((c) => ({ ...c, assignment_id: OTHER_ASSIGNMENT_ID }));
      expect(reasonsOf(others)).toEqual([
        ["check_missing", "lint"],
        ["check_missing", "unit"],
      ]);
    });

    it("does not let another assignment's pass outvote this assignment's failure", () => {
      const mineFailed = makeCheck({ check_type: "unit", status: "failed", executed_at: at(1) });
      const theirsPassed = makeCheck({
        check_type: "unit",
        status: "passed",
        executed_at: at(8),
        assignment_id: SECOND_ASSIGNMENT_ID,
      });
      expect(reasonsOf([passedLint, mineFailed, theirsPassed])).toEqual([["check_not_passed", "unit"]]);
    });

    it("counts legacy run-wide checks (assignment_id null) of the same run", () => {
      const legacy = [passedLint, passedUnit].map((c) => ({ ...c, assignment_id: null }));
      expect(canRequestApproval(assignment, legacy, policy).isOk()).toBe(true);
    });

    it("does not count legacy run-wide checks of another run", () => {
      const legacy = [passedLint, passedUnit].map((c) => ({
        ...c,
        assignment_id: null,
        run_id: OTHER_RUN_ID,
      }));
      expect(reasonsOf(legacy)).toEqual([
        ["check_missing", "lint"],
        ["check_missing", "unit"],
      ]);
    });
  });

  it("reports a duplicated required check once", () => {
    const doubled = makePolicy({ required_checks: ["unit", "unit", "lint", "unit"] });
    expect(reasonsOf([passedLint], assignment, doubled)).toEqual([["check_missing", "unit"]]);
  });

  it("lists every reason at once, in the policy's order", () => {
    const strict = makePolicy({ required_checks: ["security", "lint", "unit", "e2e"] });
    const failedLint = makeCheck({ check_type: "lint", status: "failed" });
    expect(reasonsOf([failedLint, passedUnit], assignment, strict)).toEqual([
      ["check_missing", "security"],
      ["check_not_passed", "lint"],
      ["check_missing", "e2e"],
    ]);
  });

  it("fails with a gate_closed error whose message names each check type", () => {
    const strict = makePolicy({ required_checks: ["security", "lint", "integration"] });
    const failedLint = makeCheck({ check_type: "lint", status: "failed" });
    const error = errorOf(canRequestApproval(assignment, [failedLint], strict));
    expect(error.kind).toBe("gate_closed");
    expect(error.code).toBe("approval_gate_closed");
    expect(error.detail.gate).toBe("request_approval");
    expect(error.detail.reasons).toHaveLength(3);
    for (const type of ["security", "lint", "integration"]) expect(error.message).toContain(`"${type}"`);
    expect(error.message).not.toContain('"unit"');
  });

  it("judges each assignment of a run on its own head", () => {
    const second = makeAssignment({ id: SECOND_ASSIGNMENT_ID, phase: "checking", head_sha: SHA_B });
    const secondChecks = [passedLint, passedUnit].map((c) => ({
      ...c,
      assignment_id: SECOND_ASSIGNMENT_ID,
      head_sha: SHA_B,
    }));
    const all = [passedLint, passedUnit, ...secondChecks];
    expect(canRequestApproval(assignment, all, policy).isOk()).toBe(true);
    expect(canRequestApproval(second, all, policy).isOk()).toBe(true);
    expect(reasonsOf([passedLint, passedUnit], second)).toEqual([
      ["check_missing", "lint"],
      ["check_missing", "unit"],
    ]);
  });
});
