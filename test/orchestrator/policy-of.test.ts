import { describe, expect, it } from "vitest";
import { validateRunInputAgainstPolicy } from "../../src/core/policy/validate-run-input.js";
import { newOrchestrationRun } from "../../src/core/run/new-run.js";
import { policyOf } from "../../src/orchestrator/load.js";
import { FIXTURE_TIME, fixtureId, policyFixture, runInputFixture } from "../../src/testing/fixtures.js";

const validated = validateRunInputAgainstPolicy(runInputFixture(), policyFixture())._unsafeUnwrap();
const run = newOrchestrationRun(validated, { run_id: fixtureId(1), now: FIXTURE_TIME })._unsafeUnwrap();

describe("policyOf", () => {
  it("parses a run's frozen policy snapshot once, and hands out a policy nobody can change", () => {
    const first = policyOf(run)._unsafeUnwrap();
    expect(policyOf({ ...run })._unsafeUnwrap()).toBe(first);
    expect(first.required_checks).toEqual(validated.policy.required_checks);
    expect(() => (first.required_checks as string[]).push("e2e")).toThrow(TypeError);
  });

  it("parses a snapshot that can still change every time, and refuses one that is not a policy", () => {
    const open = { ...run, system_policy_snapshot: structuredClone(run.system_policy_snapshot) };
    expect(policyOf(open)._unsafeUnwrap()).not.toBe(policyOf(open)._unsafeUnwrap());
    const broken = { ...run, system_policy_snapshot: { not: "a policy" } };
    expect(policyOf(broken)._unsafeUnwrapErr()).toMatchObject({ code: "invalid_policy_snapshot" });
  });
});
