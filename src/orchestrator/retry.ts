import { errAsync, ok, type ResultAsync, safeTry } from "neverthrow";
import { z } from "zod";
import { type RungateError, rungateError } from "../core/errors.js";
import { latestBy } from "../core/gates/latest.js";
import { parseInput } from "../core/parse.js";
import { actorOf } from "../core/schemas/actor-id.js";
import type { CardAssignment } from "../core/schemas/card-assignment.js";
import type { RunCheckType } from "../core/schemas/check-type.js";
import { Uuid } from "../core/schemas/primitives.js";
import type { RunCheck } from "../core/schemas/run-check.js";
import type { AssignmentChanges } from "./collect-changes.js";
import type { OrchestratorDeps } from "./deps.js";
import { dispatchAssignment } from "./dispatch-assignment.js";
import { type ChecksOutcome, executeChecks } from "./execute-checks.js";
import { loadCard } from "./load.js";
import { observeHead } from "./observe-head.js";
import { eventDraft, systemActor } from "./persist.js";
import { advanceRun, applyAssignmentEvent } from "./transitions.js";

/** A request to run a card's failed checks again, or to give the card a new agent attempt. */
export const RetryInput = z.object({
  assignment_id: Uuid,
  /** Who asks, `type:id` (a bare id is a user); default rungate itself. Recorded on the events. */
  requested_by: z.string().min(1).max(512).optional(),
});
/** What a host passes to {@link retryChecks}. */
export type RetryInput = z.input<typeof RetryInput>;

/** A {@link RetryInput} with optional text for the agent. */
export const RedispatchInput = RetryInput.extend({
  /** Added to the agent's task after the failing checks' output (a reviewer's words, say). */
  feedback: z.string().max(20_000).optional(),
});
/** What a host passes to {@link redispatch}. */
export type RedispatchInput = z.input<typeof RedispatchInput>;

const NOT_PASSING = new Set<RunCheck["status"]>(["failed", "error"]);

/** The latest result of each check type of `assignment` on `head`. */
function latestChecks(checks: readonly RunCheck[], assignment: CardAssignment, head: string): RunCheck[] {
  const mine = checks.filter((c) => c.assignment_id === assignment.id && c.head_sha === head);
  const types = [...new Set(mine.map((c) => c.check_type))];
  return types.flatMap((t) => {
    const latest = latestBy(
      mine.filter((c) => c.check_type === t),
      (c) => c.executed_at,
    );
    return latest ? [latest] : [];
  });
}

function notIn(assignment: CardAssignment, phases: readonly string[], operation: string): RungateError {
  return rungateError("invalid_transition", `${operation}_not_allowed`, {
    machine: "assignment",
    state: assignment.phase,
    event: operation,
    allowed_events: [],
    reasons: [
      {
        code: "check_missing",
        subject: assignment.id,
        message: `${operation} needs the card in ${phases.join(" or ")}, and it is ${assignment.phase}`,
      },
    ],
  });
}

/**
 * Runs a card's failed and errored checks again on the same head, without a new agent attempt (flaky
 * checks): the card goes from `checks_failed` back to `checking`, only those checks run, and the gate decides
 * again from the newest result of each. A head that moved since is checked whole instead (`new_commit`).
 * Not in `checks_failed`: `invalid_transition`.
 */
