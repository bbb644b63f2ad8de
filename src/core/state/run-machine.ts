import type { Result } from "neverthrow";
import type { GateReason, InvalidTransitionError } from "../errors.js";
import { approvalGateReasons } from "../gates/approval-gate.js";
import type { CardAssignment } from "../schemas/card-assignment.js";
import type { Failure, FailureKind } from "../schemas/failure.js";
import type { OrchestrationRun } from "../schemas/orchestration-run.js";
import { RUN_PHASE_STATUS, RUN_PHASES, type RunPhase } from "../schemas/phases.js";
import type { Actor } from "../schemas/primitives.js";
import type { RunCheck } from "../schemas/run-check.js";
import type { SystemPolicyProfile } from "../schemas/system-policy-profile.js";
import type { TransitionEffect } from "./assignment-machine.js";
import { allowedEventsIn, type GuardFn, rows, selectRule, type TransitionTable } from "./transition-table.js";

/** What the run's guards read about its assignments. */
export type RunAssignmentView = Pick<CardAssignment, "id" | "run_id" | "phase" | "head_sha"> &
  Partial<Pick<CardAssignment, "failure">>;

/** Every event a run can receive. Run events aggregate what its assignments did. */
export type RunEventInput =
  /** Preparation starts; `worktree_root` (the clone's path) may be known already. */
  | { readonly type: "start_preparing"; readonly worktree_root?: string }
  | { readonly type: "workspaces_ready"; readonly worktree_root: string }
  | { readonly type: "preparation_failed"; readonly reason: string }
  | { readonly type: "agents_finished"; readonly assignments: readonly RunAssignmentView[] }
  | {
      readonly type: "request_approval";
      readonly assignments: readonly RunAssignmentView[];
      readonly checks: readonly RunCheck[];
      readonly policy: Pick<SystemPolicyProfile, "required_checks">;
    }
  | { readonly type: "checks_failed" }
  | { readonly type: "retry_checks" }
  | { readonly type: "redispatch" }
  | {
      readonly type: "approval_granted";
      readonly actor: Actor;
      readonly assignments: readonly RunAssignmentView[];
    }
  | { readonly type: "approval_rejected"; readonly actor: Actor }
  | { readonly type: "pr_created"; readonly assignments: readonly RunAssignmentView[] }
  | { readonly type: "pr_merged"; readonly actor: Actor; readonly assignments: readonly RunAssignmentView[] }
  | { readonly type: "pr_closed"; readonly actor: Actor; readonly assignments: readonly RunAssignmentView[] }
  | { readonly type: "new_commit" }
  | { readonly type: "cancel"; readonly actor: Actor }
  | {
      readonly type: "fail";
      readonly reason: string;
      readonly kind?: FailureKind;
      /** The card the run fails because of. */
      readonly assignment_id?: string;
    };

/** The `type` of a {@link RunEventInput}. */
export type RunEventType = RunEventInput["type"];

/** Phases no event leaves. */
export const TERMINAL_RUN_PHASES: readonly RunPhase[] = ["completed", "closed", "failed", "cancelled"];

// Every phase that still takes events: derived, so a new phase is cancellable without another list to edit.
const LIVE: RunPhase[] = RUN_PHASES.filter((p) => !TERMINAL_RUN_PHASES.includes(p));

/**
 * The run lifecycle as data: queued → preparing (clone, branches, worktrees) → agents_running → checking →
 * awaiting_approval (only through the approval gate, for every assignment) → approved (only by a user) →
 * pr_open (draft PRs created) → completed when a person merges, or closed; with checks_failed and
 * approval_rejected waiting on a person, and failed / cancelled. A new commit sends it back to checking.
 */
