import { describe, expect, it } from "vitest";
import { canCreatePullRequest, requiredApprovalTypes } from "../../../src/core/gates/pull-request-gate.js";
import type { ApprovalRequest } from "../../../src/core/schemas/approval-request.js";
import type { SystemPolicyProfile } from "../../../src/core/schemas/system-policy-profile.js";
import {
  ASSIGNMENT_ID,
  at,
  errorOf,
  makeApproval,
  makeAssignment,
  makePolicy,
  OTHER_ASSIGNMENT_ID,
  okValue,
  SHA_A,
  SHA_B,
} from "../state/fixtures.js";

/** An approved assignment whose current head is SHA_A. */
const assignment = makeAssignment({ phase: "approved", head_sha: SHA_A, base_sha: "0".repeat(40) });
const policy = makePolicy();
const createPr = makeApproval();

/** The reasons the gate gave, as `[code, subject]` pairs (fails when the gate was open). */
function reasonsOf(
  approvals: readonly ApprovalRequest[],
  required: SystemPolicyProfile = policy,
  protectedPaths: readonly string[] = [],
): [string, string][] {
  const error = errorOf(
    canCreatePullRequest(assignment, approvals, required, { protected_paths: protectedPaths }),
  );
  return error.detail.reasons.map((r) => [r.code, r.subject]);
}

