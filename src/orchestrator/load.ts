import { errAsync, ok, okAsync, type ResultAsync, safeTry } from "neverthrow";
import { type RungateError, rungateError } from "../core/errors.js";
import { parseInput } from "../core/parse.js";
import { type AgentSpend, agentSpend } from "../core/policy/agent-budget.js";
import type { AgentExecution } from "../core/schemas/agent-execution.js";
import type { ApprovalRequest } from "../core/schemas/approval-request.js";
import type { CardAssignment } from "../core/schemas/card-assignment.js";
import { RunCheckType } from "../core/schemas/check-type.js";
import type { OrchestrationRun } from "../core/schemas/orchestration-run.js";
import type { PullRequestCandidate } from "../core/schemas/pull-request-candidate.js";
import type { RunCheck } from "../core/schemas/run-check.js";
import { SystemPolicyProfile } from "../core/schemas/system-policy-profile.js";
import { deepFreeze, isDeeplyFrozen } from "../core/snapshot/deep-freeze.js";
import type { OrchestratorDeps } from "./deps.js";

/** Everything stored about one run, read together. */
export interface RunState {
  readonly run: OrchestrationRun;
  readonly policy: SystemPolicyProfile;
  readonly assignments: readonly CardAssignment[];
  readonly checks: readonly RunCheck[];
  readonly approvals: readonly ApprovalRequest[];
  readonly pull_requests: readonly PullRequestCandidate[];
  readonly executions: readonly AgentExecution[];
  /**
   * What the run's agents spent, summed over every attempt of every card (derived from `executions`, so it
   * is never out of step with them); the policy's `agent_policy` caps apply to this.
   */
  readonly agent_spend: AgentSpend;
}

/** The policy a run was created under, from its frozen snapshot (never the current one). */
export function policyOf(run: OrchestrationRun): ReturnType<typeof parseInput<typeof SystemPolicyProfile>> {
  const snapshot: unknown = run.system_policy_snapshot;
  if (!isDeeplyFrozen(snapshot)) {
    return parseInput(SystemPolicyProfile, snapshot, "invalid_policy_snapshot");
  }
  // A snapshot that cannot change parses the same every time: once per snapshot, not once per step.
  const known = policiesOfSnapshots.get(snapshot as object);
  if (known !== undefined) return ok(known);
  return parseInput(SystemPolicyProfile, snapshot, "invalid_policy_snapshot").map((policy) => {
    const frozen = deepFreeze(policy);
    policiesOfSnapshots.set(snapshot as object, frozen);
    return frozen;
  });
}

/** The policies parsed from deeply frozen snapshots (see {@link policyOf}). */
const policiesOfSnapshots = new WeakMap<object, SystemPolicyProfile>();

/** Built once, not per call (a new zod schema is compiled again on its first parse). */
const PlannedChecks = RunCheckType.array();

/** The check types a run executes, from its input snapshot. */
export function plannedChecksOf(run: OrchestrationRun, policy: SystemPolicyProfile): RunCheckType[] {
  const planned = (run.run_input_snapshot as { planned_checks?: unknown }).planned_checks;
  const parsed = PlannedChecks.safeParse(planned);
  return parsed.success
    ? [...new Set([...parsed.data, ...policy.required_checks])]
    : [...policy.required_checks];
}

/**
 * Reads a run and everything recorded about it (snapshots verified by storage): in one consistent read when
 * the store offers `readRunState`, else in six.
 */
export function loadRunState(deps: OrchestratorDeps, run_id: string): ResultAsync<RunState, RungateError> {
  const { storage } = deps;
  if (storage.readRunState !== undefined) {
    return storage.readRunState(run_id).andThen((stored) => {
      deps.card_runs?.remember(stored.assignments);
      return policyOf(stored.run).map(
        (policy): RunState => ({ ...stored, policy, agent_spend: agentSpend(stored.executions) }),
      );
    });
  }
  return safeTry<RunState, RungateError>(async function* () {
    const run = yield* storage.getRun(run_id);
    const policy = yield* policyOf(run);
    const assignments = yield* storage.listAssignments(run_id);
    const checks = yield* storage.listChecks(run_id);
    const approvals = yield* storage.listApprovals(run_id);
    const pull_requests = yield* storage.listPullRequests(run_id);
    const executions = yield* storage.listExecutions(run_id);
    return ok({
      run,
      policy,
      assignments,
      checks,
      approvals,
      pull_requests,
      executions,
      agent_spend: agentSpend(executions),
    });
  });
}

/** What deciding a run's next move needs ({@link loadRunProgress}): its state minus PRs and executions. */
export type RunProgressState = Pick<RunState, "run" | "policy" | "assignments" | "checks" | "approvals">;

/**
 * Reads what deciding a run's next move needs: the store's one consistent read when it offers
 * `readRunState`, else 4 reads (where {@link loadRunState} makes 6).
 */
export function loadRunProgress(
  deps: OrchestratorDeps,
  run_id: string,
): ResultAsync<RunProgressState, RungateError> {
  if (deps.storage.readRunState !== undefined) return loadRunState(deps, run_id);
  return safeTry<RunProgressState, RungateError>(async function* () {
    const run = yield* deps.storage.getRun(run_id);
    const policy = yield* policyOf(run);
    const assignments = yield* deps.storage.listAssignments(run_id);
    const checks = yield* deps.storage.listChecks(run_id);
    const approvals = yield* deps.storage.listApprovals(run_id);
    return ok({ run, policy, assignments, checks, approvals });
  });
}