export const RUN_TRANSITIONS: TransitionTable<RunPhase, RunEventType> = [
  ...rows(["queued"], "start_preparing", "preparing"),
  ...rows(["preparing"], "workspaces_ready", "agents_running"),
  ...rows(["preparing"], "preparation_failed", "failed"),
  ...rows(["agents_running"], "agents_finished", "checking", "all_agents_finished"),
  ...rows(["checking"], "request_approval", "awaiting_approval", "approval_gate_open_for_every_assignment"),
  ...rows(["checking"], "checks_failed", "checks_failed"),
  ...rows(["checks_failed"], "retry_checks", "checking"),
  ...rows(["checks_failed", "approval_rejected"], "redispatch", "agents_running"),
  ...rows(["awaiting_approval"], "approval_granted", "approved", "every_assignment_approved_by_user"),
  ...rows(["awaiting_approval"], "approval_rejected", "approval_rejected", "decided_by_user"),
  ...rows(["approved"], "pr_created", "pr_open", "every_assignment_has_pr"),
  ...rows(["pr_open"], "pr_merged", "completed", "merge_observed"),
  ...rows(["pr_open"], "pr_closed", "closed", "close_observed"),
  ...rows(
    ["checking", "checks_failed", "awaiting_approval", "approval_rejected", "approved", "pr_open"],
    "new_commit",
    "checking",
  ),
  ...rows(LIVE, "cancel", "cancelled"),
  ...rows(LIVE, "fail", "failed"),
];

const AFTER_AGENTS = new Set<CardAssignment["phase"]>([
  "checking",
  "checks_failed",
  "awaiting_approval",
  "approval_rejected",
  "approved",
  "pr_open",
  "merged",
  "closed",
]);

// A run may lag its assignments (its own write is separate and can be interrupted); its guards accept
// assignments that have already moved further along the same path.
const APPROVED_OR_LATER = new Set<CardAssignment["phase"]>(["approved", "pr_open", "merged", "closed"]);
const PR_OR_LATER = new Set<CardAssignment["phase"]>(["pr_open", "merged", "closed"]);

function reason(code: GateReason["code"], subject: string, message: string): GateReason[] {
  return [{ code, subject, message }];
}

/** Every aggregate guard first insists on a non-empty list of this run's own assignments. */
function ownAssignments(run: OrchestrationRun, list: readonly RunAssignmentView[]): GateReason[] {
  if (list.length === 0) return reason("changes_not_evaluated", "assignments", "the run has no assignments");
  return list
    .filter((a) => a.run_id !== run.id)
    .flatMap((a) => reason("changes_not_evaluated", a.id, `assignment ${a.id} belongs to another run`));
}

function onlyUser(actor: Actor): GateReason[] {
  return actor.type === "user"
    ? []
    : reason(
        "approval_not_by_user",
        actor.id,
        `only a user decides approvals, not ${actor.type}:${actor.id}`,
      );
}

function observed(actor: Actor): GateReason[] {
  return actor.type === "user" || actor.type === "pr_host"
    ? []
    : reason("approval_not_by_user", actor.id, `merges and closes are a person's acts, not ${actor.type}'s`);
}

type Guard = GuardFn<OrchestrationRun, RunEventInput>;

