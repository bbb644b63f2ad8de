import type { ResultAsync } from "neverthrow";
import type { ChangedFile } from "../core/schemas/changed-file.js";
import type { PortCallOptions, PortError } from "./port-error.js";

/** A local clone of a project's repository. */
export interface GitClone {
  /** Absolute path of the clone (or the fake's name for it). */
  readonly clone_path: string;
  /** `true` when an existing clone of the same remote was reused (and fetched). */
  readonly reused: boolean;
}

/** A commit read back from git: the truth about what an agent did, whatever it claimed. */
export interface GitCommit {
  readonly sha: string;
  readonly message: string;
  /** ISO date-time. */
  readonly committed_at: string;
}

/** Why an agent's repository does not hold a clean attempt, found by {@link GitPort.importWork}. */
export type AgentWorkFindingCode =
  /** HEAD names another branch than the card's. */
  | "wrong_branch"
  /** HEAD is not a branch at all (detached, or unreadable). */
  | "detached_head"
  /** Files differ from the branch's head commit, or untracked files are present. */
  | "uncommitted_changes"
  /** Refs other than the card's branch exist or moved (other branches, tags, a stash, notes). */
  | "foreign_refs"
  /** The branch no longer contains the base commit (history rewritten, or another history entirely). */
  | "diverged_from_base"
  /** The repository is not the one rungate made (its `.git` is gone, replaced, or refuses to be read). */
  | "repository_replaced";

/** One reason an attempt is not a clean commit on the card's branch. */
export interface AgentWorkFinding {
  readonly code: AgentWorkFindingCode;
  /** One sentence for people, naming what was found (refs, paths, branches). */
  readonly message: string;
}

/** What {@link GitPort.importWork} read back from an agent's repository. */
export interface ImportedWork {
  /** The branch's head now in rungate's clone (the base when nothing could be imported). */
  readonly head_sha: string;
  /** Everything that makes the attempt unclean; empty for a clean commit (or no commit) on the branch. */
  readonly findings: readonly AgentWorkFinding[];
  /**
   * Branches of the remote, other than the card's, that moved since the clone last fetched (an agent, or a
   * person, pushed). Reported, not judged: people move branches too.
   */
  readonly remote_refs_moved: readonly string[];
}

/** A tree rungate checked out for checks, and what a check left in it. */
export interface CheckTreeState {
  /** The commit HEAD names now (`null` when HEAD is gone, symbolic, or unreadable). */
  readonly head_sha: string | null;
  /** Tracked paths whose content differs from the commit (or that were deleted). */
  readonly changed_paths: readonly string[];
}

/** A card's workspace in a clone, as {@link GitPort.listWorkspaces} finds it. */
export interface CardWorkspace {
  readonly assignment_id: string;
  readonly worktree_path: string;
  /** The branch rungate recorded for it; `null` when there is no record. */
  readonly branch: string | null;
}

/** A card's feature branch as {@link GitPort.createFeatureBranch} left it. */
export interface FeatureBranch {
  /** The base commit the branch starts from. */
  readonly base_sha: string;
  /** Whether the branch was made now. */
  readonly created: boolean;
  /** The tip a `replace` moved away from (kept under `refs/rungate/replaced/`); absent otherwise. */
  readonly replaced_sha?: string;
}

/**
 * Everything rungate needs from git, in domain words. Implementations: `rungate/git` (simple-git) and the
 * in-memory fake of `rungate/testing`. Every method is idempotent where it says so, fails with a
 * {@link PortError} (`port_failure` carrying the git operation and an stderr excerpt, `not_found` for a
 * missing ref, `conflict` for a clone or branch that exists with other content) and never throws.
 */
