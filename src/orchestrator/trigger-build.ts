import { ok, type Result, type ResultAsync, safeTry } from "neverthrow";
import type { RungateError } from "../core/errors.js";
import { agentSpend } from "../core/policy/agent-budget.js";
import { TERMINAL_RUN_PHASES } from "../core/state/run-machine.js";
import { mapWithLimit } from "./bounded.js";
import { createAssignment } from "./create-assignment.js";
import { type CreateRunRequest, createRun } from "./create-run.js";
import type { OrchestratorDeps } from "./deps.js";
import { cardPipeline } from "./drive-assignment.js";
import { cardRecordsOf, loadRunState, policyOf, type RunState } from "./load.js";
import { systemActor } from "./persist.js";
import { advanceRunState, applyRunAndCardEvents } from "./transitions.js";

/** Where a build stands when `triggerBuild` or `resumeRun` returns: everything stored about the run. */
export type BuildOutcome = RunState;

const PREPARING = new Set(["queued", "preparing"]);

/**
 * Carries a stored run as far as rungate may take it without a person: clone (or reuse), branches and
 * worktrees, agents (at most `concurrency` cards at once), changes judged, checks, and approval requests.
 * Starts from whatever storage says, so it is also how a run resumes after a crash: prepared cards are not
 * prepared again, a recorded dispatch is not repeated, a recorded check result is not run again.
 */
export function driveRun(
  deps: OrchestratorDeps,
  run_id: string,
  signal?: AbortSignal,
  /** The run's state as the caller knows it for sure (a run it just created); read when absent. */
  known?: RunState,
): ResultAsync<BuildOutcome, RungateError> {
  const opts = signal === undefined ? {} : { signal };
  return safeTry<BuildOutcome, RungateError>(async function* () {
    let state = known ?? (yield* loadRunState(deps, run_id));
    if (TERMINAL_RUN_PHASES.includes(state.run.phase)) return ok(state);
    const clone = yield* deps.git.ensureClone(
      { project_id: state.run.project_id, repo_url: state.run.repo_url },
      opts,
    );
    if (state.run.phase === "queued") {
      // The run and its queued cards start preparing in one write.
      const started = yield* applyRunAndCardEvents(
        deps,
        state.run,
        { type: "start_preparing", worktree_root: clone.clone_path },
        state.assignments
          .filter((a) => a.phase === "queued")
          .map((assignment) => ({ assignment, event: { type: "start_preparing" as const } })),
        systemActor(deps),
      );
      const moved = new Map(started.assignments.map((a) => [a.id, a]));
      state = {
        ...state,
        run: started.run,
        assignments: state.assignments.map((a) => moved.get(a.id) ?? a),
      };
    }
    const current = state;
    const toPrepare = current.assignments.filter((a) => PREPARING.has(a.phase));
    const prepared = await mapWithLimit(toPrepare, deps.options.concurrency, (assignment) =>
      createAssignment(deps, { assignment_id: assignment.id, clone_path: clone.clone_path }, signal, {
        run: current.run,
        assignment,
        state: current,
      }),
    );
    yield* firstError(prepared);
    // Every card prepared moves the run on (or fails it, if a card could not be prepared).
    const progress = yield* advanceRunState(deps, run_id, systemActor(deps));
    if (TERMINAL_RUN_PHASES.includes(progress.run.phase)) return ok(progress);

    // A lone card starts from the state just read; the cards of a workflow each read theirs (a sibling's
    // attempt changes what is left of the run's agent budget).
    const lone = progress.assignments.length === 1;
    const piped = await mapWithLimit(progress.assignments, deps.options.concurrency, (a) =>
      cardPipeline(deps, a.id, signal, a, lone ? cardRecordsOf(deps, progress, a.id) : undefined),
    );
    const final = yield* advanceRunState(deps, run_id, systemActor(deps));
    yield* firstError(piped);
    return ok(final);
  });
}

function firstError(results: readonly Result<unknown, RungateError>[]): Result<void, RungateError> {
  for (const r of results) if (r.isErr()) return r.map(() => undefined);
  return ok(undefined);
}

/**
 * The whole automated flow for a card or a workflow: {@link createRun}, then {@link driveRun}. Returns when
 * every card waits on a person (approval requested), or failed, or checks failed. With an
 * `idempotency_key`, calling it again after a crash continues the same run instead of starting another.
 */
export function triggerBuild(
  deps: OrchestratorDeps,
  request: CreateRunRequest,
  signal?: AbortSignal,
): ResultAsync<BuildOutcome, RungateError> {
  return createRun(deps, request).andThen((created) =>
    created.replayed
      ? driveRun(deps, created.run.id, signal)
      : // Just stored, nothing else yet: the run's state is what createRun wrote.
        policyOf(created.run).asyncAndThen((policy) =>
          driveRun(deps, created.run.id, signal, {
            run: created.run,
            policy,
            assignments: [...created.assignments],
            checks: [],
            approvals: [],
            pull_requests: [],
            executions: [],
            agent_spend: agentSpend([]),
          }),
        ),
  );
}

/** Continues a run from what storage says (after a crash, a restart, or a fixed port). */
export function resumeRun(
  deps: OrchestratorDeps,
  run_id: string,
  signal?: AbortSignal,
): ResultAsync<BuildOutcome, RungateError> {
  return driveRun(deps, run_id, signal);
}
