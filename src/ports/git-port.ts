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
   */
  createFeatureBranch(
    input: { readonly clone_path: string; readonly branch: string; readonly base_branch: string },
    options?: PortCallOptions,
  ): ResultAsync<{ readonly base_sha: string; readonly created: boolean }, PortError>;
  /**
   * Checks `branch` out in its own worktree, named after `assignment_id`, so cards run in parallel while
   * sharing one object store. An existing worktree of the same branch is reused. Idempotent.
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
  /** A unified diff of one path between `base` and `head` (empty when unchanged). */
  fileDiff(
    input: {
      readonly clone_path: string;
      readonly base: string;
      readonly head: string;
      readonly path: string;
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
  /** Pushes `branch` to the clone's remote (credentials are the adapter's business, never logged). */
  push(
    input: { readonly clone_path: string; readonly branch: string },
    options?: PortCallOptions,
  ): ResultAsync<void, PortError>;
}
