import type { Result } from "neverthrow";
import type { GateReason, InvalidTransitionError } from "../errors.js";
import { approvalGateReasons } from "../gates/approval-gate.js";
import { type ApprovalPolicySubject, pullRequestGateReasons } from "../gates/pull-request-gate.js";
import type { ApprovalRequest } from "../schemas/approval-request.js";
import type { CardAssignment } from "../schemas/card-assignment.js";
import type { Failure, FailureKind } from "../schemas/failure.js";
import { ASSIGNMENT_PHASE_STATUS, ASSIGNMENT_PHASES, type AssignmentPhase } from "../schemas/phases.js";
import type { Actor } from "../schemas/primitives.js";
import type { RunCheck } from "../schemas/run-check.js";
import type { SystemPolicyProfile } from "../schemas/system-policy-profile.js";
import { allowedEventsIn, type GuardFn, rows, selectRule, type TransitionTable } from "./transition-table.js";

/** Every event an assignment can receive, with what its guard reads. */
export type AssignmentEvent =
  | { readonly type: "start_preparing" }
  | { readonly type: "workspace_ready"; readonly worktree_path: string; readonly base_sha: string }
  | { readonly type: "preparation_failed"; readonly reason: string }
  | { readonly type: "dispatch" }
  /** The agent finished with commits whose changes all passed the path rules. */
  | {
      readonly type: "agent_finished";
      readonly head_sha: string;
      readonly path_violations: readonly string[];
    }
  /** The agent's changes broke the path rules: the offending paths are named. */
  | {
      readonly type: "path_violation";
      readonly head_sha: string | null;
      readonly path_violations: readonly string[];
    }
  | {
      readonly type: "agent_failed";
      readonly reason: string;
      /** Finer than "the agent failed"; default `agent_failed`. */
      readonly kind?: "agent_failed" | "agent_timed_out" | "attempts_exhausted" | "budget_exhausted";
    }
  | {
      readonly type: "request_approval";
      readonly checks: readonly RunCheck[];
      readonly policy: Pick<SystemPolicyProfile, "required_checks">;
    }
  | { readonly type: "checks_failed" }
  | { readonly type: "retry_checks" }
  | { readonly type: "redispatch" }
  | { readonly type: "approval_granted"; readonly actor: Actor; readonly approval: ApprovalRequest }
  | { readonly type: "approval_rejected"; readonly actor: Actor; readonly approval: ApprovalRequest }
  | {
      readonly type: "pr_created";
      readonly approvals: readonly ApprovalRequest[];
      readonly policy: ApprovalPolicySubject;
      readonly protected_paths: readonly string[];
      /** The changed files, so a dependency change can require its approval. */
      readonly files?: readonly { readonly path: string }[];
      /** Who started the run, for the policy's `require_independent_approval`. */
      readonly initiated_by?: string;
    }
  | { readonly type: "pr_merged"; readonly actor: Actor }
  | { readonly type: "pr_closed"; readonly actor: Actor }
  /** A commit landed on the feature branch after checks began: everything must be checked again. */
  | { readonly type: "new_commit"; readonly head_sha: string }
  | { readonly type: "cancel"; readonly actor: Actor }
  /** The attempt was stopped without a person deciding so (host shutdown, crash): the card waits for another. */
  | { readonly type: "agent_interrupted" }
  | { readonly type: "fail"; readonly reason: string; readonly kind?: FailureKind };

/** The `type` of an {@link AssignmentEvent}. */
export type AssignmentEventType = AssignmentEvent["type"];

/** Phases no event leaves. */
export const TERMINAL_ASSIGNMENT_PHASES: readonly AssignmentPhase[] = [
  "merged",
  "closed",
  "failed",
  "cancelled",
];

// Every phase that still takes events: derived, so a new phase is cancellable without another list to edit.
const LIVE: AssignmentPhase[] = ASSIGNMENT_PHASES.filter((p) => !TERMINAL_ASSIGNMENT_PHASES.includes(p));

/**
 * The assignment lifecycle as data. A card's pipeline: prepared (branch + worktree), dispatched to its
 * agent, its changes judged by the path rules, checked, approved by a person, proposed as a draft PR, and
 * finished when a person merges or closes that PR (observed, never performed).
 */