const GUARDS: Record<string, Guard> = {
  all_agents_finished: (run, e) => {
    if (e.type !== "agents_finished") return [];
    const waiting = e.assignments.filter((a) => !AFTER_AGENTS.has(a.phase));
    return [
      ...ownAssignments(run, e.assignments),
      ...waiting.map((a) => ({
        code: "changes_not_evaluated" as const,
        subject: a.id,
        message: `assignment ${a.id} is still ${a.phase}`,
      })),
    ];
  },
  approval_gate_open_for_every_assignment: (run, e) =>
    e.type === "request_approval"
      ? [
          ...ownAssignments(run, e.assignments),
          ...e.assignments
            .filter((a) => a.run_id === run.id)
            .flatMap((a) => approvalGateReasons(a, e.checks, e.policy)),
        ]
      : [],
  every_assignment_approved_by_user: (run, e) =>
    e.type === "approval_granted"
      ? [
          ...onlyUser(e.actor),
          ...ownAssignments(run, e.assignments),
          ...e.assignments
            .filter((a) => !APPROVED_OR_LATER.has(a.phase))
            .flatMap((a) =>
              reason("approval_pending", a.id, `assignment ${a.id} is ${a.phase}, not approved`),
            ),
        ]
      : [],
  decided_by_user: (_run, e) => (e.type === "approval_rejected" ? onlyUser(e.actor) : []),
  every_assignment_has_pr: (run, e) =>
    e.type === "pr_created"
      ? [
          ...ownAssignments(run, e.assignments),
          ...e.assignments
            .filter((a) => !PR_OR_LATER.has(a.phase))
            .flatMap((a) => reason("approval_missing", a.id, `assignment ${a.id} has no open PR candidate`)),
        ]
      : [],
  merge_observed: (run, e) =>
    e.type === "pr_merged"
      ? [
          ...observed(e.actor),
          ...ownAssignments(run, e.assignments),
          ...(e.assignments.some((a) => a.phase === "merged")
            ? []
            : reason("approval_missing", "merge", "no assignment's PR was merged")),
          ...e.assignments
            .filter((a) => a.phase !== "merged" && a.phase !== "closed")
            .flatMap((a) => reason("approval_pending", a.id, `assignment ${a.id} is still ${a.phase}`)),
        ]
      : [],
  close_observed: (run, e) =>
    e.type === "pr_closed"
      ? [
          ...observed(e.actor),
          ...ownAssignments(run, e.assignments),
          ...e.assignments
            .filter((a) => a.phase !== "closed")
            .flatMap((a) => reason("approval_pending", a.id, `assignment ${a.id} is ${a.phase}, not closed`)),
        ]
      : [],
};

/** A successful move of a run. The input record is untouched. */
export interface RunTransition {
  readonly run: OrchestrationRun;
  readonly from: RunPhase;
  readonly to: RunPhase;
  readonly effects: readonly TransitionEffect[];
}

/** The events a run in `phase` accepts (guards not evaluated). */
export function allowedRunEvents(phase: RunPhase): RunEventType[] {
  return allowedEventsIn(RUN_TRANSITIONS, phase);
}

/**
 * The pure transition of a run: looks `event` up in {@link RUN_TRANSITIONS}, evaluates the guard, and
 * returns the next record (phase, mapped status, `started_at` when it leaves `queued`, `ended_at` when it
 * reaches a terminal phase, `updated_at` = `now`) with the event to log; or `invalid_transition` naming the
 * phase, the event and the allowed events, or the guard and its reasons.
 */
export function transitionRun(
  run: OrchestrationRun,
  event: RunEventInput,
  now: string,
): Result<RunTransition, InvalidTransitionError> {
  return selectRule("run", RUN_TRANSITIONS, GUARDS, run.phase, run, event).map((rule) => {
    const failure: Failure | null =
      rule.to !== "failed"
        ? null
        : event.type === "preparation_failed"
          ? { kind: "preparation_failed", message: event.reason, event_id: null, assignment_id: null }
          : event.type === "fail"
            ? {
                kind: event.kind ?? "internal",
                message: event.reason,
                event_id: null,
                assignment_id: event.assignment_id ?? null,
              }
            : null;
    const next: OrchestrationRun = {
      ...run,
      failure,
      phase: rule.to,
      status: RUN_PHASE_STATUS[rule.to],
      worktree_root:
        (event.type === "workspaces_ready" || event.type === "start_preparing"
          ? event.worktree_root
          : undefined) ?? run.worktree_root,
      started_at: run.started_at ?? (run.phase === "queued" ? now : null),
      ended_at: TERMINAL_RUN_PHASES.includes(rule.to) ? now : run.ended_at,
      updated_at: now,
    };
    return {
      run: next,
      from: run.phase,
      to: rule.to,
      effects: [
        {
          type: "append_event",
          event_type: "run.transitioned",
          payload: {
            from: run.phase,
            to: rule.to,
            event: event.type,
            ...(failure === null ? {} : { failure }),
          },
        },
      ],
    };
  });
}
