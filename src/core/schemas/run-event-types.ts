import { err, ok, type Result } from "neverthrow";
import { z } from "zod";
import { rungateError, type ValidationError } from "../errors.js";
import { toFieldIssues } from "../parse.js";
import { AgentOutcome } from "./agent-execution.js";
import { ApprovalType } from "./approval-type.js";
import { RunCheckType } from "./check-type.js";
import { Failure } from "./failure.js";
import { AssignmentPhase, RunPhase } from "./phases.js";
import { GitSha, Uuid } from "./primitives.js";
import { PullRequestStatus } from "./pull-request-candidate.js";
import { RunCheckStatus } from "./run-check.js";
import { RunEvent } from "./run-event.js";

// Payloads are loose: a reader of an older or newer log keeps keys it does not know.
const payload = <S extends z.ZodRawShape>(shape: S) => z.looseObject(shape);
const card = { assignment_id: Uuid };

/**
 * Every event rungate writes to a run's log: its `event_type`, what it means, and the schema of its
 * `payload`. The table of `docs/events.md` is generated from this (`scripts/events-doc.ts`).
 */
export const RUN_EVENT_CATALOGUE = {
  "run.created": {
    about: "A run was validated against its policy and stored, with its snapshots' hashes.",
    payload: payload({
      scope: z.enum(["workflow", "card"]),
      cards: z.number().int(),
      planned_checks: z.array(RunCheckType),
      snapshot_hashes: z.looseObject({ system_policy: z.string(), run_input: z.string() }).nullable(),
    }),
  },
  "assignment.created": {
    about: "A card's assignment was stored with its branch and path rules.",
    payload: payload({
      ...card,
      card_id: Uuid,
      feature_branch: z.string(),
      allowed_paths: z.array(z.string()),
      forbidden_paths: z.array(z.string()),
    }),
  },
  "run.transitioned": {
    about: "The run moved from one phase to another; `failure` says why when it moved to `failed`.",
    payload: payload({ from: RunPhase, to: RunPhase, event: z.string(), failure: Failure.optional() }),
  },
  "assignment.transitioned": {
    about: "A card moved from one phase to another; `failure` says why when it moved to `failed`.",
    payload: payload({
      ...card,
      from: AssignmentPhase,
      to: AssignmentPhase,
      event: z.string(),
      failure: Failure.optional(),
    }),
  },
  "assignment.branch_rebuilt": {
    about: "A card built again took over its branch from earlier runs that ended; the old tip is kept.",
    payload: payload({
      ...card,
      feature_branch: z.string(),
      replaced_sha: GitSha.nullable(),
      kept_as: z.string().nullable(),
      earlier_runs: z.array(Uuid),
    }),
  },
  "agent.dispatched": {
    about:
      "An agent attempt was recorded and is about to start; `feedback` is what it was told of the last one.",
    payload: payload({
      ...card,
      execution_id: Uuid,
      attempt: z.number().int(),
      dispatcher: z.string(),
      feedback: z.string().optional(),
    }),
  },
  "agent.progress": {
    about:
      "A line the agent reported while working (redacted, at most one per `progress_interval_ms`); `item` is its typed form (message, tool_call, file_edit, command, usage) when the agent reports one.",
    payload: payload({
      ...card,
      execution_id: Uuid,
      message: z.string(),
      dropped: z.number().int(),
      item: z.looseObject({ kind: z.string() }).optional(),
    }),
  },
  "agent.budget_exhausted": {
    about:
      "A card's or run's agent budget is spent: an attempt was refused (`execution_id` null) or stopped when its reported usage passed its share (`budget` names the cap or the attempt's limit).",
    payload: payload({
      ...card,
      execution_id: Uuid.nullable(),
      budget: z.string(),
      spent: z.number(),
      cap: z.number(),
    }),
  },
  "agent.interrupted": {
    about: "An attempt stopped without a person deciding so (host shutdown, crash); another may follow.",
    payload: payload({
      ...card,
      execution_id: Uuid,
      attempt: z.number().int(),
      max_attempts: z.number().int(),
      reason: z.string(),
    }),
  },
  "assignment.changes_collected": {
    about: "What the agent actually committed, read from git: files with their verdicts, findings, outcome.",
    payload: payload({
      ...card,
      head_sha: GitSha.nullable(),
      outcome: AgentOutcome,
      commits: z.array(GitSha),
      ok: z.boolean(),
      files: z.array(z.looseObject({ path: z.string(), status: z.string(), verdict: z.string() })),
      violations: z.array(z.looseObject({ path: z.string(), verdict: z.string(), rule: z.string() })),
      findings: z.array(z.looseObject({ code: z.string(), message: z.string() })),
      /** The agent's own report: session, usage, cost, turns, terminal reason, permission denials counted. */
      agent: z.looseObject({ terminal_reason: z.string().nullable() }).optional(),
    }),
  },
  "remote.refs_moved": {
    about: "Refs on the remote changed while the agent ran (something reached it that should not have).",
    payload: payload({ ...card, refs: z.array(z.unknown()) }),
  },
  "assignment.head_moved": {
    about: "A commit landed on the card's branch after its checks began: everything is checked again.",
    payload: payload({ ...card, from: GitSha.nullable(), to: GitSha, phase_before: AssignmentPhase }),
  },
  "check.prepared": {
    about:
      "The check runner installed the dependencies of a check's fresh tree before the check (its prepare step).",
    payload: payload({
      ...card,
      check_type: RunCheckType,
      head_sha: GitSha,
      command: z.string(),
      status: z.enum(["passed", "failed", "error"]),
      duration_ms: z.number().int().nonnegative(),
    }),
  },
  "check.completed": {
    about: "A check finished on a head and its result was stored.",
    payload: payload({
      ...card,
      check_id: Uuid,
      check_type: RunCheckType,
      status: RunCheckStatus,
      head_sha: GitSha,
      duration_ms: z.number().int().nullable(),
    }),
  },
  "checks.retried": {
    about: "The failed and errored checks of a head were asked to run again.",
    payload: payload({ ...card, head_sha: GitSha, check_types: z.array(RunCheckType) }),
  },
  "approval.gate_closed": {
    about: "The approval gate stayed closed after the checks; the reasons name what failed.",
    payload: payload({
      ...card,
      head_sha: GitSha.nullable(),
      reasons: z.array(z.looseObject({ code: z.string(), subject: z.string(), message: z.string() })),
    }),
  },
  "approval.requested": {
    about: "A person's approval was asked for, for one head.",
    payload: payload({
      ...card,
      approval_id: Uuid,
      approval_type: ApprovalType,
      head_sha: GitSha,
      protected_paths: z.array(z.string()),
    }),
  },
  "approval.decided": {
    about: "A person approved or rejected a request.",
    payload: payload({
      ...card,
      approval_id: Uuid,
      approval_type: ApprovalType,
      decision: z.enum(["approved", "rejected"]),
      head_sha: GitSha.nullable(),
      notes: z.string().nullable(),
    }),
  },
  "approval.carried": {
    about:
      "A person's approval was carried to a new head with the same content digest (a reworded commit, a rebase onto the same base): no new decision was needed.",
    payload: payload({
      ...card,
      approval_id: Uuid,
      approval_type: ApprovalType,
      head_sha: GitSha,
      content_digest: z.string(),
      from_approval_id: Uuid,
      from_head_sha: GitSha.nullable(),
      approved_by: z.string(),
    }),
  },
  "assignment.remote_branch_replaced": {
    about:
      "A card built again pushed its approved head over what its branch on the remote still held: exactly the head of an earlier run's merged or closed pull request (`replaced_sha`), never anything else.",
    payload: payload({
      ...card,
      feature_branch: z.string(),
      replaced_sha: GitSha,
      head_sha: GitSha,
      earlier_run_id: Uuid,
      earlier_pull_request_id: Uuid,
      earlier_pr_url: z.string().nullable(),
      earlier_status: z.enum(["merged", "closed"]),
    }),
  },
  "pull_request.review_requested": {
    about:
      "The PR host was asked for a review of the drafted PR (the approvers and the policy's teams) and its labels.",
    payload: payload({
      ...card,
      pr_url: z.string(),
      reviewers: z.array(z.string()),
      team_reviewers: z.array(z.string()),
      labels: z.array(z.string()),
    }),
  },
  "pull_request.review_not_requested": {
    about: "The PR host refused the review request or the labels of a drafted PR; the PR stands.",
    payload: payload({
      ...card,
      pr_url: z.string(),
      reviewers: z.array(z.string()),
      team_reviewers: z.array(z.string()),
      labels: z.array(z.string()),
      reason: z.string(),
    }),
  },
  "commit_status.unpublished": {
    about:
      "A check's result could not be mirrored as a commit status on the PR host (the head is not pushed yet, or the host refused); rungate's own gates are unaffected.",
    payload: payload({ ...card, head_sha: GitSha, context: z.string(), reason: z.string() }),
  },
  "pull_request.drafted": {
    about: "A draft pull request was opened on the PR host for the approved head.",
    payload: payload({
      ...card,
      pull_request_id: Uuid,
      pr_url: z.string().nullable(),
      host: z.string(),
      head_sha: GitSha,
      status: PullRequestStatus,
    }),
  },
  "pull_request.observed": {
    about: "What a person did on the PR host (merged, closed, marked ready) was recorded.",
    payload: payload({
      ...card,
      pull_request_id: Uuid,
      pr_url: z.string().nullable(),
      from: PullRequestStatus,
      to: PullRequestStatus,
      decided_by: z.string().nullable(),
    }),
  },
  "run.cleaned_up": {
    about: "A finished run's worktrees were removed and its branches deleted or kept (with why).",
    payload: payload({
      removed_worktrees: z.array(z.string()),
      deleted_branches: z.array(z.looseObject({ branch: z.string(), sha: GitSha })),
      kept_branches: z.array(z.looseObject({ branch: z.string(), reason: z.string() })),
    }),
  },
} as const satisfies Record<string, { readonly about: string; readonly payload: z.ZodType }>;