export const ASSIGNMENT_TRANSITIONS: TransitionTable<AssignmentPhase, AssignmentEventType> = [
  ...rows(["queued"], "start_preparing", "preparing"),
  ...rows(["preparing"], "workspace_ready", "ready"),
  ...rows(["preparing"], "preparation_failed", "failed"),
  ...rows(["ready"], "dispatch", "agent_running"),
  ...rows(["agent_running"], "agent_finished", "checking", "changes_within_path_rules"),
  ...rows(["agent_running"], "path_violation", "failed", "has_path_violations"),
  ...rows(["agent_running"], "agent_failed", "failed"),
  ...rows(["agent_running"], "agent_interrupted", "ready"),
  ...rows(["checking"], "request_approval", "awaiting_approval", "approval_gate_open"),
  ...rows(["checking"], "checks_failed", "checks_failed"),
  ...rows(["checks_failed"], "retry_checks", "checking"),
  ...rows(["checks_failed", "approval_rejected"], "redispatch", "agent_running"),
  ...rows(["awaiting_approval"], "approval_granted", "approved", "approved_by_user_for_head"),
  ...rows(["awaiting_approval"], "approval_rejected", "approval_rejected", "rejected_by_user_for_head"),
  ...rows(["approved"], "pr_created", "pr_open", "pull_request_gate_open"),
  ...rows(["pr_open"], "pr_merged", "merged", "observed_from_person"),
  ...rows(["pr_open"], "pr_closed", "closed", "observed_from_person"),
  ...rows(
    ["checking", "checks_failed", "awaiting_approval", "approval_rejected", "approved", "pr_open"],
    "new_commit",
    "checking",
    "head_moved",
  ),
  ...rows(LIVE, "cancel", "cancelled"),
  ...rows(LIVE, "fail", "failed"),
];

/** Decided by a person, or by a PR host reporting what a person did. */
function byPerson(actor: Actor, subject: string): GateReason[] {
  return actor.type === "user" || actor.type === "pr_host"
    ? []
    : [
        {
          code: "approval_not_by_user",
          subject,
          message: `only a person can do this, not ${actor.type}:${actor.id}`,
        },
      ];
}

function decisionGuard(
  a: CardAssignment,
  actor: Actor,
  approval: ApprovalRequest,
  status: "approved" | "rejected",
) {
  const reasons: GateReason[] = [];
  if (actor.type !== "user") {
    reasons.push({
      code: "approval_not_by_user",
      subject: approval.approval_type,
      message: `a decision must come from a user, not ${actor.type}:${actor.id}`,
    });
  }
  if (approval.status !== status || approval.resolved_by === null) {
    reasons.push({
      code: "approval_pending",
      subject: approval.approval_type,
      message: `the approval is ${approval.status}, not a recorded "${status}" decision`,
    });
  }
  if (approval.assignment_id !== a.id || approval.head_sha === null || approval.head_sha !== a.head_sha) {
    reasons.push({
      code: "approval_stale",
      subject: approval.approval_type,
      message: "the decision is not for this assignment's current head",
    });
  }
  return reasons;
}

type Guard = GuardFn<CardAssignment, AssignmentEvent>;

/** Guard implementations by name; each returns the reasons it refuses (empty = passes). */
const GUARDS: Record<string, Guard> = {
  changes_within_path_rules: (_a, e) =>
    e.type === "agent_finished" && e.path_violations.length === 0
      ? []
      : [
          {
            code: "changes_violate_path_rules",
            subject: "paths",
            message: "the agent's changes break the path rules",
          },
        ],
  has_path_violations: (_a, e) =>
    e.type === "path_violation" && e.path_violations.length > 0
      ? []
      : [
          {
            code: "changes_not_evaluated",
            subject: "paths",
            message: "a path violation must name the offending paths",
          },
        ],
  approval_gate_open: (a, e) =>
    e.type === "request_approval"
      ? approvalGateReasons(a, e.checks, e.policy)
      : [{ code: "check_missing", subject: "checks", message: "no check results given" }],
  approved_by_user_for_head: (a, e) =>
    e.type === "approval_granted" ? decisionGuard(a, e.actor, e.approval, "approved") : [],
  rejected_by_user_for_head: (a, e) =>
    e.type === "approval_rejected" ? decisionGuard(a, e.actor, e.approval, "rejected") : [],
  pull_request_gate_open: (a, e) =>
    e.type === "pr_created"
      ? pullRequestGateReasons(a, e.approvals, e.policy, {
          protected_paths: e.protected_paths,
          ...(e.files === undefined ? {} : { files: e.files }),
          ...(e.initiated_by === undefined ? {} : { initiated_by: e.initiated_by }),
        })
      : [{ code: "approval_missing", subject: "approvals", message: "no approvals given" }],
  observed_from_person: (_a, e) =>
    e.type === "pr_merged" || e.type === "pr_closed" ? byPerson(e.actor, e.type) : [],
  head_moved: (a, e) =>
    e.type === "new_commit" && e.head_sha !== a.head_sha
      ? []
      : [{ code: "no_head", subject: "head_sha", message: "the head did not move" }],
};

