import { err, errAsync, ok, okAsync, Result, type ResultAsync } from "neverthrow";
import { rungateError } from "../../core/errors.js";
import type { ChangedFile } from "../../core/schemas/changed-file.js";
import { BoundedLog, DEFAULT_LOG_LIMIT } from "../../internal/bounded/bounded-log.js";
import type {
  AgentWorkFinding,
  CheckTreeState,
  FeatureBranch,
  GitClone,
  GitCommit,
  GitPort,
  ImportedWork,
} from "../../ports/git-port.js";
import type { PortCallOptions, PortError } from "../../ports/port-error.js";

/** Options of {@link createInMemoryGit}. */
export interface InMemoryGitOptions {
  /** Adapter name, used in errors and events. Default `"in-memory"`. */
  readonly name?: string;
  /**
   * Where commit times come from (ISO-8601). Default: a fixed instant advanced by one second per commit, so
   * runs are deterministic.
   */
  readonly now?: () => string;
  /**
   * How many entries its call log keeps, the newest (default {@link DEFAULT_LOG_LIMIT}): a long-lived fake
   * holds bounded memory. `Infinity` keeps everything.
   */
  readonly log_limit?: number;
}

/** One entry of {@link InMemoryGit.operations}: a port method that was called and its input. */
export interface InMemoryGitOperation {
  /** The {@link GitPort} method name, e.g. `"ensureClone"`. */
  readonly op: string;
  /** A copy of the input the method received (the `options` with the signal are not recorded). */
  readonly args: unknown;
}

/** Options of {@link InMemoryGit.createRemote}. */
export interface InMemoryRemoteOptions {
  /** The branch of the first commit, which becomes the remote's default branch. Default `"main"`. */
  readonly branch?: string;
  /** Message of the first commit. Default `"Initial commit"`. */
  readonly message?: string;
}

/**
 * Input of {@link InMemoryGit.forget}: what to forget of one finished run. A `ForgottenRun`, what an in-memory
 * store hands its `onForget`, is one.
 */
export interface InMemoryForgetInput {
  /** The run's clone; `null` (or an unknown path) forgets nothing. */
  readonly clone_path: string | null;
  /** Worktrees to forget. */
  readonly worktree_paths: readonly string[];
  /** Branches no kept run uses any more: forgotten locally, on the remote and in every clone's tracking refs. */
  readonly released_branches: readonly string[];
}

/** Input of {@link InMemoryGit.commit}. */
export interface InMemoryCommitInput {
  /** The worktree the commit is made in (as returned by `createWorktree`). */
  readonly worktree_path: string;
  /** Files to write; `null` deletes the path. */
  readonly files: Readonly<Record<string, string | null>>;
  /** Commit message. */
  readonly message: string;
  /**
   * Commit on this branch of the same clone instead of the worktree's own branch, to simulate an agent that
   * committed on the wrong branch. A branch that exists only on the remote is created locally from it.
   */
  readonly branch?: string;
}

/**
 * The in-memory {@link GitPort}: a small but real model of git — content-addressed commits with parents,
 * remotes, clones with remote-tracking branches refreshed by fetch, local branches, worktrees that lock their
 * branch, ancestry checks, tree comparison with exact-content rename detection, unified diffs and a push
 * that only creates or fast-forwards (or, with a lease, replaces exactly the sha the remote branch must hold).
 * Everything happens in memory and deterministically.
 *
 * Besides the port, it has **test-facing helpers** that are not part of {@link GitPort} and that the
 * orchestrator never calls: they set up remotes, play the agent (commit, leave files dirty), play other people
 * (push to the remote), and let tests look inside.
 */
export interface InMemoryGit extends GitPort {
  /**
   * Test helper: creates a remote repository reachable at `repo_url` with one commit holding `files` on
   * `options.branch` (default `"main"`). Returns the sha of that commit. Throws on misuse (a url that already
   * exists, an invalid path or branch name), because it is test setup, not a port call.
   */
  createRemote(
    repo_url: string,
    files: Readonly<Record<string, string>>,
    options?: InMemoryRemoteOptions,
  ): string;
  /**
   * Test helper: writes `files` in a worktree and commits everything there (`git add -A && git commit`),
   * advancing the worktree's branch (or `input.branch`). Uncommitted files written earlier in that worktree
   * are included when committing on the worktree's own branch. Returns the new sha; fails with `not_found`
   * for an unknown worktree or branch, `validation` for a bad path, `port_failure` (`nothing_to_commit`)
   * when the tree would not change.
   */
  commit(input: InMemoryCommitInput): Result<string, PortError>;
  /**
   * Test helper: writes (or with `null` deletes) files in a worktree without committing them, like an agent
   * that left its work dirty, or in a check tree (`prepareCheckTree`), like a check that rewrote files.
   * `not_found` for an unknown tree, `validation` for a bad path.
   */
  writeUncommitted(
    worktree_path: string,
    files: Readonly<Record<string, string | null>>,
  ): Result<void, PortError>;
  /**
   * Test helper: the paths (sorted) whose content in the worktree differs from its branch tip, i.e. what
   * `git status` would list. Empty for an unknown worktree.
   */
  uncommittedChanges(worktree_path: string): string[];
  /**
   * Test helper: someone else pushes a commit writing `files` (`null` deletes) on `branch` of the remote, so
   * the base moves. Clones see it after their next fetch (`ensureClone`). Returns the new sha; `not_found`
   * for an unknown remote or branch.
   */
  commitToRemote(
    repo_url: string,
    branch: string,
    files: Readonly<Record<string, string | null>>,
    message: string,
  ): Result<string, PortError>;
  /** Test helper: the tip of a local branch of a clone, `undefined` when absent. */
  branchTip(clone_path: string, branch: string): string | undefined;
  /** Test helper: the tip of a branch on a remote, `undefined` when absent. */
  remoteBranchTip(repo_url: string, branch: string): string | undefined;
  /**
   * Test helper for long-lived fakes: forgets what a finished run left, as if it had never been there, so a
   * set of fakes shared by a long suite keeps bounded memory. Wire it to the store of the same ports:
   * `createInMemoryStorage({ onForget: (run) => git.forget(run) })`; the store calls it only for runs that
   * ended, and lists only branches no run it keeps uses. The worktrees go; each released branch goes from
   * the clone (with the refs kept for it under `refs/rungate/removed/<branch>/` and `refs/rungate/replaced/<branch>/`),
   * and from the remote and every clone's remote-tracking refs together (so no clone sees it move), unless a
   * worktree still holds it, another clone has it as a local branch, or it is the remote's first branch.
   * Commits no ref reaches any more are then dropped, in batches. Unknown paths and branches are ignored.
   */
  forget(input: InMemoryForgetInput): void;
  /**
   * Test helper: every port call in order, aborted and failed ones included (helpers are not logged); the
   * newest `log_limit` of them (option, default 10,000).
   */
  readonly operations: readonly InMemoryGitOperation[];
}

