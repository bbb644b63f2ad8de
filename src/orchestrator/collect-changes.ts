import { ok, type ResultAsync, safeTry } from "neverthrow";
import type { RungateError } from "../core/errors.js";
import { type ChangeEvaluation, evaluateChanges } from "../core/policy/evaluate-changes.js";
import type { AgentCommit, AgentExecution, AgentOutcome } from "../core/schemas/agent-execution.js";
import type { CardAssignment } from "../core/schemas/card-assignment.js";
import type { OrchestrationRun } from "../core/schemas/orchestration-run.js";
import type { SystemPolicyProfile } from "../core/schemas/system-policy-profile.js";
import { nameUuid } from "../core/snapshot/name-uuid.js";
import type { AgentDispatchOutcome } from "../ports/agent-dispatcher.js";
import type { OrchestratorDeps } from "./deps.js";
import { loadAssignment } from "./load.js";
import { eventDraft, systemActor } from "./persist.js";
import { advanceRun, applyAssignmentEvent } from "./transitions.js";

/** A card's changes as the UI shows them: each file with its diff status and its path-rule verdict. */
export interface AssignmentChanges {
  readonly assignment: CardAssignment;
  readonly head_sha: string | null;
  readonly evaluation: ChangeEvaluation;
}

/**
 * What the agent *actually* changed: its feature branch head, the files that differ from the base and the
 * path rules' verdict on each, read from git (never from the agent's own report). Read-only.
 */
export function readChanges(
  deps: OrchestratorDeps,
  run: Pick<OrchestrationRun, "worktree_root">,
  assignment: CardAssignment,
  policy: SystemPolicyProfile,
  head: string,
  signal?: AbortSignal,
): ResultAsync<ChangeEvaluation, RungateError> {
  const opts = signal === undefined ? {} : { signal };
  const clone_path = run.worktree_root ?? "";
  return deps.git
    .changedFiles({ clone_path, base: assignment.base_sha ?? head, head }, opts)
    .andThen((files) => evaluateChanges(files, assignment, policy));
}

/**
 * After an agent finished (or after a crash while it ran): reads its commits and changes back from git,
 * judges them with the path rules, and records the outcome in one write: the agent's commits, the
 * execution's end, the changed files with their verdicts, and the assignment's move to `checking`
 * (`agent_finished`), `failed` (`path_violation`, offending paths named) or `failed` (`agent_failed`: no
 * commit, an agent error, a timeout). An assignment no longer `agent_running` is answered as it stands.
 */
export function collectChanges(
  deps: OrchestratorDeps,
  input: {
    readonly assignment_id: string;
    readonly execution?: AgentExecution;
    readonly reported?: AgentDispatchOutcome;
  },
  signal?: AbortSignal,
): ResultAsync<AssignmentChanges, RungateError> {
  const opts = signal === undefined ? {} : { signal };
  return safeTry<AssignmentChanges, RungateError>(async function* () {
    const { run, policy, assignment } = yield* loadAssignment(deps, input.assignment_id);
    const clone_path = run.worktree_root ?? "";
    if (assignment.phase !== "agent_running") {
      const head = assignment.head_sha;
      const evaluation =
        head === null ? emptyEvaluation() : yield* readChanges(deps, run, assignment, policy, head, signal);
      return ok({ assignment, head_sha: head, evaluation });
    }
    const head = yield* deps.git.headSha({ clone_path, ref: assignment.feature_branch }, opts);
    const base = assignment.base_sha ?? head;
    const commits = head === base ? [] : yield* deps.git.commitsSince({ clone_path, base, head }, opts);
    const evaluation =
      commits.length === 0
        ? emptyEvaluation()
        : yield* readChanges(deps, run, assignment, policy, head, signal);
    const reportedFailure =
      input.reported?.outcome === "agent_error" || input.reported?.outcome === "timed_out";
    const outcome: AgentOutcome = reportedFailure
      ? (input.reported?.outcome ?? "agent_error")
      : commits.length === 0
        ? input.reported?.outcome === "uncommitted_changes" || input.reported?.outcome === "wrong_branch"
          ? input.reported.outcome
          : "no_changes"
        : "committed";
    const now = deps.clock.now();
    const agentCommits: AgentCommit[] = commits.map((c) => ({
      id: nameUuid(`agent-commit:${assignment.id}:${c.sha}`),
      assignment_id: assignment.id,
      sha: c.sha,
      branch: assignment.feature_branch,
      message: c.message,
      committed_at: c.committed_at,
    }));
    const executions = input.execution
      ? [
          {
            ...input.execution,
            status: outcome === "committed" ? ("completed" as const) : ("failed" as const),
            outcome,
            ended_at: now,
            summary: input.reported?.summary ?? input.execution.summary,
          },
        ]
      : [];
    const violations = evaluation.violations.map((v) => v.path);
    const event =
      outcome !== "committed"
        ? { type: "agent_failed" as const, reason: outcome }
        : violations.length > 0
          ? { type: "path_violation" as const, head_sha: head, path_violations: violations }
          : { type: "agent_finished" as const, head_sha: head, path_violations: [] };
    const next = yield* applyAssignmentEvent(deps, run, assignment, event, systemActor(deps), {
      commits: agentCommits,
      executions,
      events: [
        eventDraft(deps, run, "assignment.changes_collected", systemActor(deps), {
          assignment_id: assignment.id,
          head_sha: head,
          outcome,
          commits: commits.map((c) => c.sha),
          ok: evaluation.ok,
          files: evaluation.files.map((f) => ({
            path: f.path,
            status: f.status,
            previous_path: f.previous_path,
            verdict: f.verdict,
          })),
          violations: evaluation.violations.map((v) => ({ path: v.path, verdict: v.verdict, rule: v.rule })),
        }),
      ],
    });
    yield* advanceRun(deps, run.id, systemActor(deps));
    return ok({ assignment: next, head_sha: head, evaluation });
  });
}

function emptyEvaluation(): ChangeEvaluation {
  return { files: [], ok: true, violations: [], protected_paths: [], needs_approval: null };
}
