import { okAsync, type ResultAsync } from "neverthrow";
import type { RungateError } from "../core/errors.js";
import type { CardAssignment } from "../core/schemas/card-assignment.js";
import type { OrchestrationRun } from "../core/schemas/orchestration-run.js";
import { allowedAssignmentEvents } from "../core/state/assignment-machine.js";
import type { OrchestratorDeps } from "./deps.js";
import { eventDraft, systemActor } from "./persist.js";
import { applyAssignmentEvent } from "./transitions.js";

/**
 * Reads the feature branch's tip and, when it moved past the head the assignment recorded (someone or
 * something committed after the checks began), records the `new_commit`: the assignment goes back to
 * `checking` for the new head, so results and approvals of the old head no longer count. Every step that
 * relies on a head calls this first; an assignment whose phase takes no `new_commit` is returned as is.
 */
export function observeHead(
  deps: OrchestratorDeps,
  run: Pick<OrchestrationRun, "id" | "project_id" | "worktree_root">,
  assignment: CardAssignment,
  signal?: AbortSignal,
): ResultAsync<CardAssignment, RungateError> {
  if (assignment.head_sha === null || !allowedAssignmentEvents(assignment.phase).includes("new_commit")) {
    return okAsync(assignment);
  }
  return deps.git
    .headSha(
      { clone_path: run.worktree_root ?? "", ref: assignment.feature_branch },
      signal === undefined ? {} : { signal },
    )
    .andThen((tip) =>
      tip === assignment.head_sha
        ? okAsync(assignment)
        : applyAssignmentEvent(
            deps,
            run,
            assignment,
            { type: "new_commit", head_sha: tip },
            systemActor(deps),
            {
              events: [
                eventDraft(deps, run, "assignment.head_moved", systemActor(deps), {
                  assignment_id: assignment.id,
                  from: assignment.head_sha,
                  to: tip,
                  phase_before: assignment.phase,
                }),
              ],
            },
          ),
    );
}
