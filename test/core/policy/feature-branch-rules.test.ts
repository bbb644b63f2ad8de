import { describe, expect, it } from "vitest";
import {
  DEFAULT_PROTECTED_BRANCHES,
  featureBranchProblem,
  type PolicyViolation,
  validateRunInputAgainstPolicy,
} from "../../../src/index.js";
import { fixtureId, policyFixture, runInputFixture } from "../../../src/testing/index.js";

/** The violations on the card's feature branch for a run on `base` (default `main`). */
function branchViolations(
  feature_branch: string,
  base = "main",
  policy = policyFixture(),
): PolicyViolation[] {
  const input = runInputFixture({
    base_branch: base,
    cards: [{ card_id: fixtureId(100), title: "t", allowed_paths: ["src/**"], feature_branch }],
  });
  const r = validateRunInputAgainstPolicy(input, policy);
  if (r.isOk()) return [];
  if (r.error.kind !== "policy_violation") throw new Error(`expected violations, got ${r.error.kind}`);
  return r.error.detail.violations.filter((v) => v.path.at(-1) === "feature_branch");
}

describe("a card's feature branch can never be a branch only a person may move", () => {
  it.each([
    ["main", "feature_branch_is_base"],
    ["MAIN", "feature_branch_is_base"],
    ["refs/heads/main", "branch_not_plain"],
    ["Refs/heads/rungate/x", "branch_not_plain"],
    ["master", "feature_branch_protected"],
    ["release/1.2", "feature_branch_protected"],
    ["Release/2026-01", "feature_branch_protected"],
    ["production", "feature_branch_protected"],
  ])("refuses %s (%s)", (branch, code) => {
    const found = branchViolations(branch);
    expect(found.map((v) => v.code)).toContain(code);
    expect(found.find((v) => v.code === code)?.message).toContain("feature_branch");
  });

  it("refuses the run's own base, whatever it is called", () => {
    expect(branchViolations("develop", "develop").map((v) => v.code)).toEqual(["feature_branch_is_base"]);
    expect(branchViolations("develop", "main")).toEqual([]);
  });

  it("follows the policy's own protected list, and keeps the base protected without one", () => {
    const policy = policyFixture({ protected_branches: ["staging", "hotfix/**"] });
    expect(branchViolations("staging", "main", policy).map((v) => v.code)).toEqual([
      "feature_branch_protected",
    ]);
    expect(branchViolations("hotfix/a/b", "main", policy).map((v) => v.code)).toEqual([
      "feature_branch_protected",
    ]);
    expect(branchViolations("master", "main", policy)).toEqual([]);
    const none = policyFixture({ protected_branches: [] });
    expect(branchViolations("main", "main", none).map((v) => v.code)).toEqual(["feature_branch_is_base"]);
  });

  it.each([
    ["-x", "invalid_branch_name"],
    ["a:b", "invalid_branch_name"],
    ["+main", "unsafe_branch_name"],
    ["a..b", "invalid_branch_name"],
    ["a@{1}", "invalid_branch_name"],
    ["x.lock", "invalid_branch_name"],
    ["HEAD", "invalid_branch_name"],
  ])("refuses %s as a branch name (%s)", (branch, code) => {
    expect(branchViolations(branch).map((v) => v.code)).toContain(code);
  });

  it("accepts ordinary card branches, and defaults to main, master, release/*, production", () => {
    for (const b of ["rungate/card-1", "feature/cart", "main-fix", "releases", "mainline"]) {
      expect(branchViolations(b)).toEqual([]);
    }
    expect(DEFAULT_PROTECTED_BRANCHES).toEqual(["main", "master", "release/*", "production"]);
    expect(featureBranchProblem("rungate/x", "main", DEFAULT_PROTECTED_BRANCHES)).toBeNull();
  });

  it("refuses a base branch given as a full ref", () => {
    const input = runInputFixture({ base_branch: "refs/heads/main" });
    const r = validateRunInputAgainstPolicy(input, policyFixture());
    const found = r.isErr() && r.error.kind === "policy_violation" ? r.error.detail.violations : [];
    expect(found.map((v) => [v.code, v.path.join(".")])).toContainEqual(["branch_not_plain", "base_branch"]);
  });
});
