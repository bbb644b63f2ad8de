import { ok, type ResultAsync, safeTry } from "neverthrow";
import type { RungateError } from "../core/errors.js";
import type { CardAssignment } from "../core/schemas/card-assignment.js";
import { createAssignment } from "./create-assignment.js";
import type { OrchestratorDeps } from "./deps.js";
import { dispatchAssignment } from "./dispatch-assignment.js";
import { executeChecks } from "./execute-checks.js";
import { type CardRecords, loadCard } from "./load.js";
import { systemActor } from "./persist.js";
import { advanceRun, applyRunEvent } from "./transitions.js";

/**
 * Carries ONE card as far as rungate may take it without a person: its run started, its clone, branch and
 * worktree, its agent, its changes judged, its checks and its approval request. What `driveRun` does for
 * all cards of a run, for a worker that holds a lease on a single card. Starts from what storage says.
 */
export function driveAssignment(
  deps: OrchestratorDeps,
  assignment_id: string,
  signal?: AbortSignal,
): ResultAsync<CardAssignment, RungateError> {
  return safeTry<CardAssignment, RungateError>(async function* () {
    const { run } = yield* loadCard(deps, assignment_id);
    const clone = yield* deps.git.ensureClone(
      { project_id: run.project_id, repo_url: run.repo_url },
      signal === undefined ? {} : { signal },
    );
    if (run.phase === "queued") {
      const started = await applyRunEvent(
        deps,
        run,
        { type: "start_preparing", worktree_root: clone.clone_path },
        systemActor(deps),
      );
      // Another worker started the run first: that is the same outcome.
      if (started.isErr() && !(started.error.kind === "conflict" && started.error.code === "stale_version")) {
        yield* started;
      }
    }
    let assignment = yield* deps.storage.getAssignment(assignment_id);
    if (assignment.phase === "queued" || assignment.phase === "preparing") {
      assignment = yield* createAssignment(deps, { assignment_id, clone_path: clone.clone_path }, signal);
    }
    yield* advanceRun(deps, run.id, systemActor(deps));
    yield* cardPipeline(deps, assignment_id, signal);
    yield* advanceRun(deps, run.id, systemActor(deps));
    return ok(yield* deps.storage.getAssignment(assignment_id));
  });
}

// The schema's ceiling on agent_policy.max_attempts: a loop bound that no policy can reach.
const MAX_ATTEMPTS_CAP = 50;

/** One prepared card's automated part: dispatch (and collect) unless done, then checks and the approval request. */
export function cardPipeline(
  deps: OrchestratorDeps,
  assignment_id: string,
  signal?: AbortSignal,
  /** The card as the caller just read it (saves reading it again). */
  known?: CardAssignment,
  /** The card with its run's records, when the caller read them at once just now: the first dispatch uses them. */
  records?: CardRecords,
): ResultAsync<void, RungateError> {
  return safeTry<void, RungateError>(async function* () {
    let assignment = known ?? (yield* deps.storage.getAssignment(assignment_id));
    let first = records;
    // An attempt whose process died comes back `ready` (interrupted): the next attempt starts at once, as
    // many times as the policy's max_attempts allows (the dispatch fails the card after the last one).
    for (let tries = 0; tries <= MAX_ATTEMPTS_CAP; tries++) {
      if (assignment.phase !== "ready" && assignment.phase !== "agent_running") break;
      if (signal?.aborted) break;
      const options = first === undefined ? {} : { known: first };
      first = undefined;
      assignment = (yield* dispatchAssignment(deps, { assignment_id }, signal, options)).assignment;
    }
    if (assignment.phase === "checking") yield* executeChecks(deps, { assignment_id }, signal);
    return ok(undefined);
  });
}
