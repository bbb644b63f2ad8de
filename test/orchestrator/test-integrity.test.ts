import { describe, expect, it } from "vitest";
import type { SystemPolicyProfileInput } from "../../src/core/schemas/system-policy-profile.js";
import { policyFixture } from "../../src/testing/index.js";
import { CARD, cardRequest, setup } from "./helpers.js";

const REPO = "https://example.invalid/acme/shop.git";
const TEST_FILE = [
  'import { expect, it } from "vitest";',
  'import { total } from "../src/cart.js";',
  'it("adds", () => {',
  "  expect(total([1, 2])).toBe(3);",
  "  expect(total([])).toBe(0);",
  "});",
  "",
].join("\n");
const remotes = {
  [REPO]: {
    "src/cart.ts": "export const total = (xs: number[]) => xs.reduce((a, b) => a + b, 0);\n",
    "test/cart.test.ts": TEST_FILE,
  },
};

/** A run of one card whose agent commits `files` (`null` deletes). */
async function run(files: Record<string, string | null>, policy: SystemPolicyProfileInput = policyFixture()) {
  const { ports, orchestrator } = setup({ remotes, agent: { [CARD]: [{ commits: [{ files }] }] } });
  const built = (await orchestrator.triggerBuild(cardRequest({}, policy)))._unsafeUnwrap();
  const approvals = (await ports.storage.listApprovals(built.run.id))._unsafeUnwrap();
  return {
    ports,
    orchestrator,
    built,
    approvals,
    policyCheck: built.checks.find((c) => c.check_type === "policy"),
  };
}

describe("tests cannot be weakened silently (test_integrity)", () => {
  it("asks a person for a test_change approval when a misbehaving agent deletes a test, and keeps the PR gate closed until then", async () => {
    const { built, approvals, policyCheck, orchestrator } = await run({ "test/cart.test.ts": null });
    expect(policyCheck?.status).toBe("passed");
    expect(policyCheck?.output).toContain("test/cart.test.ts");
    expect(policyCheck?.output).toContain("test_deleted");
    expect(approvals.map((a) => a.approval_type).sort()).toEqual(["create_pr", "test_change"]);
    const createPr = approvals.find((a) => a.approval_type === "create_pr");
    (
      await orchestrator.recordApprovalDecision({
        run_id: built.run.id,
        approval_id: createPr?.id ?? "",
        decision: "approve",
        decided_by: "alice",
      })
    )._unsafeUnwrap();
    const refused = await orchestrator.createPullRequestCandidate({
      assignment_id: built.assignments[0]?.id ?? "",
    });
    expect(refused._unsafeUnwrapErr().kind).toBe("gate_closed");
    expect(refused._unsafeUnwrapErr().message).toContain("test_change");
  });

  it("fails the policy check when the policy says fail: a focused test (.only) and fewer assertions", async () => {
    const weakened = TEST_FILE.replace('it("adds"', 'it.only("adds"').replace(
      "  expect(total([])).toBe(0);\n",
      "",
    );
    const { built, approvals, policyCheck } = await run(
      { "test/cart.test.ts": weakened },
      policyFixture({ test_integrity: { on_finding: "fail" } }),
    );
    expect(policyCheck?.status).toBe("failed");
    expect(policyCheck?.output).toContain("only_marker_added");
    expect(policyCheck?.output).toContain("assertions_reduced");
    expect(built.assignments[0]?.phase).toBe("checks_failed");
    expect(approvals).toEqual([]);
  });

  it("lets a legitimate test edit through: a new assertion asks for nothing more", async () => {
    const stronger = TEST_FILE.replace("});", "  expect(total([5])).toBe(5);\n});");
    const { approvals, policyCheck } = await run({ "test/cart.test.ts": stronger });
    expect(policyCheck?.status).toBe("passed");
    expect(policyCheck?.output).not.toContain("test_change");
    expect(approvals.map((a) => a.approval_type)).toEqual(["create_pr"]);
  });
});