interface CommitObject extends GitCommit {
  readonly parents: readonly string[];
  readonly files: ReadonlyMap<string, string>;
  /** Creation order in this instance; parents always have a smaller one. */
  readonly seq: number;
}

interface Remote {
  readonly url: string;
  /** The branch of its first commit, never forgotten. */
  readonly default_branch: string;
  readonly objects: Map<string, CommitObject>;
  readonly branches: Map<string, string>;
}

interface Worktree {
  readonly path: string;
  readonly branch: string;
  readonly assignment_id: string;
  /** Uncommitted writes: content, or `null` for a deletion. */
  readonly dirty: Map<string, string | null>;
  /** Branches other than its own that commits from this worktree moved (an agent writing other refs). */
  readonly foreign: Set<string>;
}

interface CheckTree {
  readonly path: string;
  readonly head_sha: string;
  /** What a check wrote there: content, or `null` for a deletion. */
  readonly dirty: Map<string, string | null>;
}

interface Clone {
  readonly path: string;
  readonly project_id: string;
  readonly remote_url: string;
  readonly objects: Map<string, CommitObject>;
  /** Local branches (`refs/heads/*`). */
  readonly branches: Map<string, string>;
  /** Remote-tracking branches (`refs/remotes/origin/*`) as of the last fetch. */
  readonly tracking: Map<string, string>;
  readonly worktrees: Map<string, Worktree>;
  readonly checkTrees: Map<string, CheckTree>;
  /** Other refs rungate keeps (`refs/rungate/replaced/…`), full name → sha. */
  readonly keptRefs: Map<string, string>;
}

const PORT = "GitPort";
const CLONE_ROOT = "/fake/repos";
const EPOCH_MS = Date.UTC(2026, 0, 1);
/** A full commit id (SHA-1 or SHA-256), lower-case hex, as the git adapter's input schemas accept it. */
const FULL_SHA = /^([0-9a-f]{40}|[0-9a-f]{64})$/;

/**
 * Creates an {@link InMemoryGit}: the in-memory {@link GitPort} plus test helpers. Each instance is an
 * isolated world of remotes and clones; shas are deterministic per instance (a hash of parents, tree, message
 * and a counter) and unique within it.
 *
 * It keeps what a repository on disk keeps: every commit, branch, worktree and kept ref until a port call
 * removes it (`removeWorktree`, `deleteBranch`, as rungate's `cleanupRun` and `pruneWorktrees` do), and every
 * branch pushed to a remote; only its call log is bounded (`log_limit`). It never forgets on its own: it
 * cannot tell a finished card's worktree from a live one (only the store knows when a run ended), and
 * forgetting a live one would break that run. A card lifecycle left in place costs about 1.5 KiB; wire
 * {@link InMemoryGit.forget} to the store's `onForget` and it forgets what the store forgets.
 *
 * @example
 * ```ts
 * const git = createInMemoryGit();
 * git.createRemote("https://example.invalid/acme/shop.git", { "src/a.ts": "export {};\n" });
 * const clone = await git.ensureClone({ project_id: "p1", repo_url: "https://example.invalid/acme/shop.git" });
 * ```
 */
