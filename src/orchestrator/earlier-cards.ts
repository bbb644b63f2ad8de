import { ok, type ResultAsync, safeTry } from "neverthrow";
import type { RungateError } from "../core/errors.js";
import type { CardAssignment } from "../core/schemas/card-assignment.js";
import type { OrchestrationRun } from "../core/schemas/orchestration-run.js";
import { MAX_RUN_PAGE_SIZE } from "../core/schemas/run-list.js";
import type { OrchestratorDeps } from "./deps.js";

/** An assignment of another run that uses the same feature branch, with its run. */
export interface BranchHolder {
  readonly run: OrchestrationRun;
  readonly assignment: CardAssignment;
}

/**
 * The assignments of other runs of the project that use `assignment`'s feature branch (for the same card,
 * unless `any_card`), newest run first. This is what decides whether a card may be built anew on its branch.
 */
export function otherBranchHolders(
  deps: OrchestratorDeps,
  run: OrchestrationRun,
  assignment: CardAssignment,
  /** Look at every run of the project, not only those of the same card (to name an unexpected holder). */
  options: { readonly any_card?: boolean } = {},
): ResultAsync<BranchHolder[], RungateError> {
  return safeTry<BranchHolder[], RungateError>(async function* () {
    const holders: BranchHolder[] = [];
    let cursor: string | null = null;
    do {
      const page: { runs: OrchestrationRun[]; next_cursor: string | null } = yield* deps.storage.listRuns({
        project_id: run.project_id,
        ...(options.any_card === true ? {} : { card_id: assignment.card_id }),
        limit: MAX_RUN_PAGE_SIZE,
        cursor,
      });
      for (const other of page.runs) {
        if (other.id === run.id) continue;
        for (const a of yield* deps.storage.listAssignments(other.id)) {
          if (a.feature_branch === assignment.feature_branch) holders.push({ run: other, assignment: a });
        }
      }
      cursor = page.next_cursor;
    } while (cursor !== null);
    return ok(holders);
  });
}
