import { describe, expect, it } from "vitest";
import type { InvalidTransitionError } from "../../../src/core/errors.js";
import { canCreatePullRequest } from "../../../src/core/gates/pull-request-gate.js";
import type { CardAssignment } from "../../../src/core/schemas/card-assignment.js";
import { ASSIGNMENT_PHASE_STATUS, type AssignmentPhase } from "../../../src/core/schemas/phases.js";
import {
  type AssignmentEvent,
  allowedAssignmentEvents,
  transitionAssignment,
} from "../../../src/core/state/assignment-machine.js";
import {
  ASSIGNMENT_ID,
  agent,
  alice,
  at,
  BASE_SHA,
  errorOf,
  freezeDeep,
  makeApproval,
  makeAssignment,
  makeCheck,
  makePolicy,
  OTHER_ASSIGNMENT_ID,
  okValue,
  prHost,
  SHA_A,
  SHA_B,
  system,
} from "./fixtures.js";

const policy = makePolicy({ required_checks: ["lint", "unit"] });
const passingChecks = [
  makeCheck({ check_type: "lint", status: "passed" }),
  makeCheck({ check_type: "unit", status: "passed" }),
];
const approvalForA = makeApproval();

/** An assignment in `phase` at head SHA_A, prepared in a worktree. */
function inPhase(phase: AssignmentPhase, head: string | null = SHA_A): CardAssignment {
  return makeAssignment({ phase, head_sha: head, base_sha: BASE_SHA, worktree_path: "/work/trees/card-30" });
}

/** The refusal of `event` in `assignment`'s phase (fails the test if it was accepted). */
function refusal(assignment: CardAssignment, event: AssignmentEvent): InvalidTransitionError {
  const error = errorOf(transitionAssignment(assignment, event, at(60)));
  expect(error.kind).toBe("invalid_transition");
  expect(error.detail.machine).toBe("assignment");
  return error;
}

/** Asserts a guard refusal: code, guard name and the reasons as `[code, subject]` pairs. */
function expectGuardRefusal(error: InvalidTransitionError, guard: string, reasons: [string, string][]): void {
  expect(error.code).toBe("guard_refused");
  expect(error.detail.guard).toBe(guard);
  expect((error.detail.reasons ?? []).map((r) => [r.code, r.subject])).toEqual(reasons);
  expect(error.message).toContain(guard);
}