export function createInMemoryGit(options: InMemoryGitOptions = {}): InMemoryGit {
  const name = options.name ?? "in-memory";
  const remotes = new Map<string, Remote>();
  const clonesByProject = new Map<string, Clone>();
  const clonesByPath = new Map<string, Clone>();
  const operations = new BoundedLog<InMemoryGitOperation>(options.log_limit ?? DEFAULT_LOG_LIMIT);
  const allShas = new Set<string>();
  let seq = 0;
  /** Branches forgotten since the last collection, and how many commits that collection kept. */
  let forgottenSinceCollect = 0;
  let keptByCollect = 0;

  // ---- errors -------------------------------------------------------------------------------------------

  const notFound = (entity: string, id: string, code = "not_found"): PortError =>
    rungateError("not_found", code, { entity, id });
  const conflict = (code: string, entity: string, id: string): PortError =>
    rungateError("conflict", code, { entity, id });
  const failure = (operation: string, code: string, cause: string, retryable = false): PortError =>
    rungateError("port_failure", code, { port: PORT, adapter: name, operation, retryable, cause });
  const invalid = (field: string, code: string, message: string): PortError =>
    rungateError("validation", code, { issues: [{ path: [field], code, message }] });

  // ---- the call wrapper: log, honour the signal, never throw --------------------------------------------

  function call<T>(
    op: string,
    input: object,
    callOptions: PortCallOptions | undefined,
    body: () => Result<T, PortError>,
  ): ResultAsync<T, PortError> {
    operations.push({ op, args: Object.freeze({ ...input }) });
    if (callOptions?.signal?.aborted)
      return errAsync(rungateError("cancelled", "aborted", { operation: op }));
    let result: Result<T, PortError>;
    try {
      result = body();
    } catch (thrown) {
      result = err(failure(op, "internal", thrown instanceof Error ? thrown.message : String(thrown)));
    }
    return result.isOk() ? okAsync(result.value) : errAsync(result.error);
  }

  // ---- objects ------------------------------------------------------------------------------------------

  function makeCommit(parents: readonly string[], files: ReadonlyMap<string, string>, message: string) {
    seq += 1;
    const tree = JSON.stringify([...files.entries()].sort(([a], [b]) => compare(a, b)));
    let sha = "";
    for (let salt = 0; sha === "" || allShas.has(sha); salt += 1) {
      sha = hash40(`${parents.join(",")}\u0000${tree}\u0000${message}\u0000${seq}\u0000${salt}`);
    }
    allShas.add(sha);
    const committed_at = options.now ? options.now() : new Date(EPOCH_MS + seq * 1000).toISOString();
    const commit: CommitObject = Object.freeze({
      sha,
      parents: Object.freeze([...parents]),
      files: new Map(files),
      message,
      committed_at,
      seq,
    });
    return commit;
  }

  /** Every commit reachable from `sha` (itself included), walking all parents. */
  function reachable(objects: ReadonlyMap<string, CommitObject>, sha: string): Set<string> {
    const seen = new Set<string>();
    const stack = [sha];
    for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
      if (seen.has(next)) continue;
      seen.add(next);
      for (const parent of objects.get(next)?.parents ?? []) stack.push(parent);
    }
    return seen;
  }

  const isAncestor = (objects: ReadonlyMap<string, CommitObject>, ancestor: string, of: string) =>
    reachable(objects, of).has(ancestor);

  function copyReachable(
    from: ReadonlyMap<string, CommitObject>,
    to: Map<string, CommitObject>,
    tip: string,
  ): void {
    for (const sha of reachable(from, tip)) {
      const commit = from.get(sha);
      if (commit) to.set(sha, commit);
    }
  }

  function fetch(clone: Clone, remote: Remote): void {
    for (const [sha, commit] of remote.objects) clone.objects.set(sha, commit);
    clone.tracking.clear();
    for (const [branch, sha] of remote.branches) clone.tracking.set(branch, sha);
  }

  // ---- lookups ------------------------------------------------------------------------------------------

  const getClone = (clone_path: string): Result<Clone, PortError> => {
    const clone = clonesByPath.get(clone_path);
    return clone ? ok(clone) : err(notFound("clone", clone_path));
  };

  /** Paths whose content in `dirty` differs from `files` (what `git status` would list), sorted. */
  function differing(
    dirty: ReadonlyMap<string, string | null>,
    files: ReadonlyMap<string, string>,
  ): string[] {
    return [...dirty]
      .filter(([path, content]) => (files.get(path) ?? null) !== content)
      .map(([path]) => path)
      .sort(compare);
  }

  function findCheckTree(tree_path: string): CheckTree | undefined {
    for (const clone of clonesByPath.values()) {
      const tree = clone.checkTrees.get(tree_path);
      if (tree) return tree;
    }
    return undefined;
  }

  function findWorktree(worktree_path: string): { clone: Clone; worktree: Worktree } | undefined {
    for (const clone of clonesByPath.values()) {
      const worktree = clone.worktrees.get(worktree_path);
      if (worktree) return { clone, worktree };
    }
    return undefined;
  }

  /**
   * Resolves a ref like `git rev-parse`: a full sha, a local branch (`x` or `refs/heads/x`), a
   * remote-tracking branch (`origin/x`, `refs/remotes/origin/x`, or a bare `x` that only exists on the
   * remote), then an unambiguous abbreviated sha of at least 4 hex digits.
   */
  function resolve(clone: Clone, ref: string): Result<string, PortError> {
    if (/^[0-9a-f]{40}$/.test(ref) && clone.objects.has(ref)) return ok(ref);
    const kept = clone.keptRefs.get(ref);
    if (kept) return ok(kept);
    const local = clone.branches.get(ref.replace(/^refs\/heads\//, ""));
    if (local) return ok(local);
    const remoteName = ref.replace(/^refs\/remotes\//, "").replace(/^origin\//, "");
    const tracking = ref.startsWith("refs/heads/") ? undefined : clone.tracking.get(remoteName);
    if (tracking) return ok(tracking);
    if (/^[0-9a-f]{4,40}$/.test(ref)) {
      const matches = [...clone.objects.keys()].filter((sha) => sha.startsWith(ref));
      if (matches.length === 1 && matches[0]) return ok(matches[0]);
      if (matches.length > 1) return err(notFound("ref", ref, "ambiguous_ref"));
    }
    return err(notFound("ref", ref));
  }

  function resolveCommit(clone: Clone, ref: string): Result<CommitObject, PortError> {
    return resolve(clone, ref).andThen((sha) => {
      const commit = clone.objects.get(sha);
      return commit ? ok(commit) : err(notFound("commit", sha));
    });
  }

  /** The base of a new branch: the remote-tracking tip as of the last fetch, else a local branch. */
  function baseTip(clone: Clone, base_branch: string): Result<string, PortError> {
    const tip = clone.tracking.get(base_branch) ?? clone.branches.get(base_branch);
    return tip ? ok(tip) : err(notFound("branch", base_branch));
  }

  /** A local branch, created from its remote-tracking branch when it only exists there (git's DWIM). */
  function localBranch(clone: Clone, branch: string): Result<string, PortError> {
    const tip = clone.branches.get(branch);
    if (tip) return ok(tip);
    const tracking = clone.tracking.get(branch);
    if (!tracking) return err(notFound("branch", branch));
    clone.branches.set(branch, tracking);
    return ok(tracking);
  }

  // ---- trees --------------------------------------------------------------------------------------------

  function applyChanges(
    base: ReadonlyMap<string, string>,
    changes: Iterable<readonly [string, string | null]>,
  ): Result<Map<string, string>, PortError> {
    const files = new Map(base);
    for (const [path, content] of changes) {
      const problem = pathProblem(path);
      if (problem) return err(invalid("files", "invalid_path", `${JSON.stringify(path)}: ${problem}`));
      if (content === null) files.delete(path);
      else files.set(path, content);
    }
    const clash = fileDirectoryClash(files);
    return clash
      ? err(invalid("files", "path_conflict", `${JSON.stringify(clash)} is both a file and a directory`))
      : ok(files);
  }

  function commitOnto(
    objects: Map<string, CommitObject>,
    parentSha: string,
    changes: Iterable<readonly [string, string | null]>,
    message: string,
    operation: string,
  ): Result<CommitObject, PortError> {
    const parent = objects.get(parentSha);
    if (!parent) return err(notFound("commit", parentSha));
    return applyChanges(parent.files, changes).andThen((files) => {
      if (sameTree(parent.files, files)) {
        return err(failure(operation, "nothing_to_commit", "nothing to commit, working tree clean"));
      }
      const commit = makeCommit([parent.sha], files, message);
      objects.set(commit.sha, commit);
      return ok(commit);
    });
  }

  // ---- the port -----------------------------------------------------------------------------------------

  const port: GitPort = {
    name,

    ensureClone(input, callOptions) {
      return call("ensureClone", input, callOptions, () => {
        const existing = clonesByProject.get(input.project_id);
        if (existing && existing.remote_url !== input.repo_url) {
          return err(conflict("clone_remote_mismatch", "clone", existing.path));
        }
        const remote = remotes.get(input.repo_url);
        if (!remote) {
          return err(
            failure(
              existing ? "fetch" : "clone",
              "remote_not_found",
              `repository '${input.repo_url}' not found`,
            ),
          );
        }
        if (existing) {
          fetch(existing, remote);
          return ok<GitClone>({ clone_path: existing.path, reused: true });
        }
        if (pathProblem(input.project_id) || input.project_id.includes("/")) {
          return err(invalid("project_id", "invalid_project_id", "must be one safe path segment"));
        }
        const clone: Clone = {
          path: `${CLONE_ROOT}/${input.project_id}`,
          project_id: input.project_id,
          remote_url: input.repo_url,
          objects: new Map(),
          branches: new Map(),
          tracking: new Map(),
          worktrees: new Map(),
          checkTrees: new Map(),
          keptRefs: new Map(),
        };
        fetch(clone, remote);
        clonesByProject.set(clone.project_id, clone);
        clonesByPath.set(clone.path, clone);
        return ok<GitClone>({ clone_path: clone.path, reused: false });
      });
    },

    createFeatureBranch(input, callOptions) {
      return call("createFeatureBranch", input, callOptions, () =>
        getClone(input.clone_path).andThen((clone) => {
          const problem = branchNameProblem(input.branch);
          if (problem) return err(invalid("branch", "invalid_branch_name", problem));
          return baseTip(clone, input.base_branch).andThen((base_sha) => {
            const local = clone.branches.get(input.branch);
            if (input.replace === true && local !== undefined && local !== base_sha) {
              clone.keptRefs.set(`refs/rungate/replaced/${input.branch}/${local}`, local);
              clone.branches.set(input.branch, base_sha);
              return ok<FeatureBranch>({ base_sha, created: false, replaced_sha: local });
            }
            const existing = local ?? (input.replace === true ? undefined : clone.tracking.get(input.branch));
            if (existing === undefined) {
              clone.branches.set(input.branch, base_sha);
              return ok<FeatureBranch>({ base_sha, created: true });
            }
            if (!isAncestor(clone.objects, base_sha, existing)) {
              return err(conflict("branch_diverged", "branch", input.branch));
            }
            // The base tip is an ancestor of the branch, so it is their merge-base.
            clone.branches.set(input.branch, existing);
            return ok({ base_sha, created: false });
          });
        }),
      );
    },

    createWorktree(input, callOptions) {
      return call("createWorktree", input, callOptions, () =>
        getClone(input.clone_path).andThen((clone) => {
          if (pathProblem(input.assignment_id) || input.assignment_id.includes("/")) {
            return err(invalid("assignment_id", "invalid_assignment_id", "must be one safe path segment"));
          }
          const worktree_path = `${clone.path}/.worktrees/${input.assignment_id}`;
          const existing = clone.worktrees.get(worktree_path);
          if (existing) {
            return existing.branch === input.branch
              ? ok({ worktree_path, created: false })
              : err(conflict("worktree_branch_mismatch", "worktree", worktree_path));
          }
          const holder = [...clone.worktrees.values()].find((w) => w.branch === input.branch);
          if (holder) return err(conflict("branch_checked_out", "branch", input.branch));
          return localBranch(clone, input.branch).map(() => {
            clone.worktrees.set(worktree_path, {
              path: worktree_path,
              branch: input.branch,
              assignment_id: input.assignment_id,
              dirty: new Map(),
              foreign: new Set(),
            });
            return { worktree_path, created: true };
          });
        }),
      );
    },

    removeWorktree(input, callOptions) {
      return call("removeWorktree", input, callOptions, () =>
        getClone(input.clone_path).map((clone) => {
          clone.worktrees.delete(input.worktree_path);
          return undefined;
        }),
      );
    },

    listWorkspaces(input, callOptions) {
      return call("listWorkspaces", input, callOptions, () =>
        getClone(input.clone_path).map((clone) =>
          [...clone.worktrees.values()]
            .map((w) => ({ assignment_id: w.assignment_id, worktree_path: w.path, branch: w.branch }))
            .sort((a, b) => compare(a.assignment_id, b.assignment_id)),
        ),
      );
    },

    listBranches(input, callOptions) {
      return call("listBranches", input, callOptions, () =>
        getClone(input.clone_path).map((clone) =>
          [...clone.branches.entries()]
            .map(([branch, sha]) => ({ branch, sha }))
            .sort((a, b) => compare(a.branch, b.branch)),
        ),
      );
    },

    deleteBranch(input, callOptions) {
      return call("deleteBranch", input, callOptions, () =>
        getClone(input.clone_path).andThen((clone) => {
          if ([...clone.worktrees.values()].some((w) => w.branch === input.branch)) {
            return err(conflict("branch_checked_out", "branch", input.branch));
          }
          const sha = clone.branches.get(input.branch);
          if (sha === undefined) return ok({ deleted_sha: null });
          clone.keptRefs.set(`refs/rungate/removed/${input.branch}/${sha}`, sha);
          clone.branches.delete(input.branch);
          return ok({ deleted_sha: sha });
        }),
      );
    },

    importWork(input, callOptions) {
      return call("importWork", input, callOptions, () =>
        getClone(input.clone_path).andThen((clone): Result<ImportedWork, PortError> => {
          const worktree = clone.worktrees.get(input.worktree_path);
          if (!worktree) return err(notFound("worktree", input.worktree_path));
          if (worktree.branch !== input.branch) {
            return err(conflict("worktree_branch_mismatch", "worktree", input.worktree_path));
          }
          const head_sha = clone.branches.get(input.branch) ?? input.base_sha;
          const findings: AgentWorkFinding[] = [];
          const foreign = [...worktree.foreign].sort(compare);
          if (foreign.length > 0) {
            findings.push({
              code: "foreign_refs",
              message: `the agent wrote refs other than refs/heads/${input.branch}: ${foreign.map((b) => `refs/heads/${b}`).join(", ")}`,
            });
          }
          if (!isAncestor(clone.objects, input.base_sha, head_sha)) {
            findings.push({
              code: "diverged_from_base",
              message: `refs/heads/${input.branch} no longer contains the base commit ${input.base_sha.slice(0, 12)}`,
            });
          }
          const dirty = differing(worktree.dirty, clone.objects.get(head_sha)?.files ?? new Map());
          if (dirty.length > 0) {
            findings.push({
              code: "uncommitted_changes",
              message: `the agent left ${dirty.length} uncommitted path(s): ${dirty.join(", ")}`,
            });
          }
          const remote = remotes.get(clone.remote_url);
          const moved = new Set<string>();
          for (const [branch, sha] of remote?.branches ?? []) {
            if (branch !== input.branch && clone.tracking.get(branch) !== sha)
              moved.add(`refs/heads/${branch}`);
          }
          for (const branch of clone.tracking.keys()) {
            if (branch !== input.branch && !remote?.branches.has(branch)) moved.add(`refs/heads/${branch}`);
          }
          return ok({ head_sha, findings, remote_refs_moved: [...moved].sort(compare) });
        }),
      );
    },

    prepareCheckTree(input, callOptions) {
      return call("prepareCheckTree", input, callOptions, () =>
        getClone(input.clone_path).andThen((clone) => {
          if (!clone.objects.has(input.head_sha)) return err(notFound("commit", input.head_sha));
          const tree_path = `${clone.path}/.checks/${input.tree_name}`;
          clone.checkTrees.set(tree_path, { path: tree_path, head_sha: input.head_sha, dirty: new Map() });
          return ok({ tree_path });
        }),
      );
    },

    inspectCheckTree(input, callOptions) {
      return call("inspectCheckTree", input, callOptions, () =>
        getClone(input.clone_path).andThen((clone): Result<CheckTreeState, PortError> => {
          const tree = clone.checkTrees.get(input.tree_path);
          if (!tree) return err(notFound("check_tree", input.tree_path));
          const files = clone.objects.get(input.head_sha)?.files ?? new Map<string, string>();
          return ok({ head_sha: tree.head_sha, changed_paths: differing(tree.dirty, files) });
        }),
      );
    },

    removeCheckTree(input, callOptions) {
      return call("removeCheckTree", input, callOptions, () =>
        getClone(input.clone_path).map((clone) => {
          clone.checkTrees.delete(input.tree_path);
          return undefined;
        }),
      );
    },

    headSha(input, callOptions) {
      return call("headSha", input, callOptions, () =>
        getClone(input.clone_path).andThen((clone) => resolve(clone, input.ref)),
      );
    },

    changedFiles(input, callOptions) {
      return call("changedFiles", input, callOptions, () =>
        getClone(input.clone_path).andThen((clone) =>
          Result.combine([resolveCommit(clone, input.base), resolveCommit(clone, input.head)]).map(
            ([base, head]) => diffTrees(base.files, head.files),
          ),
        ),
      );
    },

    fileDiff(input, callOptions) {
      return call("fileDiff", input, callOptions, () =>
        getClone(input.clone_path).andThen((clone) =>
          Result.combine([resolveCommit(clone, input.base), resolveCommit(clone, input.head)]).map(
            ([base, head]) =>
              unifiedDiff(input.path, base.files.get(input.path) ?? null, head.files.get(input.path) ?? null),
          ),
        ),
      );
    },

    fileContent(input, callOptions) {
      return call("fileContent", input, callOptions, () =>
        getClone(input.clone_path).andThen((clone) =>
          resolveCommit(clone, input.ref).map((commit) => commit.files.get(input.path) ?? null),
        ),
      );
    },

    commitsSince(input, callOptions) {
      return call("commitsSince", input, callOptions, () =>
        getClone(input.clone_path).andThen((clone) =>
          Result.combine([resolve(clone, input.base), resolve(clone, input.head)]).map(([base, head]) => {
            const excluded = reachable(clone.objects, base);
            return [...reachable(clone.objects, head)]
              .filter((sha) => !excluded.has(sha))
              .flatMap((sha) => {
                const commit = clone.objects.get(sha);
                return commit ? [commit] : [];
              })
              .sort((a, b) => a.seq - b.seq)
              .map(({ sha, message, committed_at }): GitCommit => ({ sha, message, committed_at }));
          }),
        ),
      );
    },

    push(input, callOptions) {
      return call("push", input, callOptions, () => {
        if (input.replaces_sha !== undefined && !FULL_SHA.test(input.replaces_sha))
          return err(invalid("replaces_sha", "invalid_sha", "expected a full commit sha"));
        return getClone(input.clone_path).andThen((clone) => {
          const branchTip = clone.branches.get(input.branch);
          if (!branchTip) return err(notFound("branch", input.branch));
          const tip = input.head_sha ?? branchTip;
          if (!clone.objects.has(tip)) return err(notFound("commit", tip));
          const remote = remotes.get(clone.remote_url);
          if (!remote)
            return err(failure("push", "remote_not_found", `repository '${clone.remote_url}' not found`));
          const remoteTip = remote.branches.get(input.branch);
          // A lease (git's --force-with-lease=<ref>:<sha>): the branch must hold exactly that sha (or already
          // the pushed commit); an absent branch or a fast-forwardable one is refused too, as git does.
          const refused =
            input.replaces_sha === undefined
              ? remoteTip !== undefined && !isAncestor(clone.objects, remoteTip, tip)
              : remoteTip !== tip && remoteTip !== input.replaces_sha;
          if (refused) return err(conflict("non_fast_forward", "branch", input.branch));
          copyReachable(clone.objects, remote.objects, tip);
          remote.branches.set(input.branch, tip);
          clone.tracking.set(input.branch, tip);
          return ok(undefined);
        });
      });
    },
  };

  // ---- forgetting (long-lived fakes) --------------------------------------------------------------------

  /** Drops the commits of `objects` no root reaches; returns how many are kept. */
  function sweep(objects: Map<string, CommitObject>, roots: Iterable<string>): number {
    const seen = new Set<string>();
    const stack = [...roots];
    for (let sha = stack.pop(); sha !== undefined; sha = stack.pop()) {
      const commit = objects.get(sha);
      if (commit === undefined || seen.has(sha)) continue;
      seen.add(sha);
      stack.push(...commit.parents);
    }
    for (const sha of objects.keys()) if (!seen.has(sha)) objects.delete(sha);
    return seen.size;
  }

  /** A git gc: every remote and clone keeps only the commits its refs reach. */
  function collect(): void {
    let kept = 0;
    for (const remote of remotes.values()) kept += sweep(remote.objects, remote.branches.values());
    for (const clone of clonesByPath.values()) {
      const trees = [...clone.checkTrees.values()].map((t) => t.head_sha);
      kept += sweep(clone.objects, [
        ...clone.branches.values(),
        ...clone.tracking.values(),
        ...clone.keptRefs.values(),
        ...trees,
      ]);
    }
    allShas.clear();
    for (const { objects } of [...remotes.values(), ...clonesByPath.values()]) {
      for (const sha of objects.keys()) allShas.add(sha);
    }
    keptByCollect = kept;
    forgottenSinceCollect = 0;
  }

  function forgetBranch(clone: Clone, branch: string): void {
    if ([...clone.worktrees.values()].some((w) => w.branch === branch)) return;
    clone.branches.delete(branch);
    for (const ref of [...clone.keptRefs.keys()]) {
      if (
        ref.startsWith(`refs/rungate/removed/${branch}/`) ||
        ref.startsWith(`refs/rungate/replaced/${branch}/`)
      ) {
        clone.keptRefs.delete(ref);
      }
    }
    const remote = remotes.get(clone.remote_url);
    const siblings = [...clonesByPath.values()].filter((c) => c.remote_url === clone.remote_url);
    if (!remote || remote.default_branch === branch) return;
    if (siblings.some((c) => c !== clone && c.branches.has(branch))) return;
    remote.branches.delete(branch);
    for (const sibling of siblings) sibling.tracking.delete(branch);
    forgottenSinceCollect += 1;
  }

  // ---- test helpers -------------------------------------------------------------------------------------

  return {
    ...port,

    get operations() {
      return operations.entries();
    },

    createRemote(repo_url, files, remoteOptions = {}) {
      if (remotes.has(repo_url)) throw new Error(`createRemote: a remote at ${repo_url} already exists`);
      const branch = remoteOptions.branch ?? "main";
      const problem = branchNameProblem(branch);
      if (problem) throw new Error(`createRemote: invalid branch ${JSON.stringify(branch)}: ${problem}`);
      const tree = applyChanges(new Map(), Object.entries(files));
      if (tree.isErr()) throw new Error(`createRemote: ${tree.error.message}`);
      const commit = makeCommit([], tree.value, remoteOptions.message ?? "Initial commit");
      remotes.set(repo_url, {
        url: repo_url,
        default_branch: branch,
        objects: new Map([[commit.sha, commit]]),
        branches: new Map([[branch, commit.sha]]),
      });
      return commit.sha;
    },

    commit(input) {
      const found = findWorktree(input.worktree_path);
      if (!found) return err(notFound("worktree", input.worktree_path));
      const { clone, worktree } = found;
      const branch = input.branch ?? worktree.branch;
      const ownBranch = branch === worktree.branch;
      const changes = ownBranch
        ? [...worktree.dirty, ...Object.entries(input.files)]
        : Object.entries(input.files);
      return localBranch(clone, branch)
        .andThen((parent) => commitOnto(clone.objects, parent, changes, input.message, "commit"))
        .map((commit) => {
          clone.branches.set(branch, commit.sha);
          if (ownBranch) worktree.dirty.clear();
          else worktree.foreign.add(branch);
          return commit.sha;
        });
    },

    writeUncommitted(worktree_path, files) {
      const dirty = findWorktree(worktree_path)?.worktree.dirty ?? findCheckTree(worktree_path)?.dirty;
      if (!dirty) return err(notFound("worktree", worktree_path));
      const entries = Object.entries(files);
      return applyChanges(new Map(), entries).map(() => {
        for (const [path, content] of entries) dirty.set(path, content);
        return undefined;
      });
    },

    uncommittedChanges(worktree_path) {
      const found = findWorktree(worktree_path);
      if (!found) return [];
      const tip = found.clone.branches.get(found.worktree.branch);
      const committed = (tip && found.clone.objects.get(tip)?.files) || new Map<string, string>();
      return differing(found.worktree.dirty, committed);
    },

    commitToRemote(repo_url, branch, files, message) {
      const remote = remotes.get(repo_url);
      if (!remote) return err(notFound("remote", repo_url));
      const tip = remote.branches.get(branch);
      if (!tip) return err(notFound("branch", branch));
      return commitOnto(remote.objects, tip, Object.entries(files), message, "commitToRemote").map(
        (commit) => {
          remote.branches.set(branch, commit.sha);
          return commit.sha;
        },
      );
    },

    branchTip(clone_path, branch) {
      return clonesByPath.get(clone_path)?.branches.get(branch);
    },

    remoteBranchTip(repo_url, branch) {
      return remotes.get(repo_url)?.branches.get(branch);
    },

    forget(input) {
      const clone = input.clone_path === null ? undefined : clonesByPath.get(input.clone_path);
      if (clone === undefined) return;
      for (const path of input.worktree_paths) clone.worktrees.delete(path);
      for (const branch of input.released_branches) forgetBranch(clone, branch);
      // In batches, so that a collection's cost (every kept commit) is spread over many forgotten branches.
      if (forgottenSinceCollect >= Math.max(64, keptByCollect / 4)) collect();
    },
  };
}

// ---- pure helpers ---------------------------------------------------------------------------------------

/** Code-unit order, like git's byte order for ASCII paths (and stable across locales). */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** FNV-1a over UTF-16 code units with a per-lane seed. Not cryptographic; testing only. */
function fnv1a(input: string, seed: number): number {
  let hash = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < input.length; i += 1) {
    hash ^= input.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** 40 hex characters from five independently seeded FNV-1a lanes. */
function hash40(input: string): string {
  let out = "";
  for (let lane = 0; lane < 5; lane += 1) {
    out += fnv1a(`${lane}\u0000${input}`, Math.imul(lane + 1, 0x9e3779b9))
      .toString(16)
      .padStart(8, "0");
  }
  return out;
}

/** Why `path` is not a path git could store (relative, POSIX, no empty, `.`, `..` or `.git` segment). */
function pathProblem(path: string): string | undefined {
  if (path.length === 0) return "empty path";
  if (path.includes("\u0000")) return "contains NUL";
  if (path.startsWith("/")) return "absolute path";
  const segments = path.split("/");
  if (segments.some((s) => s === "")) return "empty segment";
  if (segments.some((s) => s === "." || s === "..")) return "'.' or '..' segment";
  if (segments.some((s) => s.toLowerCase() === ".git")) return "'.git' segment";
  return undefined;
}

/** A path that is both a file and the directory of another file, which a git tree cannot hold. */
function fileDirectoryClash(files: ReadonlyMap<string, string>): string | undefined {
  for (const path of files.keys()) {
    const segments = path.split("/");
    for (let i = 1; i < segments.length; i += 1) {
      const dir = segments.slice(0, i).join("/");
      if (files.has(dir)) return dir;
    }
  }
  return undefined;
}

function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

/** A rough `git check-ref-format --branch`. */
function branchNameProblem(branch: string): string | undefined {
  if (branch.length === 0) return "empty branch name";
  if (branch === "@" || branch === "HEAD") return "reserved name";
  if (branch.startsWith("-") || branch.startsWith("/") || branch.endsWith("/")) return "bad start or end";
  if (branch.endsWith(".") || branch.endsWith(".lock")) return "bad ending";
  if (/\.\.|\/\/|@\{|[\s~^:?*[\\]/.test(branch) || hasControlCharacter(branch)) {
    return "forbidden character sequence";
  }
  if (branch.split("/").some((s) => s.startsWith("."))) return "segment starting with '.'";
  return undefined;
}

function sameTree(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): boolean {
  if (a.size !== b.size) return false;
  for (const [path, content] of a) if (b.get(path) !== content) return false;
  return true;
}

/**
 * Compares two trees like `git diff --name-status -M100%`: added, modified, deleted, and a deleted + added
 * pair with identical non-empty content as one `renamed` entry (git skips empty files when pairing renames).
 * Deleted paths are paired in path order with the first unpaired added path of the same content. Sorted by
 * path.
 */
function diffTrees(base: ReadonlyMap<string, string>, head: ReadonlyMap<string, string>): ChangedFile[] {
  const changes: ChangedFile[] = [];
  const deleted = [...base.keys()].filter((p) => !head.has(p)).sort(compare);
  const added = [...head.keys()].filter((p) => !base.has(p)).sort(compare);
  for (const [path, content] of head) {
    const before = base.get(path);
    if (before !== undefined && before !== content) changes.push(change(path, "modified", null));
  }
  const paired = new Set<string>();
  for (const previous_path of deleted) {
    const content = base.get(previous_path);
    const target = content
      ? added.find((path) => !paired.has(path) && head.get(path) === content)
      : undefined;
    if (target === undefined) {
      changes.push(change(previous_path, "deleted", null));
    } else {
      paired.add(target);
      changes.push(change(target, "renamed", previous_path));
    }
  }
  for (const path of added) {
    if (!paired.has(path)) changes.push(change(path, "added", null));
  }
  return changes.sort((a, b) => compare(a.path, b.path));
}

/** Lines with their line endings; the last one may lack `\n`. */
function lines(content: string | null): string[] {
  return content === null ? [] : (content.match(/[^\n]*\n|[^\n]+$/g) ?? []);
}

/**
 * A unified diff of one file with a single whole-file hunk (`diff --git`, `---`, `+++`, `@@`, then context,
 * `-` and `+` lines from a longest-common-subsequence alignment). Empty when the content is identical.
 */
function unifiedDiff(path: string, before: string | null, after: string | null): string {
  if (before === after) return "";
  const a = lines(before);
  const b = lines(after);
  // lcs[i][j] = length of the LCS of a[i..] and b[j..]
  const lcs: number[][] = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i -= 1) {
    const row = lcs[i] as number[];
    const below = lcs[i + 1] as number[];
    for (let j = b.length - 1; j >= 0; j -= 1) {
      row[j] = a[i] === b[j] ? (below[j + 1] ?? 0) + 1 : Math.max(below[j] ?? 0, row[j + 1] ?? 0);
    }
  }
  const body: string[] = [];
  const emit = (prefix: string, line: string) => {
    body.push(`${prefix}${line.replace(/\n$/, "")}`);
    if (!line.endsWith("\n")) body.push("\\ No newline at end of file");
  };
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const ai = a[i];
    const bj = b[j];
    if (ai !== undefined && bj !== undefined && ai === bj) {
      emit(" ", ai);
      i += 1;
      j += 1;
    } else if (ai !== undefined && (bj === undefined || (lcs[i + 1]?.[j] ?? 0) >= (lcs[i]?.[j + 1] ?? 0))) {
      emit("-", ai);
      i += 1;
    } else if (bj !== undefined) {
      emit("+", bj);
      j += 1;
    }
  }
  const range = (start: number, count: number) => `${count === 0 ? 0 : start},${count}`;
  return [
    `diff --git a/${path} b/${path}`,
    before === null ? "--- /dev/null" : `--- a/${path}`,
    after === null ? "+++ /dev/null" : `+++ b/${path}`,
    `@@ -${range(1, a.length)} +${range(1, b.length)} @@`,
    ...body,
    "",
  ].join("\n");
}

/** A change entry; the fake models plain files with text names, so modes and symlink targets are unknown (`null`). */
function change(path: string, status: ChangedFile["status"], previous_path: string | null): ChangedFile {
  return {
    path,
    status,
    previous_path,
    mode: null,
    previous_mode: null,
    symlink_target: null,
    // Names in the fake are JavaScript strings, always text.
    path_bytes: null,
    previous_path_bytes: null,
  };
}
