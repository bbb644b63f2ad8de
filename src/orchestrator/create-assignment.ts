import { errAsync, ok, okAsync, type ResultAsync, safeTry } from "neverthrow";
import type { RungateError } from "../core/errors.js";
import type { CardAssignment } from "../core/schemas/card-assignment.js";
import type { OrchestratorDeps } from "./deps.js";
import { loadAssignment } from "./load.js";
import { systemActor } from "./persist.js";
import { applyAssignmentEvent } from "./transitions.js";

/**
 * Prepares one card's workspace: its feature branch from the run's base branch and its own worktree in the
 * clone at `clone_path`, then records the assignment `ready` with `worktree_path` and `base_sha`. Safe to
 * repeat: a ready assignment is returned as it is, and git reuses an existing branch or worktree. A branch
 * that diverged from the base fails the assignment (`preparation_failed`); other git failures are returned
 * and leave it `preparing`, to be resumed.
 */
export function createAssignment(
  deps: OrchestratorDeps,
  input: { readonly assignment_id: string; readonly clone_path: string },
  signal?: AbortSignal,
): ResultAsync<CardAssignment, RungateError> {
  const opts = signal === undefined ? {} : { signal };
  return safeTry<CardAssignment, RungateError>(async function* () {
    const loaded = yield* loadAssignment(deps, input.assignment_id);
    const { run } = loaded;
    let assignment = loaded.assignment;
    if (assignment.phase === "queued") {
      assignment = yield* applyAssignmentEvent(
        deps,
        run,
        assignment,
        { type: "start_preparing" },
        systemActor(deps),
      );
    }
    if (assignment.phase !== "preparing") return ok(assignment);
    const branch = await deps.git.createFeatureBranch(
      { clone_path: input.clone_path, branch: assignment.feature_branch, base_branch: run.base_branch },
      opts,
    );
    if (branch.isErr()) {
      if (branch.error.kind !== "conflict") return errAsync(branch.error);
      return applyAssignmentEvent(
        deps,
        run,
        assignment,
        { type: "preparation_failed", reason: branch.error.message },
        systemActor(deps),
      );
    }
    const worktree = yield* deps.git.createWorktree(
      { clone_path: input.clone_path, branch: assignment.feature_branch, assignment_id: assignment.id },
      opts,
    );
    return applyAssignmentEvent(
      deps,
      run,
      assignment,
      { type: "workspace_ready", worktree_path: worktree.worktree_path, base_sha: branch.value.base_sha },
      systemActor(deps),
    ).andThen((a) => okAsync(a));
  });
}
