import { describe, expect, it } from "vitest";
import type { InvalidTransitionError } from "../../../src/core/errors.js";
import { canRequestApproval } from "../../../src/core/gates/approval-gate.js";
import type { OrchestrationRun } from "../../../src/core/schemas/orchestration-run.js";
import { type AssignmentPhase, RUN_PHASE_STATUS, type RunPhase } from "../../../src/core/schemas/phases.js";
import {
  allowedRunEvents,
  type RunAssignmentView,
  type RunEventInput,
  transitionRun,
} from "../../../src/core/state/run-machine.js";
import {
  ASSIGNMENT_ID,
  agent,
  alice,
  at,
  errorOf,
  freezeDeep,
  makeCheck,
  makePolicy,
  makeRun,
  OTHER_RUN_ID,
  okValue,
  prHost,
  RUN_ID,
  SECOND_ASSIGNMENT_ID,
  SHA_A,
  SHA_B,
  system,
} from "./fixtures.js";

const policy = makePolicy({ required_checks: ["lint", "unit"] });

/** The run's two assignments, both in `phase`: the first at head SHA_A, the second at SHA_B. */
function views(first: AssignmentPhase, second: AssignmentPhase = first): RunAssignmentView[] {
  return [
    { id: ASSIGNMENT_ID, run_id: RUN_ID, phase: first, head_sha: SHA_A },
    { id: SECOND_ASSIGNMENT_ID, run_id: RUN_ID, phase: second, head_sha: SHA_B },
  ];
}

/** lint and unit passed for both assignments on their heads. */
const passingChecks = [
  makeCheck({ check_type: "lint", status: "passed" }),
  makeCheck({ check_type: "unit", status: "passed" }),
  makeCheck({ check_type: "lint", status: "passed", assignment_id: SECOND_ASSIGNMENT_ID, head_sha: SHA_B }),
  makeCheck({ check_type: "unit", status: "passed", assignment_id: SECOND_ASSIGNMENT_ID, head_sha: SHA_B }),
];

/** A run in `phase` that started at `at(0)`. */
function inPhase(phase: RunPhase): OrchestrationRun {
  return makeRun({ phase, started_at: phase === "queued" ? null : at(0) });
}

function refusal(run: OrchestrationRun, event: RunEventInput): InvalidTransitionError {
  const error = errorOf(transitionRun(run, event, at(60)));
  expect(error.kind).toBe("invalid_transition");
  expect(error.detail.machine).toBe("run");
  return error;
}

/** Asserts a guard refusal: code, guard name and the reasons as `[code, subject]` pairs. */
function expectGuardRefusal(error: InvalidTransitionError, guard: string, reasons: [string, string][]): void {
  expect(error.code).toBe("guard_refused");
  expect(error.detail.guard).toBe(guard);
  expect((error.detail.reasons ?? []).map((r) => [r.code, r.subject])).toEqual(reasons);
}