/**
 * A run's records as of one read. With a store that offers `readRunState` they all come from that one
 * consistent read; otherwise each list is read from storage when first asked for, so a step pays only for the
 * lists it uses either way.
 */
export interface RunRecords {
  readonly run: OrchestrationRun;
  readonly policy: SystemPolicyProfile;
  /** Everything stored about the run, when it was read at once (`readRunState`); absent otherwise. */
  readonly state?: RunState;
  /** One card of this run (`not_found` for a card of another run). */
  card(id: string): ResultAsync<CardAssignment, RungateError>;
  checks(): ResultAsync<readonly RunCheck[], RungateError>;
  approvals(): ResultAsync<readonly ApprovalRequest[], RungateError>;
  pull_requests(): ResultAsync<readonly PullRequestCandidate[], RungateError>;
  executions(): ResultAsync<readonly AgentExecution[], RungateError>;
}

/** One card with its run's records ({@link RunRecords}); `assignment` is the copy of the same read. */
export interface CardRecords extends RunRecords {
  readonly assignment: CardAssignment;
}

/** A card read by id, refused unless it belongs to `run_id`. */
function cardOfRun(
  deps: OrchestratorDeps,
  run_id: string,
  id: string,
): ResultAsync<CardAssignment, RungateError> {
  return deps.storage
    .getAssignment(id)
    .andThen((a) =>
      a.run_id === run_id
        ? okAsync(a)
        : errAsync(rungateError("not_found", "assignment_not_found", { entity: "assignment", id })),
    );
}

function recordsFrom(deps: OrchestratorDeps, state: RunState): RunRecords {
  return {
    run: state.run,
    policy: state.policy,
    state,
    card: (id) => {
      const found = state.assignments.find((a) => a.id === id);
      return found === undefined ? cardOfRun(deps, state.run.id, id) : okAsync(found);
    },
    checks: () => okAsync(state.checks),
    approvals: () => okAsync(state.approvals),
    pull_requests: () => okAsync(state.pull_requests),
    executions: () => okAsync(state.executions),
  };
}

function recordsRead(deps: OrchestratorDeps, run: OrchestrationRun, policy: SystemPolicyProfile): RunRecords {
  return {
    run,
    policy,
    card: (id) => cardOfRun(deps, run.id, id),
    checks: () => deps.storage.listChecks(run.id),
    approvals: () => deps.storage.listApprovals(run.id),
    pull_requests: () => deps.storage.listPullRequests(run.id),
    executions: () => deps.storage.listExecutions(run.id),
  };
}

/** Reads a run's records again (after time passed, e.g. checks ran): see {@link RunRecords}. */
export function loadRunRecords(
  deps: OrchestratorDeps,
  run_id: string,
): ResultAsync<RunRecords, RungateError> {
  if (deps.storage.readRunState !== undefined)
    return loadRunState(deps, run_id).map((state) => recordsFrom(deps, state));
  return deps.storage
    .getRun(run_id)
    .andThen((run) => policyOf(run).map((policy) => recordsRead(deps, run, policy)));
}

/**
 * Reads one card with its run, the policy and the run's records: two reads with a store that offers
 * `readRunState` (the card, to learn its run; then the run's state, whose copy of the card is the one used),
 * else the card and its run, the lists read as asked for.
 */
export function loadCard(
  deps: OrchestratorDeps,
  assignment_id: string,
): ResultAsync<CardRecords, RungateError> {
  const known = deps.card_runs?.get(assignment_id);
  if (known === undefined || deps.storage.readRunState === undefined)
    return loadCardFirst(deps, assignment_id);
  // The card's run is known (it never changes): one read, unless the card is not in it after all.
  return loadRunState(deps, known).andThen((state) => {
    const assignment = state.assignments.find((a) => a.id === assignment_id);
    return assignment === undefined
      ? loadCardFirst(deps, assignment_id)
      : okAsync<CardRecords, RungateError>({ ...recordsFrom(deps, state), assignment });
  });
}

/** One card of a run's state read at once, with the run's records ({@link CardRecords}); undefined when absent. */
export function cardRecordsOf(
  deps: OrchestratorDeps,
  state: RunState,
  assignment_id: string,
): CardRecords | undefined {
  const assignment = state.assignments.find((a) => a.id === assignment_id);
  return assignment === undefined ? undefined : { ...recordsFrom(deps, state), assignment };
}

/** {@link loadCard} reading the card first, to learn its run. */
function loadCardFirst(
  deps: OrchestratorDeps,
  assignment_id: string,
): ResultAsync<CardRecords, RungateError> {
  return deps.storage.getAssignment(assignment_id).andThen((read) => {
    deps.card_runs?.remember([read]);
    if (deps.storage.readRunState === undefined) {
      return deps.storage
        .getRun(read.run_id)
        .andThen((run) =>
          policyOf(run).map(
            (policy): CardRecords => ({ ...recordsRead(deps, run, policy), assignment: read }),
          ),
        );
    }
    return loadRunState(deps, read.run_id).map(
      (state): CardRecords => ({
        ...recordsFrom(deps, state),
        assignment: state.assignments.find((a) => a.id === assignment_id) ?? read,
      }),
    );
  });
}
