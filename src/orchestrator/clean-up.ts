import { errAsync, ok, type ResultAsync, safeTry } from "neverthrow";
import { z } from "zod";
import { type RungateError, rungateError } from "../core/errors.js";
import { parseInput } from "../core/parse.js";
import type { CardAssignment } from "../core/schemas/card-assignment.js";
import type { OrchestrationRun } from "../core/schemas/orchestration-run.js";
import { Uuid } from "../core/schemas/primitives.js";
import type { PullRequestCandidate } from "../core/schemas/pull-request-candidate.js";
import { MAX_RUN_PAGE_SIZE } from "../core/schemas/run-list.js";
import { TERMINAL_ASSIGNMENT_PHASES } from "../core/state/assignment-machine.js";
import { TERMINAL_RUN_PHASES } from "../core/state/run-machine.js";
import type { OrchestratorDeps } from "./deps.js";
import { otherBranchHolders } from "./earlier-cards.js";
import { loadRunState } from "./load.js";
import { commit, eventDraft, systemActor } from "./persist.js";

/** What a clean-up did: worktrees removed, local branches deleted (tips kept by git), branches kept and why. */
export interface CleanupReport {
  readonly removed_worktrees: readonly string[];
  readonly deleted_branches: readonly { readonly branch: string; readonly sha: string }[];
  readonly kept_branches: readonly { readonly branch: string; readonly reason: string }[];
}

/** What {@link pruneWorktrees} did for a project. */
export interface PruneReport extends CleanupReport {
  /** Finished runs whose worktrees and branches were cleaned up. */
  readonly cleaned_runs: readonly string[];
  /** Workspaces no stored assignment owns, found and removed. */
  readonly orphan_worktrees: readonly string[];
  /** Local branches no stored run uses (neither a card's branch nor a base), found and deleted. */
  readonly orphan_branches: readonly string[];
}

/** The run to clean up. */
export const CleanupRunInput = z.object({ run_id: Uuid });
/** What a host passes to {@link cleanupRun}. */
export type CleanupRunInput = z.input<typeof CleanupRunInput>;

/** The project whose clone to prune. */
export const PruneWorktreesInput = z.object({ project_id: Uuid });
/** What a host passes to {@link pruneWorktrees}. */
export type PruneWorktreesInput = z.input<typeof PruneWorktreesInput>;

// A draft PR in these states still needs its branch: a person may push to it, review it, merge it.
const PR_DONE = new Set<PullRequestCandidate["status"]>(["not_created", "merged", "closed"]);

/**
 * Frees what a finished run holds in the clone: every card's worktree is removed, and each card's local
 * branch is deleted (its tip kept under `refs/rungate/removed/`) unless its draft PR is still open or another
 * run of the card builds on it now. The remote is never touched. Idempotent; recorded as `run.cleaned_up`.
 * A run that has not finished is a `conflict` (`run_not_finished`) naming the way on.
 */
export function cleanupRun(
  deps: OrchestratorDeps,
  input: CleanupRunInput,
  signal?: AbortSignal,
): ResultAsync<CleanupReport, RungateError> {
  return safeTry<CleanupReport, RungateError>(async function* () {
    const { run_id } = yield* parseInput(CleanupRunInput, input);
    const state = yield* loadRunState(deps, run_id);
    if (!TERMINAL_RUN_PHASES.includes(state.run.phase)) {
      return errAsync(
        rungateError("conflict", "run_not_finished", {
          entity: "run",
          id: run_id,
          run_id,
          way_on: `it is ${state.run.phase}: cancel it (cancelRun) or let it finish, then clean it up`,
        }),
      );
    }
    const report = yield* cleanRun(deps, state.run, state.assignments, state.pull_requests, signal);
    const changed = report.removed_worktrees.length + report.deleted_branches.length > 0;
    if (changed) {
      yield* commit(deps, {
        events: [
          eventDraft(deps, state.run, "run.cleaned_up", systemActor(deps), {
            removed_worktrees: [...report.removed_worktrees],
            deleted_branches: report.deleted_branches.map((b) => ({ ...b })),
            kept_branches: report.kept_branches.map((b) => ({ ...b })),
          }),
        ],
      });
    }
    return ok(report);
  });
}

