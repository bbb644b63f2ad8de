import type { ResultAsync } from "neverthrow";
import { z } from "zod";
import type { RungateError } from "../core/errors.js";
import { parseInput } from "../core/parse.js";
import type { PullRequestEvidence } from "../core/pull-request/evidence.js";
import type { SecretRedactor } from "../core/redaction/secret-redactor.js";
import type { CardAssignment } from "../core/schemas/card-assignment.js";
import { Uuid } from "../core/schemas/primitives.js";
import type { PullRequestCandidate } from "../core/schemas/pull-request-candidate.js";
import type { TypedRunEvent } from "../core/schemas/run-event-types.js";
import { type RunListPage, RunListQuery, type RunListQueryInput } from "../core/schemas/run-list.js";
import type { RungatePorts } from "../ports/ports.js";
import { type CancelRunInput, cancelRun } from "./cancel-run.js";
import { createCardRuns } from "./card-runs.js";
import {
  type CleanupReport,
  type CleanupRunInput,
  cleanupRun,
  type PruneReport,
  type PruneWorktreesInput,
  pruneWorktrees,
} from "./clean-up.js";
import { type AssignmentChanges, collectChanges } from "./collect-changes.js";
import { createAssignment } from "./create-assignment.js";
import { createPullRequestCandidate } from "./create-pull-request-candidate.js";
import { type CreatedRun, type CreateRunRequest, createRun } from "./create-run.js";
import type { OrchestratorDeps } from "./deps.js";
import { dispatchAssignment } from "./dispatch-assignment.js";
import { createEventHub } from "./event-hub.js";
import { type EventsQuery, eventStream } from "./event-stream.js";
import { type EvidenceVerification, exportEvidence, verifyEvidence } from "./evidence.js";
import { type ChecksOutcome, executeChecks } from "./execute-checks.js";
import { loadRunState, type RunState } from "./load.js";
import { observePullRequest } from "./observe-pull-request.js";
import {
  type ApprovalDecision,
  type ApprovalDecisionInput,
  recordApprovalDecision,
} from "./record-approval-decision.js";
import { RedactionOptions, redactorFor } from "./redaction.js";
import { type ApprovalRequested, requestApproval } from "./request-approval.js";
import { type RedispatchInput, type RetryInput, redispatch, retryChecks } from "./retry.js";
import { createRunWakeups } from "./run-wakeups.js";
import { createRunWork } from "./run-work.js";
import { type BuildOutcome, resumeRun, triggerBuild } from "./trigger-build.js";

/** Options of {@link createOrchestrator}; every field has a default. */
export const OrchestratorOptionsInput = z.object({
  concurrency: z.number().int().min(1).max(256).default(4),
  check_concurrency: z.number().int().min(1).max(64).default(4),
  dispatch_timeout_ms: z.number().int().positive().optional(),
  check_timeout_ms: z.number().int().positive().optional(),
  system_actor: z.string().min(1).default("rungate"),
  /**
   * How often (ms) a run with agents or checks in flight in this process is read to see a cancel made by
   * another process sharing the store; 0 turns that off (a cancel made here stops them at once regardless).
   */
  cancel_poll_ms: z.number().int().min(0).max(60_000).default(1_000),
  /**
   * An agent's progress lines are stored as `agent.progress` events, at most one per this many ms (0: every
   * line); `null` stores none.
   */
  progress_interval_ms: z.number().int().min(0).max(600_000).nullable().default(1_000),
  /**
   * The `target_url` of the commit statuses rungate publishes on the PR host (when it offers them): a URL
   * template where `{run_id}`, `{assignment_id}` and `{check_type}` are replaced, e.g.
   * `https://app.example/runs/{run_id}`. Default `null`: statuses without a link.
   */
  status_target_url: z.url().max(2_000).nullable().default(null),
  ...RedactionOptions,
});
/** What a host may pass as orchestrator options. */
export type OrchestratorOptionsInput = z.input<typeof OrchestratorOptionsInput>;

const AssignmentRef = z.object({ assignment_id: Uuid });
const RunRef = z.object({ run_id: Uuid });

/** Options of a call that may take long. */
export interface CallOptions {
  readonly signal?: AbortSignal;
}

/**
 * rungate's use cases bound to one set of ports. Every method returns a `ResultAsync` whose error is a
 * `RungateError`; none throws. There is no merge method, by design.
 */