export function retryChecks(
  deps: OrchestratorDeps,
  input: RetryInput,
  signal?: AbortSignal,
): ResultAsync<ChecksOutcome, RungateError> {
  return safeTry<ChecksOutcome, RungateError>(async function* () {
    const { assignment_id, requested_by } = yield* parseInput(RetryInput, input);
    const actor = requested_by === undefined ? systemActor(deps) : actorOf(requested_by);
    const loaded = yield* loadCard(deps, assignment_id);
    const { run } = loaded;
    const assignment = yield* observeHead(deps, run, loaded.assignment, signal);
    if (assignment.phase === "checking") return executeChecks(deps, { assignment_id }, signal);
    if (assignment.phase !== "checks_failed" || assignment.head_sha === null) {
      return errAsync(notIn(assignment, ["checks_failed"], "retry_checks"));
    }
    const head = assignment.head_sha;
    const failing = latestChecks(yield* deps.storage.listChecks(run.id), assignment, head)
      .filter((c) => NOT_PASSING.has(c.status))
      .map((c) => c.check_type);
    yield* applyAssignmentEvent(deps, run, assignment, { type: "retry_checks" }, actor, {
      events: [
        eventDraft(deps, run, "checks.retried", actor, {
          assignment_id,
          head_sha: head,
          check_types: failing,
        }),
      ],
    });
    yield* advanceRun(deps, run.id, actor);
    return executeChecks(deps, { assignment_id }, signal, new Set<RunCheckType>(failing));
  });
}

/**
 * Gives a card whose checks failed (or whose approval was rejected) a new agent attempt on the same branch,
 * with the failing checks' output and the rejection's notes as feedback in its task, then collects its
 * changes and runs the checks. Counts against `agent_policy.max_attempts` (`conflict`, `attempts_exhausted`,
 * when used up). In another phase: `invalid_transition`.
 */
export function redispatch(
  deps: OrchestratorDeps,
  input: RedispatchInput,
  signal?: AbortSignal,
): ResultAsync<AssignmentChanges, RungateError> {
  return safeTry<AssignmentChanges, RungateError>(async function* () {
    const { assignment_id, requested_by, feedback } = yield* parseInput(RedispatchInput, input);
    const loaded = yield* loadCard(deps, assignment_id);
    const { run } = loaded;
    const assignment = yield* observeHead(deps, run, loaded.assignment, signal);
    const phases = ["checks_failed", "approval_rejected"];
    if (!phases.includes(assignment.phase)) return errAsync(notIn(assignment, phases, "redispatch"));
    const head = assignment.head_sha;
    const checks =
      head === null ? [] : latestChecks(yield* deps.storage.listChecks(run.id), assignment, head);
    const approvals = (yield* deps.storage.listApprovals(run.id)).filter(
      (a) => a.assignment_id === assignment.id && a.head_sha === head && a.status === "rejected",
    );
    const text = feedbackText(checks, approvals, feedback, requested_by);
    const changes = yield* dispatchAssignment(deps, { assignment_id }, signal, { feedback: text });
    yield* advanceRun(deps, run.id, systemActor(deps));
    if (changes.assignment.phase === "checking") yield* executeChecks(deps, { assignment_id }, signal);
    return ok({ ...changes, assignment: yield* deps.storage.getAssignment(assignment_id) });
  });
}

// Enough of each failing check's output for an agent to act on, without handing it megabytes.
const OUTPUT_PER_CHECK = 4_000;

/** The feedback an agent gets on a new attempt: what failed, what the person said. */
function feedbackText(
  checks: readonly RunCheck[],
  rejections: readonly {
    readonly approval_type: string;
    readonly notes: string | null;
    readonly resolved_by: string | null;
  }[],
  extra: string | undefined,
  requested_by: string | undefined,
): string {
  const lines = ["Feedback on the previous attempt:"];
  for (const c of checks.filter((x) => NOT_PASSING.has(x.status))) {
    const all = c.output ?? "(no output)";
    const output = all.length > OUTPUT_PER_CHECK ? `…${all.slice(-OUTPUT_PER_CHECK)}` : all;
    lines.push(`- The ${c.check_type} check ${c.status === "error" ? "could not run" : "failed"}:`, output);
  }
  for (const r of rejections) {
    lines.push(
      `- ${r.resolved_by ?? "A person"} rejected "${r.approval_type}"${r.notes ? `: ${r.notes}` : ""}`,
    );
  }
  if (extra !== undefined)
    lines.push(`- ${requested_by === undefined ? "The host" : actorOf(requested_by).id} says: ${extra}`);
  return lines.join("\n");
}
