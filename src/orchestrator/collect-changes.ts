import { ok, type ResultAsync, safeTry } from "neverthrow";
import type { RungateError } from "../core/errors.js";
import { type ChangeEvaluation, evaluateChanges } from "../core/policy/evaluate-changes.js";
import {
  AGENT_OUTCOMES,
  type AgentCommit,
  type AgentExecution,
  type AgentOutcome,
  type AgentTerminalReason,
  MAX_PERMISSION_DENIALS,
} from "../core/schemas/agent-execution.js";
import type { CardAssignment } from "../core/schemas/card-assignment.js";
import type { OrchestrationRun } from "../core/schemas/orchestration-run.js";
import type { SystemPolicyProfile } from "../core/schemas/system-policy-profile.js";
import { nameUuid } from "../core/snapshot/name-uuid.js";
import type { AgentDispatchOutcome } from "../ports/agent-dispatcher.js";
import type { AgentWorkFinding } from "../ports/git-port.js";
import { cardDiff } from "./card-diff.js";
import type { OrchestratorDeps } from "./deps.js";
import { interruptAttempt } from "./interrupt-attempt.js";
import { loadCard } from "./load.js";
import { eventDraft, systemActor } from "./persist.js";
import { advanceRun, applyAssignmentEventStored } from "./transitions.js";

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
  return cardDiff(deps, run, assignment, head, signal).andThen(({ files }) =>
    evaluateChanges(files, assignment, policy),
  );
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
    const loaded = yield* loadCard(deps, input.assignment_id);
    const { run, policy, assignment } = loaded;
    const clone_path = run.worktree_root ?? "";
    if (assignment.phase !== "agent_running") {
      const head = assignment.head_sha;
      const evaluation =
        head === null ? emptyEvaluation() : yield* readChanges(deps, run, assignment, policy, head, signal);
      return ok({ assignment, head_sha: head, evaluation });
    }
    // The agent's repository is read as a stranger's: its branch is imported into rungate's clone only when
    // HEAD, refs and files show clean commits on the card's branch; anything else fails the attempt, named.
    const base =
      assignment.base_sha ?? (yield* deps.git.headSha({ clone_path, ref: assignment.feature_branch }, opts));
    const imported = yield* deps.git.importWork(
      {
        clone_path,
        worktree_path: assignment.worktree_path ?? "",
        branch: assignment.feature_branch,
        base_sha: base,
      },
      opts,
    );
    const findings = imported.findings;
    const head = findings.length === 0 ? imported.head_sha : base;
    const commits = head === base ? [] : yield* deps.git.commitsSince({ clone_path, base, head }, opts);
    const evaluation =
      commits.length === 0
        ? emptyEvaluation()
        : yield* readChanges(deps, run, assignment, policy, head, signal);
    // An attempt whose process died (the dispatcher answers `interrupted`) is judged by what it left: clean
    // commits are its work, as for any attempt; nothing yet, or only uncommitted files, means it was cut
    // short: another attempt starts, rather than failing the card with a made-up reason.
    const cutShort =
      input.reported?.outcome === "interrupted" &&
      input.execution !== undefined &&
      findings.every((f) => f.code === "uncommitted_changes") &&
      (findings.length > 0 || commits.length === 0);
    if (cutShort && input.execution !== undefined) {
      const reason = "the process that ran the attempt ended before the agent did";
      const next = yield* interruptAttempt(
        deps,
        run,
        policy,
        assignment,
        input.execution,
        input.reported?.summary ?? null,
        reason,
      );
      return ok({ assignment: next, head_sha: null, evaluation: emptyEvaluation() });
    }
    const outcome = judgeAttempt(
      input.reported?.outcome,
      findings,
      commits.length,
      input.reported?.terminal_reason,
    );
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
            summary: withFindings(input.reported?.summary ?? input.execution.summary, findings),
            exit_code: input.reported?.exit_code ?? null,
            ...agentReport(input.reported),
          },
        ]
      : [];
    const violations = evaluation.violations.map((v) => v.path);
    const reason = [outcome, ...findings.map((f) => f.message)].join(": ");
    const event =
      outcome !== "committed"
        ? { type: "agent_failed" as const, reason, kind: failureKindOf(input.reported?.terminal_reason) }
        : violations.length > 0
          ? { type: "path_violation" as const, head_sha: head, path_violations: violations }
          : { type: "agent_finished" as const, head_sha: head, path_violations: [] };
    const { assignment: next, advanced } = yield* applyAssignmentEventStored(
      deps,
      run,
      assignment,
      event,
      systemActor(deps),
      {
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
            violations: evaluation.violations.map((v) => ({
              path: v.path,
              verdict: v.verdict,
              rule: v.rule,
            })),
            findings: findings.map((f) => ({ code: f.code, message: f.message })),
            agent: agentSummary(agentReport(input.reported)),
          }),
          ...(imported.remote_refs_moved.length === 0
            ? []
            : [
                eventDraft(deps, run, "remote.refs_moved", systemActor(deps), {
                  assignment_id: assignment.id,
                  refs: [...imported.remote_refs_moved],
                }),
              ]),
        ],
      },
      loaded.state,
    );
    if (!advanced) yield* advanceRun(deps, run.id, systemActor(deps));
    return ok({ assignment: next, head_sha: head, evaluation });
  });
}