export interface Orchestrator {
  /** Validates and stores a run with its queued assignments. */
  createRun(request: CreateRunRequest): ResultAsync<CreatedRun, RungateError>;
  /** Prepares one card: feature branch and worktree in the clone at `clone_path`. */
  createAssignment(
    input: { assignment_id: string; clone_path: string },
    options?: CallOptions,
  ): ResultAsync<CardAssignment, RungateError>;
  /** Dispatches a prepared card to its agent and collects what it changed. */
  dispatchAssignment(
    input: { assignment_id: string },
    options?: CallOptions,
  ): ResultAsync<AssignmentChanges, RungateError>;
  /** What a card's agent actually changed, each file with its diff status and path-rule verdict. */
  collectChanges(
    input: { assignment_id: string },
    options?: CallOptions,
  ): ResultAsync<AssignmentChanges, RungateError>;
  /** Runs the planned checks on a card's head, then asks for approval if the gate opens. */
  executeChecks(
    input: { assignment_id: string },
    options?: CallOptions,
  ): ResultAsync<ChecksOutcome, RungateError>;
  /** Opens the approval requests of a checked card, only through the approval gate. */
  requestApproval(input: { assignment_id: string }): ResultAsync<ApprovalRequested, RungateError>;
  /** Records a user's decision on an approval request, once. */
  recordApprovalDecision(
    input: { run_id: string } & ApprovalDecisionInput,
  ): ResultAsync<ApprovalDecision, RungateError>;
  /** Proposes an approved card as a draft PR, only through the pull-request gate. */
  createPullRequestCandidate(
    input: { assignment_id: string },
    options?: CallOptions,
  ): ResultAsync<PullRequestCandidate, RungateError>;
  /**
   * Checks a PR body's evidence block (which ends every body rungate drafts) against storage: `verified` only
   * when nothing in the body or the records it names changed since.
   */
  verifyEvidence(input: { body: string }): ResultAsync<EvidenceVerification, RungateError>;
  /** The evidence of a card's draft PR, recomputed from storage, as JSON for audits. */
  exportEvidence(input: { assignment_id: string }): ResultAsync<PullRequestEvidence, RungateError>;
  /** Records what a person did on the PR host (merge, close, ready). */
  observePullRequest(
    input: { assignment_id: string },
    options?: CallOptions,
  ): ResultAsync<PullRequestCandidate, RungateError>;
  /** The whole automated flow: create, prepare, dispatch, collect, check, request approval. */
  triggerBuild(request: CreateRunRequest, options?: CallOptions): ResultAsync<BuildOutcome, RungateError>;
  /**
   * Runs a card's failed and errored checks again on the same head, without a new agent attempt (flaky
   * checks); the gate then decides from the newest result of each. The card must be `checks_failed`.
   */
  retryChecks(input: RetryInput, options?: CallOptions): ResultAsync<ChecksOutcome, RungateError>;
  /**
   * A new agent attempt for a card whose checks failed or whose approval was rejected, on the same branch,
   * with the failing checks' output (and `feedback`) in its task; then its changes and checks. Bounded by
   * the policy's `agent_policy.max_attempts`.
   */
  redispatch(input: RedispatchInput, options?: CallOptions): ResultAsync<AssignmentChanges, RungateError>;
  /** Continues a run from what storage says, repeating nothing that was recorded. */
  resumeRun(run_id: string, options?: CallOptions): ResultAsync<BuildOutcome, RungateError>;
  /** Cancels a run and its unfinished cards on a person's request. */
  cancelRun(input: CancelRunInput): ResultAsync<RunState, RungateError>;
  /**
   * Frees what a finished run holds in the clone: its cards' worktrees, and their local branches unless a
   * draft PR is still open on one or another run builds on it (tips kept under `refs/rungate/removed/`).
   */
  cleanupRun(input: CleanupRunInput, options?: CallOptions): ResultAsync<CleanupReport, RungateError>;
  /**
   * Cleans up every finished run of a project and reclaims orphans: workspaces no stored assignment owns and
   * local branches no stored run uses. Reports what it did.
   */
  pruneWorktrees(input: PruneWorktreesInput, options?: CallOptions): ResultAsync<PruneReport, RungateError>;
  /** Everything stored about a run. */
  getRun(run_id: string): ResultAsync<RunState, RungateError>;
  /**
   * Runs matching `query` (project, phases, card, creation range; all optional), newest first, a page at a
   * time: pass `next_cursor` back as `cursor` for the next page. A malformed query is `validation`.
   */
  listRuns(query?: RunListQueryInput): ResultAsync<RunListPage, RungateError>;
  /**
   * A run's events as stored, typed ({@link TypedRunEvent}: switch on `event_type`). With a run (its id, or
   * `{ run_id, after }` to start after a `sequence` already seen): the stored log from there, then each new
   * event as it is stored, by this process or any other sharing the store (read again on every local write
   * and at least every `poll_ms`, default 500), in `sequence` order without repeats; it ends once the run is
   * finished and its log read to the end, or when `signal` aborts. Without a run: live events of every run
   * this process writes, until `signal` aborts. An event another writer stored that rungate does not know is
   * skipped (read it with `storage.listEvents`).
   */
  events(query?: string | EventsQuery, options?: CallOptions): AsyncIterable<TypedRunEvent>;
}