/** Every `event_type` rungate writes. */
export type RunLogEventType = keyof typeof RUN_EVENT_CATALOGUE;
/** Every `event_type` rungate writes, as data. */
export const RUN_LOG_EVENT_TYPES = Object.keys(RUN_EVENT_CATALOGUE) as RunLogEventType[];

/** The payload of an event of type `T`, as written. */
export type RunLogEventPayload<T extends RunLogEventType> = z.input<
  (typeof RUN_EVENT_CATALOGUE)[T]["payload"]
>;

/** A stored event whose `event_type` is `T`, its payload typed. */
export type RunEventOf<T extends RunLogEventType> = Omit<RunEvent, "event_type" | "payload"> & {
  readonly event_type: T;
  readonly payload: z.infer<(typeof RUN_EVENT_CATALOGUE)[T]["payload"]>;
};

/** A stored event of any type rungate writes; switch on `event_type` to get its payload's type. */
export type TypedRunEvent = { [T in RunLogEventType]: RunEventOf<T> }[RunLogEventType];

/** The zod schema of {@link TypedRunEvent}: one member per event type, discriminated by `event_type`. */
export const TypedRunEvent = z.discriminatedUnion(
  "event_type",
  RUN_LOG_EVENT_TYPES.map((type) =>
    RunEvent.extend({ event_type: z.literal(type), payload: RUN_EVENT_CATALOGUE[type].payload }),
  ) as unknown as [z.ZodObject, ...z.ZodObject[]],
);

/**
 * Reads a stored event as one of rungate's typed events: `validation` (`unknown_event_type` or
 * `invalid_event_payload`) for an event another writer added or a payload that does not fit.
 */
export function parseRunEvent(event: unknown): Result<TypedRunEvent, ValidationError> {
  const parsed = TypedRunEvent.safeParse(event);
  if (parsed.success) return ok(parsed.data as unknown as TypedRunEvent);
  const type = (event as { event_type?: unknown } | null)?.event_type;
  const known = typeof type === "string" && (RUN_LOG_EVENT_TYPES as readonly string[]).includes(type);
  return err(
    rungateError("validation", known ? "invalid_event_payload" : "unknown_event_type", {
      issues: toFieldIssues(parsed.error),
    }),
  );
}