/**
 * Outcomes an agent reports that fail the attempt whatever git shows (its own word of a problem is
 * believed): every outcome but the claim of success, no change, and a cancel (which ends the run another way).
 */
const REPORTED_FAILURES: ReadonlySet<AgentOutcome> = new Set(
  AGENT_OUTCOMES.filter(
    (o) => o !== "committed" && o !== "no_changes" && o !== "cancelled" && o !== "interrupted",
  ),
);

/**
 * How an attempt ended: a failure the agent reported stands; then the first finding git made in its
 * repository (never `committed` with a finding, whatever the commits); then commits or none.
 */
export function judgeAttempt(
  reported: AgentOutcome | undefined,
  findings: readonly AgentWorkFinding[],
  commits: number,
  terminal: AgentTerminalReason | null | undefined = null,
): AgentOutcome {
  if (reported !== undefined && REPORTED_FAILURES.has(reported)) return reported;
  // A session stopped short (a limit, no credential, an error) did not finish its task: whatever it
  // committed is half a change, not one to check and propose.
  if (terminal === "timeout") return "timed_out";
  if (terminal !== null && terminal !== undefined && terminal !== "completed" && terminal !== "cancelled") {
    return "agent_error";
  }
  const first = findings[0];
  if (first !== undefined) return first.code;
  return commits === 0 ? "no_changes" : "committed";
}

/** The failure kind of an attempt whose session ended for `terminal`. */
function failureKindOf(
  terminal: AgentTerminalReason | null | undefined,
): "agent_failed" | "agent_timed_out" | "budget_exhausted" {
  if (terminal === "budget") return "budget_exhausted";
  if (terminal === "timeout") return "agent_timed_out";
  return "agent_failed";
}

/** What an execution keeps of the agent's own report (bounded: denials are capped, the first ones kept). */
function agentReport(reported: AgentDispatchOutcome | undefined) {
  return {
    session_id: reported?.session_id ?? null,
    usage: reported?.usage ?? null,
    cost_usd: reported?.cost_usd ?? null,
    num_turns: reported?.num_turns ?? null,
    terminal_reason: reported?.terminal_reason ?? null,
    permission_denials: (reported?.permission_denials ?? []).slice(0, MAX_PERMISSION_DENIALS),
    final_message: reported?.final_message ?? null,
  };
}

/** What the changes event says of the agent's report: its spend and end, the denials counted. */
function agentSummary(report: ReturnType<typeof agentReport>) {
  const { permission_denials, final_message: _final, ...rest } = report;
  return { ...rest, permission_denials: permission_denials.length };
}

/** The execution's summary with what git found appended, so the stored record says why it failed. */
function withFindings(summary: string | null, findings: readonly AgentWorkFinding[]): string | null {
  if (findings.length === 0) return summary;
  const found = findings.map((f) => `rungate: ${f.code}: ${f.message}`).join("\n");
  return summary === null ? found : `${summary}\n${found}`;
}

/** The evaluation of no changes at all. */
export function emptyEvaluation(): ChangeEvaluation {
  return { files: [], ok: true, violations: [], protected_paths: [], needs_approval: null };
}