/**
 * Binds rungate's use cases to `ports` (real adapters, the fakes of `rungate/testing`, or a mix). Options
 * are parsed; a bad option is a programmer error and throws here, at construction, with the zod message.
 */
export function createOrchestrator(
  ports: RungatePorts,
  options: OrchestratorOptionsInput = {},
): Orchestrator {
  const parsed = OrchestratorOptionsInput.safeParse(options);
  if (!parsed.success) throw new TypeError(`createOrchestrator: invalid options: ${parsed.error.message}`);
  const { dispatch_timeout_ms, check_timeout_ms, secrets, redact_patterns, cancel_poll_ms, ...rest } =
    parsed.data;
  const wakeups = createRunWakeups(ports.storage);
  const deps: OrchestratorDeps = {
    ...ports,
    hub: createEventHub(),
    redactor: redactorFor(ports, { secrets, redact_patterns }),
    work: createRunWork(ports.storage, wakeups, { poll_ms: cancel_poll_ms }),
    wakeups,
    card_runs: createCardRuns(),
    options: {
      ...rest,
      ...(dispatch_timeout_ms === undefined ? {} : { dispatch_timeout_ms }),
      ...(check_timeout_ms === undefined ? {} : { check_timeout_ms }),
    },
  };
  // Ids crossing the public boundary are parsed like every other input: a malformed one is a validation
  // error naming the field, not a confusing not_found from deep inside a port.
  const card = <T>(input: { assignment_id: string }, then: () => ResultAsync<T, RungateError>) =>
    parseInput(AssignmentRef, input).asyncAndThen(then);
  const byRun = <T>(run_id: string, then: () => ResultAsync<T, RungateError>) =>
    parseInput(RunRef, { run_id }).asyncAndThen(then);
  const api: Orchestrator = {
    createRun: (request) => createRun(deps, request),
    createAssignment: (input, o) =>
      parseInput(AssignmentRef.extend({ clone_path: z.string().min(1) }), input).asyncAndThen(() =>
        createAssignment(deps, input, o?.signal),
      ),
    dispatchAssignment: (input, o) => card(input, () => dispatchAssignment(deps, input, o?.signal)),
    collectChanges: (input, o) => card(input, () => collectChanges(deps, input, o?.signal)),
    executeChecks: (input, o) => card(input, () => executeChecks(deps, input, o?.signal)),
    requestApproval: (input) => card(input, () => requestApproval(deps, input)),
    recordApprovalDecision: (input) => byRun(input.run_id, () => recordApprovalDecision(deps, input)),
    createPullRequestCandidate: (input, o) =>
      card(input, () => createPullRequestCandidate(deps, input, o?.signal)),
    observePullRequest: (input, o) => card(input, () => observePullRequest(deps, input, o?.signal)),
    verifyEvidence: (input) => verifyEvidence(deps, input),
    exportEvidence: (input) => card(input, () => exportEvidence(deps, input)),
    triggerBuild: (request, o) => triggerBuild(deps, request, o?.signal),
    retryChecks: (input, o) => retryChecks(deps, input, o?.signal),
    redispatch: (input, o) => redispatch(deps, input, o?.signal),
    resumeRun: (run_id, o) => byRun(run_id, () => resumeRun(deps, run_id, o?.signal)),
    cancelRun: (input) => cancelRun(deps, input),
    cleanupRun: (input, o) => cleanupRun(deps, input, o?.signal),
    pruneWorktrees: (input, o) => pruneWorktrees(deps, input, o?.signal),
    getRun: (run_id) => byRun(run_id, () => loadRunState(deps, run_id)),
    listRuns: (query = {}) =>
      parseInput(RunListQuery, query, "invalid_run_list_query").asyncAndThen(() =>
        deps.storage.listRuns(query),
      ),
    events: (query, o) => eventStream(deps, query, o?.signal),
  };
  return redactingErrors(api, deps.redactor);
}

/**
 * The orchestrator with every error it returns passed through the redactor: an error's message and detail
 * carry stderr excerpts, outputs and inputs, and leave rungate as surely as a stored record does.
 */
function redactingErrors(api: Orchestrator, redactor: SecretRedactor): Orchestrator {
  const wrapped: Record<string, unknown> = {};
  for (const [name, method] of Object.entries(api)) {
    if (name === "events") {
      wrapped[name] = method;
      continue;
    }
    wrapped[name] = (...args: unknown[]) =>
      (method as (...a: unknown[]) => ResultAsync<unknown, RungateError>)(...args).mapErr((error) =>
        redactor.redactValue(error),
      );
  }
  return wrapped as unknown as Orchestrator;
}