function cleanRun(
  deps: OrchestratorDeps,
  run: OrchestrationRun,
  assignments: readonly CardAssignment[],
  pull_requests: readonly PullRequestCandidate[],
  signal: AbortSignal | undefined,
): ResultAsync<CleanupReport, RungateError> {
  const opts = signal === undefined ? {} : { signal };
  return safeTry<CleanupReport, RungateError>(async function* () {
    const clone_path = run.worktree_root;
    const removed: string[] = [];
    const deleted: { branch: string; sha: string }[] = [];
    const kept: { branch: string; reason: string }[] = [];
    if (clone_path === null) return ok({ removed_worktrees: [], deleted_branches: [], kept_branches: [] });
    const present = new Set(
      (yield* deps.git.listWorkspaces({ clone_path }, opts)).map((w) => w.worktree_path),
    );
    for (const a of assignments) {
      if (a.worktree_path !== null && present.has(a.worktree_path)) {
        yield* deps.git.removeWorktree({ clone_path, worktree_path: a.worktree_path }, opts);
        removed.push(a.worktree_path);
      }
    }
    for (const a of assignments) {
      if (a.worktree_path === null) continue;
      const open = pull_requests.find((p) => p.assignment_id === a.id && !PR_DONE.has(p.status));
      if (open !== undefined) {
        kept.push({
          branch: a.feature_branch,
          reason: `its pull request is ${open.status}: ${open.pr_url ?? ""}`,
        });
        continue;
      }
      const others = yield* otherBranchHolders(deps, run, a);
      const live = others.find(
        (h) => h.assignment.phase === "pr_open" || !TERMINAL_ASSIGNMENT_PHASES.includes(h.assignment.phase),
      );
      if (live !== undefined) {
        kept.push({
          branch: a.feature_branch,
          reason: `run ${live.run.id} uses it (${live.assignment.phase})`,
        });
        continue;
      }
      const gone = await deps.git.deleteBranch({ clone_path, branch: a.feature_branch }, opts);
      if (gone.isErr()) {
        if (gone.error.kind !== "conflict") return errAsync(gone.error);
        kept.push({ branch: a.feature_branch, reason: "a workspace still holds it" });
      } else if (gone.value.deleted_sha !== null) {
        deleted.push({ branch: a.feature_branch, sha: gone.value.deleted_sha });
      }
    }
    return ok({ removed_worktrees: removed, deleted_branches: deleted, kept_branches: kept });
  });
}

/**
 * Brings a project's clone back to what its stored runs need: every finished run is cleaned up as
 * {@link cleanupRun} does, workspaces that no stored assignment owns are removed, and local branches no
 * stored run uses (neither a card's branch nor a run's base) are deleted, their tips kept under
 * `refs/rungate/removed/`. Runs still going are left alone. The clone is the one the project's runs recorded;
 * a project with no prepared run has nothing to prune.
 */
export function pruneWorktrees(
  deps: OrchestratorDeps,
  input: PruneWorktreesInput,
  signal?: AbortSignal,
): ResultAsync<PruneReport, RungateError> {
  const opts = signal === undefined ? {} : { signal };
  return safeTry<PruneReport, RungateError>(async function* () {
    const { project_id } = yield* parseInput(PruneWorktreesInput, input);
    const runs: OrchestrationRun[] = [];
    let cursor: string | null = null;
    do {
      const page: { runs: OrchestrationRun[]; next_cursor: string | null } = yield* deps.storage.listRuns({
        project_id,
        limit: MAX_RUN_PAGE_SIZE,
        cursor,
      });
      runs.push(...page.runs);
      cursor = page.next_cursor;
    } while (cursor !== null);
    const clone_path = runs.find((r) => r.worktree_root !== null)?.worktree_root ?? null;
    const empty: PruneReport = {
      cleaned_runs: [],
      orphan_worktrees: [],
      orphan_branches: [],
      removed_worktrees: [],
      deleted_branches: [],
      kept_branches: [],
    };
    if (clone_path === null) return ok(empty);

    const cleaned: string[] = [];
    const removed: string[] = [];
    const deleted: { branch: string; sha: string }[] = [];
    const kept: { branch: string; reason: string }[] = [];
    const owned = new Set<string>();
    const branches = new Set<string>();
    for (const run of runs) {
      branches.add(run.base_branch);
      const state = yield* loadRunState(deps, run.id);
      for (const a of state.assignments) {
        owned.add(a.id);
        branches.add(a.feature_branch);
      }
      if (!TERMINAL_RUN_PHASES.includes(run.phase)) continue;
      const report = yield* cleanupRun(deps, { run_id: run.id }, signal);
      if (report.removed_worktrees.length + report.deleted_branches.length > 0) cleaned.push(run.id);
      removed.push(...report.removed_worktrees);
      deleted.push(...report.deleted_branches);
      kept.push(...report.kept_branches);
    }
    const orphanWorktrees: string[] = [];
    for (const w of yield* deps.git.listWorkspaces({ clone_path }, opts)) {
      if (owned.has(w.assignment_id)) continue;
      yield* deps.git.removeWorktree({ clone_path, worktree_path: w.worktree_path }, opts);
      orphanWorktrees.push(w.worktree_path);
    }
    const orphanBranches: string[] = [];
    for (const b of yield* deps.git.listBranches({ clone_path }, opts)) {
      if (branches.has(b.branch)) continue;
      const gone = await deps.git.deleteBranch({ clone_path, branch: b.branch }, opts);
      if (gone.isErr()) {
        if (gone.error.kind !== "conflict") return errAsync(gone.error);
        kept.push({ branch: b.branch, reason: "a workspace still holds it" });
        continue;
      }
      orphanBranches.push(b.branch);
    }
    return ok({
      cleaned_runs: cleaned,
      orphan_worktrees: orphanWorktrees,
      orphan_branches: orphanBranches,
      removed_worktrees: removed,
      deleted_branches: deleted,
      kept_branches: kept,
    });
  });
}
