import { ok, type ResultAsync, safeTry } from "neverthrow";
import { z } from "zod";
import type { RungateError } from "../core/errors.js";
import { parseInput } from "../core/parse.js";
import { actorOf, UserActorId } from "../core/schemas/actor-id.js";
import { Uuid } from "../core/schemas/primitives.js";
import { TERMINAL_ASSIGNMENT_PHASES } from "../core/state/assignment-machine.js";
import { TERMINAL_RUN_PHASES } from "../core/state/run-machine.js";
import type { OrchestratorDeps } from "./deps.js";
import { loadRunState, type RunState } from "./load.js";
import { applyAssignmentEvent, applyRunEvent } from "./transitions.js";

/** A person's request to stop a run. */
export const CancelRunInput = z.object({
  run_id: Uuid,
  /** The person who cancels, `user:<id>` (a bare id is read as a user); other actors are refused. */
  cancelled_by: UserActorId,
});
/** What a host passes to {@link cancelRun}. */
export type CancelRunInput = z.input<typeof CancelRunInput>;

/**
 * Cancels a run on a person's request: every card not yet finished, then the run, each through its machine
 * with its event; then stops the run's agents and checks in flight: at once in this process, within
 * `cancel_poll_ms` in any other process sharing the store. Their executions end `cancelled`. Cards already
 * merged, closed or failed stay as they are; a finished run is answered as it stands.
 */
export function cancelRun(
  deps: OrchestratorDeps,
  input: CancelRunInput,
): ResultAsync<RunState, RungateError> {
  return safeTry<RunState, RungateError>(async function* () {
    const { run_id, cancelled_by } = yield* parseInput(CancelRunInput, input);
    const actor = actorOf(cancelled_by);
    const state = yield* loadRunState(deps, run_id);
    for (const a of state.assignments) {
      if (!TERMINAL_ASSIGNMENT_PHASES.includes(a.phase)) {
        yield* applyAssignmentEvent(deps, state.run, a, { type: "cancel", actor }, actor);
      }
    }
    const run = yield* deps.storage.getRun(run_id);
    if (!TERMINAL_RUN_PHASES.includes(run.phase))
      yield* applyRunEvent(deps, run, { type: "cancel", actor }, actor);
    // Stored first, then stopped: an agent or check that ends now finds its card cancelled already. Work in
    // other processes sees the stored cancel on its next poll (`cancel_poll_ms`).
    deps.work.cancel(run_id);
    return ok(yield* loadRunState(deps, run_id));
  });
}