/** The failure an event records, for the events that can fail an assignment. */
function failureOf(e: AssignmentEvent): Failure | null {
  const failure = (kind: FailureKind, message: string): Failure => ({
    kind,
    message,
    event_id: null,
    assignment_id: null,
  });
  switch (e.type) {
    case "preparation_failed":
      return failure("preparation_failed", e.reason);
    case "path_violation":
      return failure(
        "path_violation",
        `the agent changed paths the rules forbid: ${e.path_violations.slice(0, 5).join(", ")}${e.path_violations.length > 5 ? ` and ${e.path_violations.length - 5} more` : ""}`,
      );
    case "agent_failed":
      return failure(e.kind ?? "agent_failed", e.reason);
    case "fail":
      return failure(e.kind ?? "internal", e.reason);
    default:
      return null;
  }
}

/** Fields an event writes besides the phase. */
function fieldsFrom(
  e: AssignmentEvent,
): Partial<Pick<CardAssignment, "worktree_path" | "base_sha" | "head_sha">> {
  switch (e.type) {
    case "workspace_ready":
      return { worktree_path: e.worktree_path, base_sha: e.base_sha };
    case "agent_finished":
    case "new_commit":
      return { head_sha: e.head_sha };
    case "path_violation":
      return e.head_sha === null ? {} : { head_sha: e.head_sha };
    default:
      return {};
  }
}

/**
 * The event a transition asks the orchestrator to append to the run's log, in the same write as the state.
 * When the transition records a failure, the payload carries it and the orchestrator sets the record's
 * `failure.event_id` to this event's id.
 */
export interface TransitionEffect {
  readonly type: "append_event";
  readonly event_type: "assignment.transitioned" | "run.transitioned";
  readonly payload: Readonly<Record<string, unknown>>;
}

/** A successful move: the next record and the effects to perform. The input record is untouched. */
export interface AssignmentTransition {
  readonly assignment: CardAssignment;
  readonly from: AssignmentPhase;
  readonly to: AssignmentPhase;
  readonly effects: readonly TransitionEffect[];
}

/** The events an assignment in `phase` accepts (guards not evaluated). */
export function allowedAssignmentEvents(phase: AssignmentPhase): AssignmentEventType[] {
  return allowedEventsIn(ASSIGNMENT_TRANSITIONS, phase);
}

/**
 * The pure transition of an assignment: looks `event` up in {@link ASSIGNMENT_TRANSITIONS}, evaluates the
 * guard, and returns the next record (phase, the status it maps to, fields the event carries, `updated_at`
 * = `now`) with the event to log. Refuses with `invalid_transition` naming the phase, the event and the
 * allowed events, or the guard and its reasons. Never performs anything; `version` is the storage's.
 */
export function transitionAssignment(
  assignment: CardAssignment,
  event: AssignmentEvent,
  now: string,
): Result<AssignmentTransition, InvalidTransitionError> {
  return selectRule("assignment", ASSIGNMENT_TRANSITIONS, GUARDS, assignment.phase, assignment, event).map(
    (rule) => {
      const failure = rule.to === "failed" ? failureOf(event) : null;
      const next: CardAssignment = {
        ...assignment,
        ...fieldsFrom(event),
        phase: rule.to,
        status: ASSIGNMENT_PHASE_STATUS[rule.to],
        failure,
        updated_at: now,
      };
      const effects: TransitionEffect[] = [
        {
          type: "append_event",
          event_type: "assignment.transitioned",
          payload: {
            assignment_id: assignment.id,
            from: assignment.phase,
            to: rule.to,
            event: event.type,
            ...(failure === null ? {} : { failure }),
          },
        },
      ];
      return { assignment: next, from: assignment.phase, to: rule.to, effects };
    },
  );
}
