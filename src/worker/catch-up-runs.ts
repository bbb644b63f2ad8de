import type { RungateError } from "../core/errors.js";
import type { RunPhase } from "../core/schemas/phases.js";
import type { Actor } from "../core/schemas/primitives.js";
import type { OrchestratorDeps } from "../orchestrator/deps.js";
import { advanceRun } from "../orchestrator/transitions.js";

/** The run phases a worker moves a run out of: the ones that wait on its cards' automated work. */
const AUTOMATED_RUN_PHASES: readonly RunPhase[] = ["preparing", "agents_running", "checking"];

/** Runs looked at per catch-up, at most: a bound on one idle poll's work, not on correctness. */
const MAX_RUNS_PER_CATCH_UP = 500;

/**
 * Brings every run still in an automated phase up to what its cards call for. A card's last write and the
 * run's advance are two writes: a worker that dies between them (kill -9 right after a card reached
 * `awaiting_approval`) leaves the run `checking` with no claimable card, so no drive would ever advance it.
 * An idle worker does it instead. Runs whose cards are still in flight elsewhere stay as they are
 * (`advanceRun` moves only what the cards call for; a race with their drivers is settled by the run's
 * version). Answers the failures met; one run's failure does not stop the others.
 */
export async function catchUpRuns(deps: OrchestratorDeps, actor: Actor): Promise<RungateError[]> {
  const errors: RungateError[] = [];
  let cursor: string | undefined;
  let seen = 0;
  do {
    const page = await deps.storage.listRuns({
      phases: [...AUTOMATED_RUN_PHASES],
      limit: 100,
      ...(cursor === undefined ? {} : { cursor }),
    });
    if (page.isErr()) return [...errors, page.error];
    for (const run of page.value.runs) {
      const advanced = await advanceRun(deps, run.id, actor);
      if (advanced.isErr()) errors.push(advanced.error);
    }
    seen += page.value.runs.length;
    cursor = page.value.next_cursor ?? undefined;
  } while (cursor !== undefined && seen < MAX_RUNS_PER_CATCH_UP);
  return errors;
}