describe("assignment machine", () => {
  describe("the happy path from queued to merged", () => {
    const steps: { event: AssignmentEvent; to: AssignmentPhase }[] = [
      { event: { type: "start_preparing" }, to: "preparing" },
      {
        event: { type: "workspace_ready", worktree_path: "/work/trees/card-30", base_sha: BASE_SHA },
        to: "ready",
      },
      { event: { type: "dispatch" }, to: "agent_running" },
      { event: { type: "agent_finished", head_sha: SHA_A, path_violations: [] }, to: "checking" },
      { event: { type: "request_approval", checks: passingChecks, policy }, to: "awaiting_approval" },
      { event: { type: "approval_granted", actor: alice, approval: approvalForA }, to: "approved" },
      {
        event: { type: "pr_created", approvals: [approvalForA], policy, protected_paths: [] },
        to: "pr_open",
      },
      { event: { type: "pr_merged", actor: prHost }, to: "merged" },
    ];

    it("walks every phase with the status each phase maps to and the fields each event writes", () => {
      let current = makeAssignment();
      expect(current.phase).toBe("queued");
      steps.forEach(({ event, to }, i) => {
        const now = at(10 + i);
        const moved = okValue(transitionAssignment(current, event, now));
        expect(moved.from).toBe(current.phase);
        expect(moved.to).toBe(to);
        expect(moved.assignment.phase).toBe(to);
        expect(moved.assignment.status).toBe(ASSIGNMENT_PHASE_STATUS[to]);
        expect(moved.assignment.updated_at).toBe(now);
        expect(moved.assignment.version).toBe(current.version);
        expect(moved.effects).toEqual([
          {
            type: "append_event",
            event_type: "assignment.transitioned",
            payload: { assignment_id: ASSIGNMENT_ID, from: current.phase, to, event: event.type },
          },
        ]);
        current = moved.assignment;
      });
      expect(current).toMatchObject({
        phase: "merged",
        status: "completed",
        worktree_path: "/work/trees/card-30",
        base_sha: BASE_SHA,
        head_sha: SHA_A,
      });
    });

    it("maps the phases to queued, running, queued, running, running, blocked, running, blocked, completed", () => {
      let current = makeAssignment();
      const statuses = steps.map(({ event }, i) => {
        current = okValue(transitionAssignment(current, event, at(10 + i))).assignment;
        return current.status;
      });
      expect(statuses).toEqual([
        "running",
        "queued",
        "running",
        "running",
        "blocked",
        "running",
        "blocked",
        "completed",
      ]);
    });

    it("writes worktree_path and base_sha when the workspace is ready, head_sha when the agent finishes", () => {
      const preparing = makeAssignment({ phase: "preparing" });
      const ready = okValue(
        transitionAssignment(
          preparing,
          { type: "workspace_ready", worktree_path: "/work/trees/card-30", base_sha: BASE_SHA },
          at(11),
        ),
      ).assignment;
      expect(ready).toMatchObject({
        worktree_path: "/work/trees/card-30",
        base_sha: BASE_SHA,
        head_sha: null,
      });
      const running = makeAssignment({ phase: "agent_running", worktree_path: "/w", base_sha: BASE_SHA });
      const checking = okValue(
        transitionAssignment(
          running,
          { type: "agent_finished", head_sha: SHA_B, path_violations: [] },
          at(12),
        ),
      ).assignment;
      expect(checking).toMatchObject({ head_sha: SHA_B, base_sha: BASE_SHA, worktree_path: "/w" });
    });

    it("never mutates the record it is given", () => {
      let current = makeAssignment();
      steps.forEach(({ event }, i) => {
        const before = structuredClone(current);
        freezeDeep(current);
        const moved = okValue(transitionAssignment(current, event, at(10 + i)));
        expect(current).toEqual(before);
        expect(moved.assignment).not.toBe(current);
        current = moved.assignment;
      });
    });
  });

  describe("events the table does not allow", () => {
    it("refuses with not_allowed, naming the state, the event and the allowed events", () => {
      const error = refusal(makeAssignment(), { type: "dispatch" });
      expect(error.code).toBe("not_allowed");
      expect(error.detail).toEqual({
        machine: "assignment",
        state: "queued",
        event: "dispatch",
        allowed_events: allowedAssignmentEvents("queued"),
      });
      expect(error.detail.allowed_events).toEqual(["start_preparing", "cancel", "fail"]);
      expect(error.message).toContain('"dispatch"');
      expect(error.message).toContain('"queued"');
    });

    it("does not create a PR from checking, even with a valid approval", () => {
      const error = refusal(inPhase("checking"), {
        type: "pr_created",
        approvals: [approvalForA],
        policy,
        protected_paths: [],
      });
      expect(error.code).toBe("not_allowed");
      expect(error.detail.allowed_events).toEqual(allowedAssignmentEvents("checking"));
    });

    it.each(["merged", "closed", "failed", "cancelled"] as const)("accepts nothing once %s", (phase) => {
      const error = refusal(inPhase(phase), { type: "cancel", actor: alice });
      expect(error.code).toBe("not_allowed");
      expect(error.detail.allowed_events).toEqual([]);
      expect(error.message).toContain("terminal");
    });
  });

  describe("guards", () => {
    it("refuses request_approval while a required check failed, with the gate's reasons", () => {
      const checks = [
        makeCheck({ check_type: "lint", status: "passed" }),
        makeCheck({ check_type: "unit", status: "failed" }),
      ];
      const error = refusal(inPhase("checking"), { type: "request_approval", checks, policy });
      expectGuardRefusal(error, "approval_gate_open", [["check_not_passed", "unit"]]);
      expect(error.detail.state).toBe("checking");
      expect(error.detail.event).toBe("request_approval");
    });

    it.each([agent, system])("refuses approval_granted by a $type actor", (actor) => {
      const error = refusal(inPhase("awaiting_approval"), {
        type: "approval_granted",
        actor,
        approval: approvalForA,
      });
      expectGuardRefusal(error, "approved_by_user_for_head", [["approval_not_by_user", "create_pr"]]);
    });

    it("refuses approval_granted reported by the PR host: only a user decides", () => {
      const error = refusal(inPhase("awaiting_approval"), {
        type: "approval_granted",
        actor: prHost,
        approval: approvalForA,
      });
      expectGuardRefusal(error, "approved_by_user_for_head", [["approval_not_by_user", "create_pr"]]);
    });

    it("refuses approval_granted with an approval for an older head", () => {
      const error = refusal(inPhase("awaiting_approval", SHA_B), {
        type: "approval_granted",
        actor: alice,
        approval: approvalForA,
      });
      expectGuardRefusal(error, "approved_by_user_for_head", [["approval_stale", "create_pr"]]);
    });

    it("refuses approval_granted with another assignment's approval", () => {
      const error = refusal(inPhase("awaiting_approval"), {
        type: "approval_granted",
        actor: alice,
        approval: makeApproval({ assignment_id: OTHER_ASSIGNMENT_ID }),
      });
      expectGuardRefusal(error, "approved_by_user_for_head", [["approval_stale", "create_pr"]]);
    });

    it("refuses approval_granted with an approval that is still pending", () => {
      const pending = makeApproval({ status: "pending", resolved_by: null, resolved_at: null });
      const error = refusal(inPhase("awaiting_approval"), {
        type: "approval_granted",
        actor: alice,
        approval: pending,
      });
      expectGuardRefusal(error, "approved_by_user_for_head", [["approval_pending", "create_pr"]]);
    });

    it("refuses approval_rejected by an agent", () => {
      const rejected = makeApproval({ status: "rejected" });
      const error = refusal(inPhase("awaiting_approval"), {
        type: "approval_rejected",
        actor: agent,
        approval: rejected,
      });
      expectGuardRefusal(error, "rejected_by_user_for_head", [["approval_not_by_user", "create_pr"]]);
    });

    it("refuses pr_created without approvals, with the pull-request gate's reasons", () => {
      const error = refusal(inPhase("approved"), {
        type: "pr_created",
        approvals: [],
        policy,
        protected_paths: [],
      });
      expectGuardRefusal(error, "pull_request_gate_open", [["approval_missing", "create_pr"]]);
    });

    it("refuses pr_created when a protected path changed without its approval", () => {
      const error = refusal(inPhase("approved"), {
        type: "pr_created",
        approvals: [approvalForA],
        policy,
        protected_paths: ["migrations/003.sql"],
      });
      expectGuardRefusal(error, "pull_request_gate_open", [["approval_missing", "protected_path_change"]]);
      expect(error.message).toContain("migrations/003.sql");
    });

    it("refuses pr_merged reported by an agent", () => {
      const error = refusal(inPhase("pr_open"), { type: "pr_merged", actor: agent });
      expectGuardRefusal(error, "observed_from_person", [["approval_not_by_user", "pr_merged"]]);
    });

    it("accepts pr_merged and pr_closed from a user as well as from the PR host", () => {
      expect(
        okValue(transitionAssignment(inPhase("pr_open"), { type: "pr_merged", actor: alice }, at(1))).to,
      ).toBe("merged");
      expect(
        okValue(transitionAssignment(inPhase("pr_open"), { type: "pr_closed", actor: prHost }, at(1))).to,
      ).toBe("closed");
    });

    it("refuses new_commit to the head it already has", () => {
      const error = refusal(inPhase("approved"), { type: "new_commit", head_sha: SHA_A });
      expectGuardRefusal(error, "head_moved", [["no_head", "head_sha"]]);
    });

    it("refuses path_violation that names no path", () => {
      const error = refusal(inPhase("agent_running", null), {
        type: "path_violation",
        head_sha: SHA_A,
        path_violations: [],
      });
      expectGuardRefusal(error, "has_path_violations", [["changes_not_evaluated", "paths"]]);
    });

    it("refuses agent_finished whose changes broke the path rules", () => {
      const error = refusal(inPhase("agent_running", null), {
        type: "agent_finished",
        head_sha: SHA_A,
        path_violations: ["secrets/prod.pem"],
      });
      expectGuardRefusal(error, "changes_within_path_rules", [["changes_violate_path_rules", "paths"]]);
    });

    it("fails the assignment on a named path violation and records the offending head", () => {
      const moved = okValue(
        transitionAssignment(
          inPhase("agent_running", null),
          { type: "path_violation", head_sha: SHA_B, path_violations: ["secrets/prod.pem"] },
          at(5),
        ),
      );
      expect(moved.assignment).toMatchObject({ phase: "failed", status: "failed", head_sha: SHA_B });
    });
  });

  describe("a new commit after approval", () => {
    it("sends the assignment back to checking, and the old approval no longer opens the PR gate", () => {
      const approved = inPhase("approved", SHA_A);
      expect(canCreatePullRequest(approved, [approvalForA], policy).isOk()).toBe(true);

      const moved = okValue(transitionAssignment(approved, { type: "new_commit", head_sha: SHA_B }, at(30)));
      expect(moved.assignment).toMatchObject({ phase: "checking", status: "running", head_sha: SHA_B });

      const gate = errorOf(canCreatePullRequest(moved.assignment, [approvalForA], policy));
      expect(gate.detail.reasons.map((r) => [r.code, r.subject])).toEqual([["approval_stale", "create_pr"]]);

      // Checks that passed on the old head do not reopen the approval gate either.
      const stale = refusal(moved.assignment, { type: "request_approval", checks: passingChecks, policy });
      expectGuardRefusal(stale, "approval_gate_open", [
        ["check_stale", "lint"],
        ["check_stale", "unit"],
      ]);

      // Re-checked on the new head it may wait for approval again, but the old decision is not accepted.
      const newChecks = passingChecks.map((c) => ({ ...c, head_sha: SHA_B, executed_at: at(31) }));
      const waiting = okValue(
        transitionAssignment(
          moved.assignment,
          { type: "request_approval", checks: newChecks, policy },
          at(32),
        ),
      ).assignment;
      expect(waiting.phase).toBe("awaiting_approval");
      const old = refusal(waiting, { type: "approval_granted", actor: alice, approval: approvalForA });
      expectGuardRefusal(old, "approved_by_user_for_head", [["approval_stale", "create_pr"]]);
    });

    it("sends an open PR back to checking", () => {
      const moved = okValue(
        transitionAssignment(inPhase("pr_open"), { type: "new_commit", head_sha: SHA_B }, at(40)),
      );
      expect(moved.assignment).toMatchObject({ phase: "checking", status: "running", head_sha: SHA_B });
    });
  });

  describe("leaving the pipeline", () => {
    it("can be cancelled from any live phase", () => {
      const live: AssignmentPhase[] = ["queued", "ready", "agent_running", "awaiting_approval", "pr_open"];
      for (const phase of live) {
        const moved = okValue(transitionAssignment(inPhase(phase), { type: "cancel", actor: alice }, at(50)));
        expect(moved.assignment).toMatchObject({
          phase: "cancelled",
          status: "cancelled",
          updated_at: at(50),
        });
      }
    });

    it("goes back to the agent after a rejection", () => {
      const rejected = inPhase("approval_rejected");
      const moved = okValue(transitionAssignment(rejected, { type: "redispatch" }, at(51)));
      expect(moved.assignment).toMatchObject({ phase: "agent_running", status: "running" });
    });
  });
});