describe("run machine", () => {
  describe("the happy path of a run with two assignments", () => {
    const steps: { event: RunEventInput; to: RunPhase }[] = [
      { event: { type: "start_preparing" }, to: "preparing" },
      { event: { type: "workspaces_ready", worktree_root: "/work/trees/run-10" }, to: "agents_running" },
      { event: { type: "agents_finished", assignments: views("checking") }, to: "checking" },
      {
        event: {
          type: "request_approval",
          assignments: views("awaiting_approval"),
          checks: passingChecks,
          policy,
        },
        to: "awaiting_approval",
      },
      { event: { type: "approval_granted", actor: alice, assignments: views("approved") }, to: "approved" },
      { event: { type: "pr_created", assignments: views("pr_open") }, to: "pr_open" },
      {
        event: { type: "pr_merged", actor: prHost, assignments: views("merged", "closed") },
        to: "completed",
      },
    ];

    it("walks every phase with its status, started_at from the first move and ended_at at the end", () => {
      let run = makeRun();
      expect(run).toMatchObject({ phase: "queued", status: "queued", started_at: null, ended_at: null });
      steps.forEach(({ event, to }, i) => {
        const now = at(10 + i);
        const before = structuredClone(run);
        const moved = okValue(transitionRun(freezeDeep(run), event, now));
        expect(run).toEqual(before);
        expect(moved.from).toBe(run.phase);
        expect(moved.to).toBe(to);
        expect(moved.run.phase).toBe(to);
        expect(moved.run.status).toBe(RUN_PHASE_STATUS[to]);
        expect(moved.run.updated_at).toBe(now);
        expect(moved.run.started_at).toBe(at(10));
        expect(moved.run.ended_at).toBe(to === "completed" ? now : null);
        expect(moved.run.version).toBe(run.version);
        expect(moved.effects).toEqual([
          {
            type: "append_event",
            event_type: "run.transitioned",
            payload: { from: run.phase, to, event: event.type },
          },
        ]);
        run = moved.run;
      });
      expect(run).toMatchObject({ status: "completed", worktree_root: "/work/trees/run-10" });
    });

    it("maps the phases to running ×3, blocked, running, blocked, completed", () => {
      let run = makeRun();
      const statuses = steps.map(({ event }, i) => {
        run = okValue(transitionRun(run, event, at(10 + i))).run;
        return run.status;
      });
      expect(statuses).toEqual([
        "running",
        "running",
        "running",
        "blocked",
        "running",
        "blocked",
        "completed",
      ]);
    });
  });

  describe("timestamps", () => {
    it("sets started_at when a run leaves queued, even straight to cancelled, and ended_at with it", () => {
      const moved = okValue(transitionRun(makeRun(), { type: "cancel", actor: alice }, at(7)));
      expect(moved.run).toMatchObject({
        phase: "cancelled",
        status: "cancelled",
        started_at: at(7),
        ended_at: at(7),
      });
    });

    it("keeps the first started_at on later moves", () => {
      const moved = okValue(transitionRun(inPhase("checking"), { type: "checks_failed" }, at(9)));
      expect(moved.run).toMatchObject({
        phase: "checks_failed",
        status: "blocked",
        started_at: at(0),
        ended_at: null,
      });
    });

    it.each([
      ["failed", { type: "fail", reason: "disk full" }],
      ["closed", { type: "pr_closed", actor: prHost, assignments: views("closed") }],
    ] as const)("sets ended_at on reaching %s", (to, event) => {
      const from: RunPhase = to === "closed" ? "pr_open" : "agents_running";
      const moved = okValue(transitionRun(inPhase(from), event, at(20)));
      expect(moved.run).toMatchObject({ phase: to, status: RUN_PHASE_STATUS[to], ended_at: at(20) });
    });
  });

  describe("events the table does not allow", () => {
    it("refuses with not_allowed, naming the state, the event and the allowed events", () => {
      const error = refusal(inPhase("agents_running"), { type: "pr_created", assignments: views("pr_open") });
      expect(error.code).toBe("not_allowed");
      expect(error.detail).toEqual({
        machine: "run",
        state: "agents_running",
        event: "pr_created",
        allowed_events: allowedRunEvents("agents_running"),
      });
      expect(error.detail.allowed_events).toEqual(["agents_finished", "cancel", "fail"]);
    });

    it.each(["completed", "closed", "failed", "cancelled"] as const)("accepts nothing once %s", (phase) => {
      const error = refusal(inPhase(phase), { type: "fail", reason: "late" });
      expect(error.code).toBe("not_allowed");
      expect(error.detail.allowed_events).toEqual([]);
    });
  });

  describe("guards", () => {
    it("refuses agents_finished while an assignment's agent is still running", () => {
      const error = refusal(inPhase("agents_running"), {
        type: "agents_finished",
        assignments: views("checking", "agent_running"),
      });
      expectGuardRefusal(error, "all_agents_finished", [["changes_not_evaluated", SECOND_ASSIGNMENT_ID]]);
    });

    it("refuses request_approval when one assignment's gate is closed, with that assignment's reasons", () => {
      const secondUnitFailed = makeCheck({
        check_type: "unit",
        status: "failed",
        assignment_id: SECOND_ASSIGNMENT_ID,
        head_sha: SHA_B,
        executed_at: at(5),
      });
      const checks = [...passingChecks, secondUnitFailed];
      const assignments = views("awaiting_approval");
      const error = refusal(inPhase("checking"), { type: "request_approval", assignments, checks, policy });
      expectGuardRefusal(error, "approval_gate_open_for_every_assignment", [["check_not_passed", "unit"]]);
      const second = assignments[1];
      if (second === undefined) throw new Error("fixture has two assignments");
      expect(error.detail.reasons).toEqual(
        errorOf(canRequestApproval(second, checks, policy)).detail.reasons,
      );
    });

    it("refuses request_approval for every assignment whose gate is closed, all at once", () => {
      const error = refusal(inPhase("checking"), {
        type: "request_approval",
        assignments: views("awaiting_approval"),
        checks: [],
        policy,
      });
      expectGuardRefusal(error, "approval_gate_open_for_every_assignment", [
        ["check_missing", "lint"],
        ["check_missing", "unit"],
        ["check_missing", "lint"],
        ["check_missing", "unit"],
      ]);
    });

    it("refuses request_approval without assignments", () => {
      const error = refusal(inPhase("checking"), {
        type: "request_approval",
        assignments: [],
        checks: [],
        policy,
      });
      expectGuardRefusal(error, "approval_gate_open_for_every_assignment", [
        ["changes_not_evaluated", "assignments"],
      ]);
    });

    it("refuses request_approval with an assignment of another run, even if its checks passed", () => {
      const foreign: RunAssignmentView = {
        id: ASSIGNMENT_ID,
        run_id: OTHER_RUN_ID,
        phase: "checking",
        head_sha: SHA_A,
      };
      const checks = passingChecks.map((c) => ({ ...c, run_id: OTHER_RUN_ID }));
      const error = refusal(inPhase("checking"), {
        type: "request_approval",
        assignments: [foreign],
        checks,
        policy,
      });
      expectGuardRefusal(error, "approval_gate_open_for_every_assignment", [
        ["changes_not_evaluated", ASSIGNMENT_ID],
      ]);
    });

    it.each([system, agent, prHost])("refuses approval_granted by a $type actor", (actor) => {
      const error = refusal(inPhase("awaiting_approval"), {
        type: "approval_granted",
        actor,
        assignments: views("approved"),
      });
      expectGuardRefusal(error, "every_assignment_approved_by_user", [["approval_not_by_user", actor.id]]);
    });

    it("refuses approval_granted until every assignment is approved", () => {
      const error = refusal(inPhase("awaiting_approval"), {
        type: "approval_granted",
        actor: alice,
        assignments: views("approved", "awaiting_approval"),
      });
      expectGuardRefusal(error, "every_assignment_approved_by_user", [
        ["approval_pending", SECOND_ASSIGNMENT_ID],
      ]);
    });

    it("refuses approval_granted without assignments", () => {
      const error = refusal(inPhase("awaiting_approval"), {
        type: "approval_granted",
        actor: alice,
        assignments: [],
      });
      expectGuardRefusal(error, "every_assignment_approved_by_user", [
        ["changes_not_evaluated", "assignments"],
      ]);
    });

    it("accepts approval_rejected only from a user", () => {
      const error = refusal(inPhase("awaiting_approval"), { type: "approval_rejected", actor: agent });
      expectGuardRefusal(error, "decided_by_user", [["approval_not_by_user", agent.id]]);
      const moved = okValue(
        transitionRun(inPhase("awaiting_approval"), { type: "approval_rejected", actor: alice }, at(3)),
      );
      expect(moved.run).toMatchObject({ phase: "approval_rejected", status: "blocked" });
    });

    it("refuses pr_created until every assignment has its PR open", () => {
      const error = refusal(inPhase("approved"), {
        type: "pr_created",
        assignments: views("pr_open", "approved"),
      });
      expectGuardRefusal(error, "every_assignment_has_pr", [["approval_missing", SECOND_ASSIGNMENT_ID]]);
    });

    describe("pr_merged", () => {
      it("is refused when an agent reports it", () => {
        const error = refusal(inPhase("pr_open"), {
          type: "pr_merged",
          actor: agent,
          assignments: views("merged"),
        });
        expectGuardRefusal(error, "merge_observed", [["approval_not_by_user", agent.id]]);
      });

      it("is refused when the system reports it", () => {
        const error = refusal(inPhase("pr_open"), {
          type: "pr_merged",
          actor: system,
          assignments: views("merged"),
        });
        expectGuardRefusal(error, "merge_observed", [["approval_not_by_user", system.id]]);
      });

      it.each([alice, prHost])("is accepted from a $type actor", (actor) => {
        const moved = okValue(
          transitionRun(
            inPhase("pr_open"),
            { type: "pr_merged", actor, assignments: views("merged") },
            at(8),
          ),
        );
        expect(moved.run).toMatchObject({ phase: "completed", status: "completed", ended_at: at(8) });
      });

      it("is refused while an assignment's PR is still open", () => {
        const error = refusal(inPhase("pr_open"), {
          type: "pr_merged",
          actor: prHost,
          assignments: views("merged", "pr_open"),
        });
        expectGuardRefusal(error, "merge_observed", [["approval_pending", SECOND_ASSIGNMENT_ID]]);
      });

      it("is refused when every PR was closed and none merged", () => {
        const error = refusal(inPhase("pr_open"), {
          type: "pr_merged",
          actor: prHost,
          assignments: views("closed"),
        });
        expectGuardRefusal(error, "merge_observed", [["approval_missing", "merge"]]);
      });

      it("is refused without assignments", () => {
        const error = refusal(inPhase("pr_open"), { type: "pr_merged", actor: prHost, assignments: [] });
        expectGuardRefusal(error, "merge_observed", [
          ["changes_not_evaluated", "assignments"],
          ["approval_missing", "merge"],
        ]);
      });
    });

    it.each([
      ["agents_finished", (a: RunAssignmentView[]) => ({ type: "agents_finished", assignments: a })],
      ["pr_created", (a: RunAssignmentView[]) => ({ type: "pr_created", assignments: a })],
      ["pr_closed", (a: RunAssignmentView[]) => ({ type: "pr_closed", actor: prHost, assignments: a })],
    ] as const)("refuses %s when an assignment belongs to another run", (_name, make) => {
      const phase = _name === "agents_finished" ? "checking" : _name === "pr_created" ? "pr_open" : "closed";
      const from =
        _name === "agents_finished" ? "agents_running" : _name === "pr_created" ? "approved" : "pr_open";
      const foreign = views(phase).map((v) => ({ ...v, run_id: OTHER_RUN_ID }));
      const error = refusal(inPhase(from), make(foreign) as RunEventInput);
      expect(error.code).toBe("guard_refused");
      expect(error.detail.reasons?.map((r) => r.message).join(" ")).toContain("belongs to another run");
    });

    it("refuses pr_closed without assignments", () => {
      const error = refusal(inPhase("pr_open"), { type: "pr_closed", actor: prHost, assignments: [] });
      expectGuardRefusal(error, "close_observed", [["changes_not_evaluated", "assignments"]]);
    });

    it("refuses pr_closed while an assignment is merged rather than closed", () => {
      const error = refusal(inPhase("pr_open"), {
        type: "pr_closed",
        actor: prHost,
        assignments: views("merged", "closed"),
      });
      expectGuardRefusal(error, "close_observed", [["approval_pending", ASSIGNMENT_ID]]);
    });
  });

  it("goes back to checking on a new commit, from approval as from an open PR", () => {
    for (const phase of ["awaiting_approval", "approved", "pr_open"] as const) {
      const moved = okValue(transitionRun(inPhase(phase), { type: "new_commit" }, at(4)));
      expect(moved.run).toMatchObject({ phase: "checking", status: "running", ended_at: null });
    }
  });
});