export interface GitPort {
  /** Adapter name, used in errors and events. */
  readonly name: string;
  /**
   * Secret values this adapter was given (tokens, passwords, environment values marked secret), so that the
   * orchestrator's one redaction boundary keeps them out of every stored record, event and error. Optional:
   * an adapter given no secret leaves it out.
   */
  readonly secret_values?: readonly string[];
  /**
   * Clones `repo_url` for `project_id`, or reuses and fetches an existing clone of the same remote.
   * A clone of another remote at that place is a `conflict`, never overwritten. Idempotent.
   */
  ensureClone(
    input: { readonly project_id: string; readonly repo_url: string },
    options?: PortCallOptions,
  ): ResultAsync<GitClone, PortError>;
  /**
   * Creates `branch` from the tip of `base_branch` and returns the base commit. An existing branch is
   * reused (`created: false`) when it descends from the base; otherwise `conflict`. Idempotent.
   *
   * With `replace: true` (a card built anew after an earlier run ended), an existing local branch is moved
   * back to the base tip instead, diverged or not; its former tip is kept under
   * `refs/rungate/replaced/<branch>/<sha>`, so nothing is lost, and returned as `replaced_sha`.
   */
  createFeatureBranch(
    input: {
      readonly clone_path: string;
      readonly branch: string;
      readonly base_branch: string;
      readonly replace?: boolean;
    },
    options?: PortCallOptions,
  ): ResultAsync<FeatureBranch, PortError>;
  /**
   * Gives the agent of `assignment_id` its own repository with `branch` checked out (the card's worktree),
   * so cards run in parallel while sharing one object store read-only. The agent owns that repository:
   * whatever it writes there (config, hooks, attributes, other refs) never reaches a git process of
   * rungate's, which only imports its commits ({@link GitPort.importWork}). An existing worktree of the
   * same branch is reused; a branch held by another assignment's worktree is a `conflict`. Idempotent.
   */
  createWorktree(
    input: { readonly clone_path: string; readonly branch: string; readonly assignment_id: string },
    options?: PortCallOptions,
  ): ResultAsync<{ readonly worktree_path: string; readonly created: boolean }, PortError>;
  /** Removes a worktree (the branch and its commits stay). Removing a missing worktree succeeds. */
  removeWorktree(
    input: { readonly clone_path: string; readonly worktree_path: string },
    options?: PortCallOptions,
  ): ResultAsync<void, PortError>;
  /**
   * The cards' workspaces in the clone, as rungate recorded them: each assignment's worktree path and the
   * branch it holds (`null` for a directory rungate has no record of, such as one a killed call left).
   */
  listWorkspaces(
    input: { readonly clone_path: string },
    options?: PortCallOptions,
  ): ResultAsync<readonly CardWorkspace[], PortError>;
  /** The clone's local branches (`refs/heads/*`) and their tips, by name. */
  listBranches(
    input: { readonly clone_path: string },
    options?: PortCallOptions,
  ): ResultAsync<readonly { readonly branch: string; readonly sha: string }[], PortError>;
  /**
   * Deletes a local branch of the clone, never the remote's. Its tip is kept under
   * `refs/rungate/removed/<branch>/<sha>`, so nothing is lost, and returned as `deleted_sha` (`null` when
   * there was no such branch). A branch a workspace still holds is a `conflict` (`branch_checked_out`).
   */
  deleteBranch(
    input: { readonly clone_path: string; readonly branch: string },
    options?: PortCallOptions,
  ): ResultAsync<{ readonly deleted_sha: string | null }, PortError>;
  /** The commit `ref` (a branch or a sha) points to; `not_found` when it doesn't exist. */
  headSha(
    input: { readonly clone_path: string; readonly ref: string },
    options?: PortCallOptions,
  ): ResultAsync<string, PortError>;
  /** The files that differ between `base` and `head`, with their status (renames carry `previous_path`). */
  changedFiles(
    input: { readonly clone_path: string; readonly base: string; readonly head: string },
    options?: PortCallOptions,
  ): ResultAsync<ChangedFile[], PortError>;
  /**
   * A unified diff of one path between `base` and `head` (empty when unchanged). With `text: true` every file
   * is diffed as text (`git diff --text`), lines and all, even one git would call binary: what a scan of the
   * added lines needs, since one NUL byte would otherwise hide a whole file behind "Binary files differ".
   */
  fileDiff(
    input: {
      readonly clone_path: string;
      readonly base: string;
      readonly head: string;
      readonly path: string;
      readonly text?: boolean;
    },
    options?: PortCallOptions,
  ): ResultAsync<string, PortError>;
  /** The content of `path` at `ref`, or `null` when the path does not exist there. */
  fileContent(
    input: { readonly clone_path: string; readonly ref: string; readonly path: string },
    options?: PortCallOptions,
  ): ResultAsync<string | null, PortError>;
  /** Commits reachable from `head` but not from `base`, oldest first. */
  commitsSince(
    input: { readonly clone_path: string; readonly base: string; readonly head: string },
    options?: PortCallOptions,
  ): ResultAsync<GitCommit[], PortError>;
  /**
   * Reads an agent's work back as a stranger's: the card's branch is fetched from the agent's repository
   * into the clone (the agent's configuration never applies) and `refs/heads/<branch>` of the clone moves
   * to it; HEAD, other refs, uncommitted files and the base's ancestry are judged into `findings`. With
   * findings the clone's branch is left where it was. Idempotent.
   */
  importWork(
    input: {
      readonly clone_path: string;
      readonly worktree_path: string;
      readonly branch: string;
      readonly base_sha: string;
    },
    options?: PortCallOptions,
  ): ResultAsync<ImportedWork, PortError>;
  /**
   * Checks `head_sha` out, fresh, into a tree rungate owns, named `tree_name` (one path segment; the
   * orchestrator uses one per assignment and check type), never the agent's worktree: a check runs on
   * exactly that commit, whatever the agent's worktree holds. A tree left from an earlier call is replaced.
   * Returns its path.
   */
  prepareCheckTree(
    input: { readonly clone_path: string; readonly tree_name: string; readonly head_sha: string },
    options?: PortCallOptions,
  ): ResultAsync<{ readonly tree_path: string }, PortError>;
  /**
   * What a check tree holds now, against `head_sha`: HEAD and the tracked paths whose content differs
   * (files a check creates, such as build output, are not counted). Read without running git in the tree.
   */
  inspectCheckTree(
    input: { readonly clone_path: string; readonly tree_path: string; readonly head_sha: string },
    options?: PortCallOptions,
  ): ResultAsync<CheckTreeState, PortError>;
  /** Removes a check tree; removing a missing one succeeds. */
  removeCheckTree(
    input: { readonly clone_path: string; readonly tree_path: string },
    options?: PortCallOptions,
  ): ResultAsync<void, PortError>;
  /**
   * Pushes `branch` to the clone's remote with an explicit refspec that can only create or fast-forward
   * `refs/heads/<branch>` (never another ref; credentials are the adapter's business, never logged); anything
   * else there is a `conflict` (`non_fast_forward`). With `head_sha`, exactly that commit is pushed (the approved
   * head), whatever the clone's branch says now. Pushing a commit the remote branch already holds succeeds.
   *
   * With `replaces_sha` (a full sha), the push is a lease instead: the remote branch is replaced only while it
   * is at exactly that commit, fast-forward or not (git's `--force-with-lease=refs/heads/<branch>:<sha>`).
   * Anything else there (another commit, even one the push would fast-forward, or no branch at all) refuses
   * with `conflict` (`non_fast_forward`) and leaves the remote as it was. Never a blind force: the orchestrator
   * names a head it pushed itself (a card built again after its earlier pull request was merged or closed), so
   * commits someone else pushed since are never overwritten. A custom adapter that ignores it never forces
   * either, but such a rebuilt card then cannot be pushed.
   */
  push(
    input: {
      readonly clone_path: string;
      readonly branch: string;
      readonly head_sha?: string;
      readonly replaces_sha?: string;
    },
    options?: PortCallOptions,
  ): ResultAsync<void, PortError>;
}