describe("pull-request gate", () => {
  it("opens with a create_pr approval decided by a user for the current head", () => {
    expect(okValue(canCreatePullRequest(assignment, [createPr], policy))).toBe(true);
  });

  it("refuses when no create_pr approval was requested", () => {
    expect(reasonsOf([])).toEqual([["approval_missing", "create_pr"]]);
  });

  it("refuses while the create_pr approval is pending", () => {
    const pending = makeApproval({ status: "pending", resolved_by: null, resolved_at: null });
    expect(reasonsOf([pending])).toEqual([["approval_pending", "create_pr"]]);
  });

  it("refuses a rejected approval, quoting who rejected it and the notes", () => {
    const rejected = makeApproval({
      status: "rejected",
      resolved_by: "user:bob",
      notes: "tests are too thin",
    });
    const error = errorOf(canCreatePullRequest(assignment, [rejected], policy));
    expect(error.detail.reasons.map((r) => [r.code, r.subject])).toEqual([
      ["approval_rejected", "create_pr"],
    ]);
    expect(error.message).toContain("tests are too thin");
    expect(error.message).toContain("user:bob");
  });

  it("refuses an approval granted for an older head as stale", () => {
    expect(reasonsOf([makeApproval({ head_sha: SHA_B })])).toEqual([["approval_stale", "create_pr"]]);
  });

  it("refuses an approval with no head as stale", () => {
    expect(reasonsOf([makeApproval({ head_sha: null })])).toEqual([["approval_stale", "create_pr"]]);
  });

  it("refuses an approval marked approved that no person decided (resolved_by null)", () => {
    expect(reasonsOf([makeApproval({ resolved_by: null })])).toEqual([["approval_not_by_user", "create_pr"]]);
  });

  it("refuses while the assignment has no head", () => {
    const headless = makeAssignment({ phase: "approved", head_sha: null });
    const error = errorOf(canCreatePullRequest(headless, [createPr], policy));
    expect(error.detail.reasons.map((r) => [r.code, r.subject])).toEqual([["no_head", ASSIGNMENT_ID]]);
  });

  it("does not count approvals of another assignment", () => {
    expect(reasonsOf([makeApproval({ assignment_id: OTHER_ASSIGNMENT_ID })])).toEqual([
      ["approval_missing", "create_pr"],
    ]);
  });

  it("does not count run-wide approvals without an assignment", () => {
    expect(reasonsOf([makeApproval({ assignment_id: null })])).toEqual([["approval_missing", "create_pr"]]);
  });

  describe("the latest decision on the head wins", () => {
    it("opens when a rejection is followed by a later approval", () => {
      const rejected = makeApproval({ status: "rejected", resolved_at: at(3) });
      const approved = makeApproval({ requested_at: at(4), resolved_at: at(6) });
      expect(canCreatePullRequest(assignment, [approved, rejected], policy).isOk()).toBe(true);
    });

    it("refuses when an approval is followed by a later rejection", () => {
      const approved = makeApproval({ resolved_at: at(3) });
      const rejected = makeApproval({ status: "rejected", requested_at: at(4), resolved_at: at(6) });
      expect(reasonsOf([rejected, approved])).toEqual([["approval_rejected", "create_pr"]]);
    });
  });

  describe("required kinds", () => {
    const withReview = makePolicy({ approval_policy: { required_approvals: ["create_pr", "code_review"] } });

    it("adds the kinds the policy's required_approvals names", () => {
      expect(reasonsOf([createPr], withReview)).toEqual([["approval_missing", "code_review"]]);
      const review = makeApproval({ approval_type: "code_review" });
      expect(canCreatePullRequest(assignment, [createPr, review], withReview).isOk()).toBe(true);
    });

    it("always needs create_pr, even when required_approvals omits it", () => {
      const reviewOnly = makePolicy({ approval_policy: { required_approvals: ["code_review"] } });
      const review = makeApproval({ approval_type: "code_review" });
      expect(reasonsOf([review], reviewOnly)).toEqual([["approval_missing", "create_pr"]]);
    });

    it("lists every missing kind at once", () => {
      const many = makePolicy({
        approval_policy: { required_approvals: ["code_review", "dependency_change"] },
      });
      expect(reasonsOf([], many)).toEqual([
        ["approval_missing", "create_pr"],
        ["approval_missing", "code_review"],
        ["approval_missing", "dependency_change"],
      ]);
    });

    it("never requires merge_pr for creating the pull request", () => {
      const withMerge = makePolicy({ approval_policy: { required_approvals: ["create_pr", "merge_pr"] } });
      expect(canCreatePullRequest(assignment, [createPr], withMerge).isOk()).toBe(true);
      expect(requiredApprovalTypes(withMerge, { protected_paths: [] })).not.toContain("merge_pr");
    });
  });

  describe("protected paths", () => {
    it("needs the policy's protected-path approval, naming it and the path", () => {
      const error = errorOf(
        canCreatePullRequest(assignment, [createPr], policy, {
          protected_paths: ["migrations/001_init.sql"],
        }),
      );
      expect(error.detail.reasons.map((r) => [r.code, r.subject])).toEqual([
        ["approval_missing", "protected_path_change"],
      ]);
      expect(error.message).toContain("protected_path_change");
      expect(error.message).toContain("migrations/001_init.sql");
    });

    it("uses the kind the policy names as protected_path_approval", () => {
      const viaReview = makePolicy({ approval_policy: { protected_path_approval: "code_review" } });
      const error = errorOf(
        canCreatePullRequest(assignment, [createPr], viaReview, { protected_paths: ["package.json"] }),
      );
      expect(error.detail.reasons.map((r) => r.subject)).toEqual(["code_review"]);
      expect(error.message).toContain("package.json");
      const review = makeApproval({ approval_type: "code_review" });
      expect(
        canCreatePullRequest(assignment, [createPr, review], viaReview, {
          protected_paths: ["package.json"],
        }).isOk(),
      ).toBe(true);
    });

    it("opens once the protected-path approval is granted for the head", () => {
      const protectedOk = makeApproval({ approval_type: "protected_path_change" });
      const changes = { protected_paths: ["migrations/001_init.sql"] };
      expect(canCreatePullRequest(assignment, [createPr, protectedOk], policy, changes).isOk()).toBe(true);
    });

    it("refuses a protected-path approval granted for an older head", () => {
      const old = makeApproval({ approval_type: "protected_path_change", head_sha: SHA_B });
      expect(reasonsOf([createPr, old], policy, ["migrations/002.sql"])).toEqual([
        ["approval_stale", "protected_path_change"],
      ]);
    });

    it("does not need the protected-path approval when no protected path changed", () => {
      expect(requiredApprovalTypes(policy, { protected_paths: [] })).toEqual(["create_pr"]);
    });
  });

  it("fails with a gate_closed error for the create_pull_request gate", () => {
    const error = errorOf(canCreatePullRequest(assignment, [], policy));
    expect(error.kind).toBe("gate_closed");
    expect(error.code).toBe("pull_request_gate_closed");
    expect(error.detail.gate).toBe("create_pull_request");
    expect(error.message).toContain("create_pr");
  });
});
