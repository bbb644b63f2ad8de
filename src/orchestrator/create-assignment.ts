import { err, errAsync, ok, okAsync, type ResultAsync, safeTry } from "neverthrow";
import { type RungateError, rungateError } from "../core/errors.js";
import type { CardAssignment } from "../core/schemas/card-assignment.js";
import type { OrchestrationRun } from "../core/schemas/orchestration-run.js";
import { TERMINAL_ASSIGNMENT_PHASES } from "../core/state/assignment-machine.js";
import type { OrchestratorDeps } from "./deps.js";
import { type BranchHolder, otherBranchHolders } from "./earlier-cards.js";
import { loadCard, type RunState } from "./load.js";
import { eventDraft, systemActor } from "./persist.js";
import { applyAssignmentEvent } from "./transitions.js";

/** The conflict that names the run holding a card's branch and what a person can do about it. */
function branchHeld(holder: BranchHolder, run_id: string): RungateError {
  const { run, assignment } = holder;
  const open = assignment.phase === "pr_open";
  const way = open
    ? `its draft pull request (card ${assignment.id}) is still open: merge or close it and record that with observePullRequest, or give this card another feature_branch`
    : TERMINAL_ASSIGNMENT_PHASES.includes(assignment.phase)
      ? `its worktree still holds the branch: run cleanupRun("${run.id}") or give this card another feature_branch`
      : `that run is still ${assignment.phase} on it: cancel it (cancelRun) or let it finish`;
  return rungateError("conflict", open ? "branch_has_open_pull_request" : "branch_in_use", {
    entity: "feature branch",
    id: assignment.feature_branch,
    run_id: run.id,
    way_on: `${way}; then resumeRun("${run_id}") continues this run`,
  });
}

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
  /**
   * The card and its run as the caller just read them (saves reading them again; stale ones fail the write),
   * and the run's whole state when the caller has it (the run then moves in the card's own write).
   */
  known?: {
    readonly run: OrchestrationRun;
    readonly assignment: CardAssignment;
    readonly state?: RunState;
  },
): ResultAsync<CardAssignment, RungateError> {
  const opts = signal === undefined ? {} : { signal };
  return safeTry<CardAssignment, RungateError>(async function* () {
    const loaded = known ?? (yield* loadCard(deps, input.assignment_id));
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
    // A card built again after an earlier run of it ended: that run's worktree goes and the branch starts
    // from the base again (its old tip kept by git); never while that run works on it or its PR is open.
    const holders = yield* otherBranchHolders(deps, run, assignment);
    const blocking =
      holders.find((h) => h.assignment.phase === "pr_open") ??
      holders.find((h) => !TERMINAL_ASSIGNMENT_PHASES.includes(h.assignment.phase));
    if (blocking !== undefined) return errAsync(branchHeld(blocking, run.id));
    for (const h of holders) {
      if (h.assignment.worktree_path === null) continue;
      yield* deps.git.removeWorktree(
        { clone_path: input.clone_path, worktree_path: h.assignment.worktree_path },
        opts,
      );
    }
    const branch = await deps.git.createFeatureBranch(
      {
        clone_path: input.clone_path,
        branch: assignment.feature_branch,
        base_branch: run.base_branch,
        ...(holders.length > 0 ? { replace: true } : {}),
      },
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
        {},
        known?.state,
      );
    }
    const worktree = await deps.git.createWorktree(
      { clone_path: input.clone_path, branch: assignment.feature_branch, assignment_id: assignment.id },
      opts,
    );
    if (worktree.isErr()) {
      if (worktree.error.kind !== "conflict" || worktree.error.code !== "branch_checked_out")
        return err(worktree.error);
      // Held by a card of another kind that uses the same branch name: name its run and the way on.
      const anyHolder = yield* otherBranchHolders(deps, run, assignment, { any_card: true });
      const holder = anyHolder.find((h) => h.assignment.worktree_path !== null) ?? anyHolder[0];
      return err(holder === undefined ? worktree.error : branchHeld(holder, run.id));
    }
    const replaced = branch.value.replaced_sha;
    return applyAssignmentEvent(
      deps,
      run,
      assignment,
      {
        type: "workspace_ready",
        worktree_path: worktree.value.worktree_path,
        base_sha: branch.value.base_sha,
      },
      systemActor(deps),
      replaced === undefined && holders.length === 0
        ? {}
        : {
            events: [
              eventDraft(deps, run, "assignment.branch_rebuilt", systemActor(deps), {
                assignment_id: assignment.id,
                feature_branch: assignment.feature_branch,
                replaced_sha: replaced ?? null,
                kept_as:
                  replaced === undefined
                    ? null
                    : `refs/rungate/replaced/${assignment.feature_branch}/${replaced}`,
                earlier_runs: [...new Set(holders.map((h) => h.run.id))],
              }),
            ],
          },
      known?.state,
    ).andThen((a) => okAsync(a));
  });
}
