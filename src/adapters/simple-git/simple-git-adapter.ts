import { randomUUID } from "node:crypto";
import { homedir } from "node:os";
import { join, relative, resolve, sep } from "node:path";
import { err, errAsync, ok, okAsync, ResultAsync, safeTry } from "neverthrow";
import { z } from "zod";
import { type ChangedFile, ChangedFile as ChangedFileSchema } from "../../core/schemas/changed-file.js";
import type { GitClone, GitCommit, GitPort } from "../../ports/git-port.js";
import type { PortCallOptions, PortError } from "../../ports/port-error.js";
import { DEFAULT_CLONE_LOCK_STALE_MS, withCloneLock } from "./clone-lock.js";
import { baseGitEnv, basicAuthorization, credentialEnv, type GitCredentials } from "./git-env.js";
import { NULL_MODE, parseLog, parseLsTree, parseRawDiff } from "./git-output.js";
import {
  likelyRevision,
  lookupRefs,
  type RefTable,
  resolveAmong,
  resolveFirst,
  resolveRef,
} from "./git-refs.js";
import {
  canonicalPath,
  checkedRemoteUrl,
  checkReusableClone,
  existingClone,
  exitError,
  fetchOrigin,
  fsCall,
  type GitContext,
  git,
  gitSilent,
  isAncestor,
  isFreeWorktreePath,
  listWorktrees,
  makeDirectory,
  moveIntoPlace,
  pathKind,
  REMOTE_URL_FILE,
  removeTree,
  tryGit,
  worktreesDir,
  writeSmallFile,
} from "./git-repo.js";
import { mapGitStatus } from "./map-git-status.js";
import {
  cancelled,
  conflict,
  createRedact,
  excerpt,
  notFound,
  portFailure,
} from "./map-simple-git-errors.js";
import { createGitRunner } from "./run-git.js";
import {
  DEFAULT_CREDENTIALS_USERNAME,
  SIMPLE_GIT_CONFIG_USAGE,
  SimpleGitAdapterConfig,
} from "./simple-git-config.js";
import { GitInputs, invalidField, parseGitInput } from "./simple-git-inputs.js";
import { refLockNamedBy, removeIfStale } from "./stale-ref-locks.js";
import {
  addingLockReason,
  clearDeadWorktreeEntries,
  clearInterruptedWorktreeAdd,
  unlockAddedWorktree,
} from "./worktree-entries.js";

/** The adapter's default name, in errors and events. */
export const SIMPLE_GIT_ADAPTER_NAME = "simple-git";

/**
 * The simple-git {@link GitPort}, plus maintenance that the orchestrator never calls.
 */
export interface SimpleGitAdapter extends GitPort {
  /** The absolute directory holding the clones (`<root>/<project_id>`) and their worktrees. */
  readonly root: string;
  /**
   * Drops the records of worktrees whose directory was deleted by hand (`git worktree prune`), so their
   * branches can be checked out again. `not_found` for a missing clone.
   */
  prune(input: { readonly clone_path: string }, options?: PortCallOptions): ResultAsync<void, PortError>;
}

/** A git mode that is a symbolic link. */
const SYMLINK_MODE = "120000";

/** A commit as read back from `git log`, checked before it leaves the adapter. */
const GitCommitSchema = z.object({
  sha: z.string().regex(/^([0-9a-f]{40}|[0-9a-f]{64})$/),
  message: z.string(),
  committed_at: z.iso.datetime({ offset: true }),
});

/**
 * Branch names whose `git check-ref-format --branch` verdict is known to be yes: `/`-separated components of
 * ASCII letters, digits, `_` and `-`, each starting with a letter, digit or `_` (so no `.`, no `..`, no
 * `.lock`, no `@{`, no leading `-`, no `//`), and not `HEAD`. Every rule of git-check-ref-format(1) holds
 * for them, so git is asked only about other names (e.g. with a `.`), sparing a process per branch.
 */
const GIT_SAFE_BRANCH = /^(?!HEAD$)[A-Za-z0-9_][A-Za-z0-9_-]*(?:\/[A-Za-z0-9_][A-Za-z0-9_-]*)*$/;

/** How `git push --porcelain` reports a ref the remote did not take because it would lose commits. */
const NON_FAST_FORWARD = /\[rejected\][^\n]*\((non-fast-forward|fetch first|stale info|already exists)\)/;
/** How it reports a ref the remote refused (a hook, a protected branch). */
const REMOTE_REJECTED = /\[remote rejected\]/;

function usageError(problem: string): TypeError {
  return new TypeError(`createSimpleGitAdapter: ${problem}\nUsage: ${SIMPLE_GIT_CONFIG_USAGE}`);
}

function parseConfig(config: SimpleGitAdapterConfig) {
  if (typeof config !== "object" || config === null) throw usageError("options must be an object.");
  const parsed = SimpleGitAdapterConfig.safeParse(config);
  if (parsed.success) return parsed.data;
  const token = (config as { credentials?: { token?: unknown } }).credentials?.token;
  throw usageError(createRedact(typeof token === "string" ? [token] : [])(z.prettifyError(parsed.error)));
}

/**
 * Fetches, tolerating worktrees being added in the same clone: while a `git worktree add` runs, the new
 * entry's HEAD is not yet a commit and git's fetch refuses the whole clone ("bad object
 * worktrees/<name>/HEAD"). rungate's own adds cannot overlap a fetch (both hold the clone lock), but an
 * agent or a person may run one; that clears in moments, so the fetch is retried for a few seconds. An
 * entry a killed add left behind is cleared once it is old enough to be surely dead.
 */
function fetchPastWorktreeAdds(
  ctx: GitContext,
  clone: string,
  url: string,
  signal: AbortSignal | undefined,
  attempt = 0,
): ResultAsync<void, PortError> {
  return ResultAsync.fromSafePromise(clearDeadWorktreeEntries(clone).catch(() => 0))
    .andThen(() => fetchOrigin(ctx, clone, url, signal))
    .orElse((error) => {
      const racing = error.kind === "port_failure" && /bad object worktrees\//.test(error.message);
      if (!racing || attempt >= 20 || signal?.aborted) return errAsync(error);
      return ResultAsync.fromSafePromise(new Promise((r) => setTimeout(r, 250))).andThen(() =>
        fetchPastWorktreeAdds(ctx, clone, url, signal, attempt + 1),
      );
    });
}

/**
 * Creates the {@link GitPort} over simple-git 3 and the `git` executable (2.36 or later), working on real
 * repositories.
 *
 * Layout: each project is cloned once into `<root>/<project_id>` as a **bare** repository whose
 * `refs/remotes/origin/*` mirror the remote (it has no local copy of the base branch, so `main` always means
 * the last fetched `origin/main`); each assignment gets a worktree in `<root>/<project_id>.worktrees/<id>`,
 * outside the clone, sharing its object store. A clone is built in a temporary directory and moved into place,
 * so a crash or a concurrent call never leaves half a clone. Changes to a clone (fetch, branch creation, worktree
 * add/remove/prune) hold a lock file in it, `rungate.lock`, so workers in several processes can share a root.
 *
 * Every git call is one child process with hooks disabled, prompts disabled, `-z` output where paths appear,
 * literal pathspecs, and the environment of the host minus variables that would redirect git
 * (`GIT_DIR`, …). Credentials reach git only through the environment of the commands that talk to the
 * remote, scoped to the remote's origin; they are never written to disk and are redacted from every error.
 * Every method returns a `ResultAsync` and never throws; only bad options throw, here.
 *
 * @example
 * ```ts
 * const git = createSimpleGitAdapter({ root: "/var/lib/rungate/repos", credentials: { token: process.env.GIT_TOKEN! } });
 * const clone = await git.ensureClone({ project_id, repo_url: "https://github.com/acme/shop.git" });
 * ```
 */
export function createSimpleGitAdapter(config: SimpleGitAdapterConfig = {}): SimpleGitAdapter {
  const parsed = parseConfig(config);
  const root = resolve(parsed.root ?? join(homedir(), ".rungate", "repos"));
  const name = parsed.name ?? SIMPLE_GIT_ADAPTER_NAME;
  const credentials: GitCredentials | undefined =
    parsed.credentials === undefined
      ? undefined
      : {
          username: parsed.credentials.username ?? DEFAULT_CREDENTIALS_USERNAME,
          token: parsed.credentials.token,
        };
  const redact = createRedact(
    credentials === undefined
      ? []
      : [credentials.token, basicAuthorization(credentials).slice("Basic ".length)],
  );
  const env = baseGitEnv(process.env, parsed.env ?? {}, root, parsed.timeout_ms);
  const ctx: GitContext = {
    adapter: name,
    root,
    run: createGitRunner({ binary: parsed.git_binary, timeout_ms: parsed.timeout_ms, env }),
    env,
    credentials,
    redact,
  };

  /** `cancelled` when the signal is already aborted, before anything (file-system calls included) happens. */
  function started(method: string, options: PortCallOptions | undefined): ResultAsync<void, PortError> {
    return options?.signal?.aborted ? errAsync(cancelled(method)) : okAsync(undefined);
  }

  /**
   * Runs `body` holding the clone's cross-process lock: every change to a clone's refs or worktrees goes
   * through it, so two workers sharing a clone never see each other's half-written worktree entries.
   */
  function locked<T>(
    clone: string,
    operation: string,
    signal: AbortSignal | undefined,
    body: () => ResultAsync<T, PortError>,
  ): ResultAsync<T, PortError> {
    const timings = { wait_ms: parsed.timeout_ms, stale_ms: DEFAULT_CLONE_LOCK_STALE_MS };
    // Every body here may run again (they are the resumable steps). A ref lock left by a git process killed
    // mid-update fails it until removed; under the clone lock only an agent's git could hold one, and only
    // for milliseconds, so one that stays untouched is removed and the body runs once more.
    const once = () =>
      body().orElse((error) => {
        const lock = refLockNamedBy(error, clone);
        if (lock === null || signal?.aborted) return errAsync(error);
        return ResultAsync.fromSafePromise(removeIfStale(lock).catch(() => false)).andThen((cleared) =>
          cleared ? body() : errAsync(error),
        );
      });
    return withCloneLock(name, clone, operation, timings, signal, once);
  }

  /** An output git should not have produced. */
  function unexpected(operation: string, what: string): PortError {
    return portFailure(name, operation, "git_unexpected_output", false, excerpt(what, redact));
  }

  /** Builds a fresh clone next to its final place and moves it in; `false` when another call got there first. */
  function createClone(
    clone: string,
    repo_url: string,
    signal: AbortSignal | undefined,
  ): ResultAsync<boolean, PortError> {
    const temporary = join(root, `.tmp-${relative(root, clone)}-${randomUUID()}`);
    const build = safeTry<boolean, PortError>(async function* () {
      yield* makeDirectory(ctx, root);
      yield* git(ctx, root, ["init", "--bare", temporary], signal);
      yield* writeSmallFile(ctx, join(temporary, REMOTE_URL_FILE), `${repo_url}\n`);
      // Silent on success; `remote add -f` would spare the separate fetch, but its fetch runs without
      // `--progress`, so a long first clone would print nothing and be killed by the inactivity limit.
      yield* gitSilent(ctx, temporary, ["remote", "add", "origin", repo_url], signal);
      yield* fetchOrigin(ctx, temporary, repo_url, signal);
      return ok(yield* moveIntoPlace(ctx, temporary, clone));
    });
    return build
      .andThen((moved) => (moved ? okAsync(true) : removeTree(temporary).map(() => false)))
      .orElse((error) => removeTree(temporary).andThen(() => errAsync(error)));
  }

  /** Makes `refs/heads/<branch>` point at `sha`, only if it does not exist yet. */
  function createLocalBranch(
    clone: string,
    branch: string,
    sha: string,
    signal: AbortSignal | undefined,
  ): ResultAsync<void, PortError> {
    const args = ["update-ref", "-m", "rungate: create branch", `refs/heads/${branch}`, sha, ""];
    return gitSilent(ctx, clone, args, signal).map(() => undefined);
  }

  /**
   * `git check-ref-format --branch`: git's own verdict on a branch name, after rungate's; known without
   * asking for the names {@link GIT_SAFE_BRANCH} matches.
   */
  function checkRefFormat(
    clone: string,
    branch: string,
    signal: AbortSignal | undefined,
  ): ResultAsync<void, PortError> {
    if (GIT_SAFE_BRANCH.test(branch)) return okAsync(undefined);
    return tryGit(ctx, clone, ["check-ref-format", "--branch", branch], signal).andThen((outcome) =>
      outcome.exit_code === 0
        ? okAsync(undefined)
        : errAsync(
            invalidField(
              "branch",
              "invalid_branch_name",
              `git refuses the branch name ${JSON.stringify(branch)}`,
            ),
          ),
    );
  }

  /**
   * Resolves the base and creates `refs/heads/<branch>` on it, or checks that an existing branch still
   * contains the base. Runs under the clone lock.
   */
  function openFeatureBranch(
    clone: string,
    branch: string,
    base_branch: string,
    signal: AbortSignal | undefined,
  ): ResultAsync<{ base_sha: string; created: boolean }, PortError> {
    return safeTry<{ base_sha: string; created: boolean }, PortError>(async function* () {
      yield* checkRefFormat(clone, branch, signal);
      const bases = [`refs/remotes/origin/${base_branch}`, `refs/heads/${base_branch}`];
      const ref = `refs/heads/${branch}`;
      const tracking = `refs/remotes/origin/${branch}`;
      // Every ref this step may need, in one process.
      const table = yield* lookupRefs(ctx, clone, [...bases, ref, tracking], signal);
      const base_sha = yield* resolveAmong(ctx, clone, table, bases, signal);
      if (base_sha === null) return err(notFound("branch_not_found", "branch", base_branch));
      const local = yield* resolveAmong(ctx, clone, table, [ref], signal);
      const existing = local ?? (yield* resolveAmong(ctx, clone, table, [tracking], signal));
      if (existing === null) {
        yield* createLocalBranch(clone, branch, base_sha, signal);
        return ok({ base_sha, created: true });
      }
      // The base tip is an ancestor of the branch, so it is also their merge-base.
      if (!(yield* isAncestor(ctx, clone, base_sha, existing, signal))) {
        return err(conflict("branch_diverged", "branch", branch));
      }
      if (local === null) yield* createLocalBranch(clone, branch, existing, signal);
      return ok({ base_sha, created: false });
    });
  }

  /**
   * `git worktree add` of `branch` at `worktree_path`, locked with rungate's reason while it is made (so that a
   * killed add is recognised as dead), then unlocked. `false` when git refused (a non-zero exit).
   */
  function tryAddWorktree(
    clone: string,
    worktree_path: string,
    branch: string,
    signal: AbortSignal | undefined,
  ): ResultAsync<boolean, PortError> {
    return safeTry<boolean, PortError>(async function* () {
      yield* makeDirectory(ctx, worktreesDir(clone));
      const add = ["worktree", "add", "--lock", "--reason", addingLockReason(), worktree_path, branch];
      const outcome = yield* tryGit(ctx, clone, add, signal);
      if (outcome.exit_code !== 0) return ok(false);
      yield* fsCall(ctx, "unlock", () => unlockAddedWorktree(worktree_path));
      return ok(true);
    });
  }

  /**
   * Adds the assignment's worktree on `branch`, or finds it already there. Runs under the clone lock.
   *
   * One `for-each-ref` tells whether the branch exists and where it is checked out (`%(worktreepath)`). In
   * the usual case (it exists, is checked out nowhere, the path is free) the worktree is added at once;
   * anything else, or an add that git refuses, goes through {@link addWorktreeCarefully}, which reads the
   * worktree list and answers as before.
   */
  function addWorktree(
    clone: string,
    branch: string,
    assignment_id: string,
    signal: AbortSignal | undefined,
  ): ResultAsync<{ worktree_path: string; created: boolean }, PortError> {
    return safeTry<{ worktree_path: string; created: boolean }, PortError>(async function* () {
      const worktree_path = join(worktreesDir(clone), assignment_id);
      // A worker killed inside `git worktree add` leaves a half-made entry; the card's lease (and the clone
      // lock) make it ours to clear before anything reads the worktrees. Other cards' dead adds too.
      await clearInterruptedWorktreeAdd(clone, worktree_path).catch(() => false);
      await clearDeadWorktreeEntries(clone).catch(() => 0);
      const ref = `refs/heads/${branch}`;
      const table = yield* lookupRefs(ctx, clone, [ref, `refs/remotes/origin/${branch}`], signal, true);
      const local = table.get(ref);
      const free = local?.type === "commit" && local.worktree === "";
      if (free && (yield* isFreeWorktreePath(ctx, worktree_path))) {
        if (yield* tryAddWorktree(clone, worktree_path, branch, signal)) {
          return ok({ worktree_path, created: true });
        }
      }
      return ok(yield* addWorktreeCarefully(clone, branch, worktree_path, table, signal));
    });
  }

  /**
   * {@link addWorktree} from the worktree list: prunes worktrees whose directory is gone, finds the worktree
   * already at the path (same branch: reused; another: `worktree_branch_mismatch`), refuses a branch checked
   * out elsewhere or an occupied path, creates the local branch from `origin/<branch>` when only that exists
   * (`table`: the refs looked up by {@link addWorktree}), then adds the worktree.
   */
  function addWorktreeCarefully(
    clone: string,
    branch: string,
    worktree_path: string,
    table: RefTable,
    signal: AbortSignal | undefined,
  ): ResultAsync<{ worktree_path: string; created: boolean }, PortError> {
    return safeTry<{ worktree_path: string; created: boolean }, PortError>(async function* () {
      const target = await canonicalPath(worktree_path);
      let worktrees = yield* listWorktrees(ctx, clone, signal);
      if (worktrees.some((w) => w.prunable)) {
        // Directories deleted by hand: forget them first, or their branches stay "checked out".
        yield* gitSilent(ctx, clone, ["worktree", "prune"], signal);
        worktrees = yield* listWorktrees(ctx, clone, signal);
      }
      const ref = `refs/heads/${branch}`;
      for (const worktree of worktrees) {
        if ((await canonicalPath(worktree.path)) !== target) continue;
        return worktree.branch === ref
          ? ok({ worktree_path, created: false })
          : err(conflict("worktree_branch_mismatch", "worktree", worktree_path));
      }
      if (worktrees.some((w) => w.branch === ref)) {
        return err(conflict("branch_checked_out", "branch", branch));
      }
      if (!(yield* isFreeWorktreePath(ctx, worktree_path))) {
        return err(conflict("worktree_path_occupied", "worktree", worktree_path));
      }
      if ((yield* resolveAmong(ctx, clone, table, [ref], signal)) === null) {
        const origin = [`refs/remotes/origin/${branch}`];
        const tracking = yield* resolveAmong(ctx, clone, table, origin, signal);
        if (tracking === null) return err(notFound("branch_not_found", "branch", branch));
        yield* createLocalBranch(clone, branch, tracking, signal);
      }
      yield* makeDirectory(ctx, worktreesDir(clone));
      // Locked with rungate's reason while it is made, so that a killed add is recognised as dead.
      const add = ["worktree", "add", "--lock", "--reason", addingLockReason(), worktree_path, branch];
      yield* git(ctx, clone, add, signal);
      yield* fsCall(ctx, "unlock", () => unlockAddedWorktree(worktree_path));
      return ok({ worktree_path, created: true });
    });
  }

  /**
   * Removes the worktree at `target` (its canonical path), or the leftover directory at `absolute`. Runs
   * under the clone lock.
   */
  function dropWorktree(
    clone: string,
    absolute: string,
    target: string,
    signal: AbortSignal | undefined,
  ): ResultAsync<void, PortError> {
    return safeTry<void, PortError>(async function* () {
      for (const worktree of yield* listWorktrees(ctx, clone, signal)) {
        if ((await canonicalPath(worktree.path)) !== target) continue;
        // Twice: also removes a worktree an agent locked.
        yield* gitSilent(ctx, clone, ["worktree", "remove", "--force", "--force", worktree.path], signal);
        return ok(undefined);
      }
      // Not a worktree (any more): a leftover directory in the clone's worktree folder goes too.
      yield* removeTree(absolute);
      return ok(undefined);
    });
  }

  /**
   * `diff-tree -r -z -M --raw` between the commits `base` and `head` name. Tried first in one process on
   * their likely revisions ({@link likelyRevision}; `--` so that neither is taken for a path); when git
   * refuses, both are resolved (`not_found` for an unknown one) and the diff runs on their shas.
   */
  function rawDiff(
    clone: string,
    base: string,
    head: string,
    signal: AbortSignal | undefined,
  ): ResultAsync<string, PortError> {
    return safeTry<string, PortError>(async function* () {
      const diff = ["diff-tree", "-r", "-z", "-M", "--raw"];
      const likely = [...diff, likelyRevision(base), likelyRevision(head), "--"];
      const outcome = yield* tryGit(ctx, clone, likely, signal);
      if (outcome.exit_code === 0) return ok(outcome.stdout);
      const base_sha = yield* resolveRef(ctx, clone, base, signal);
      const head_sha = yield* resolveRef(ctx, clone, head, signal);
      return ok(yield* git(ctx, clone, [...diff, base_sha, head_sha], signal));
    });
  }

  /** The content of a blob. */
  function readBlob(clone: string, object: string, signal: AbortSignal | undefined) {
    return git(ctx, clone, ["cat-file", "blob", object], signal);
  }

  const adapter: SimpleGitAdapter = {
    name,
    root,

    ensureClone(input, options): ResultAsync<GitClone, PortError> {
      const signal = options?.signal;
      return started("ensureClone", options).andThen(() =>
        safeTry<GitClone, PortError>(async function* () {
          const { project_id, repo_url } = yield* parseGitInput(GitInputs.ensureClone, input);
          const clone_path = join(root, project_id);
          const kind = yield* pathKind(ctx, clone_path);
          if (kind === "other") return err(conflict("clone_path_occupied", "clone", clone_path));
          if (kind === "missing" && (yield* createClone(clone_path, repo_url, signal))) {
            return ok({ clone_path, reused: false });
          }
          yield* checkReusableClone(ctx, clone_path, repo_url, signal);
          yield* locked(clone_path, "ensureClone", signal, () =>
            fetchPastWorktreeAdds(ctx, clone_path, repo_url, signal),
          );
          return ok({ clone_path, reused: true });
        }),
      );
    },

    createFeatureBranch(input, options) {
      const signal = options?.signal;
      return started("createFeatureBranch", options).andThen(() =>
        safeTry<{ base_sha: string; created: boolean }, PortError>(async function* () {
          const { clone_path, branch, base_branch } = yield* parseGitInput(
            GitInputs.createFeatureBranch,
            input,
          );
          const clone = yield* existingClone(ctx, clone_path);
          return ok(
            yield* locked(clone, "createFeatureBranch", signal, () =>
              openFeatureBranch(clone, branch, base_branch, signal),
            ),
          );
        }),
      );
    },

    createWorktree(input, options) {
      const signal = options?.signal;
      return started("createWorktree", options).andThen(() =>
        safeTry<{ worktree_path: string; created: boolean }, PortError>(async function* () {
          const { clone_path, branch, assignment_id } = yield* parseGitInput(GitInputs.createWorktree, input);
          const clone = yield* existingClone(ctx, clone_path);
          return ok(
            yield* locked(clone, "createWorktree", signal, () =>
              addWorktree(clone, branch, assignment_id, signal),
            ),
          );
        }),
      );
    },

    removeWorktree(input, options) {
      const signal = options?.signal;
      return started("removeWorktree", options).andThen(() =>
        safeTry<void, PortError>(async function* () {
          const { clone_path, worktree_path } = yield* parseGitInput(GitInputs.removeWorktree, input);
          const clone = yield* existingClone(ctx, clone_path);
          const absolute = resolve(worktree_path);
          const inside = relative(worktreesDir(clone), absolute);
          if (inside === "" || inside.startsWith("..") || inside.includes(sep)) {
            return err(
              invalidField(
                "worktree_path",
                "invalid_worktree_path",
                `the worktree path must be a worktree of this clone, directly under ${worktreesDir(clone)}`,
              ),
            );
          }
          const target = await canonicalPath(absolute);
          return ok(
            yield* locked(clone, "removeWorktree", signal, () =>
              dropWorktree(clone, absolute, target, signal),
            ),
          );
        }),
      );
    },

    headSha(input, options) {
      const signal = options?.signal;
      return started("headSha", options).andThen(() =>
        safeTry<string, PortError>(async function* () {
          const { clone_path, ref } = yield* parseGitInput(GitInputs.headSha, input);
          const clone = yield* existingClone(ctx, clone_path);
          return ok(yield* resolveRef(ctx, clone, ref, signal));
        }),
      );
    },

    changedFiles(input, options) {
      const signal = options?.signal;
      return started("changedFiles", options).andThen(() =>
        safeTry<ChangedFile[], PortError>(async function* () {
          const parsedInput = yield* parseGitInput(GitInputs.changedFiles, input);
          const clone = yield* existingClone(ctx, parsedInput.clone_path);
          const stdout = yield* rawDiff(clone, parsedInput.base, parsedInput.head, signal);
          const raw = parseRawDiff(stdout);
          if (!raw.ok) return err(unexpected("diff-tree", `unexpected raw diff field: ${raw.field}`));
          const files: ChangedFile[] = [];
          for (const change of raw.changes) {
            const symlink = change.new_mode === SYMLINK_MODE;
            files.push({
              path: change.path,
              status: mapGitStatus(change.letter),
              previous_path: change.previous_path,
              mode: change.new_mode === NULL_MODE ? null : change.new_mode,
              previous_mode: change.old_mode === NULL_MODE ? null : change.old_mode,
              symlink_target: symlink ? yield* readBlob(clone, change.new_object, signal) : null,
            });
          }
          const checked = z.array(ChangedFileSchema).safeParse(files);
          if (!checked.success) return err(unexpected("diff-tree", z.prettifyError(checked.error)));
          return ok(checked.data.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)));
        }),
      );
    },

    fileDiff(input, options) {
      const signal = options?.signal;
      return started("fileDiff", options).andThen(() =>
        safeTry<string, PortError>(async function* () {
          const parsedInput = yield* parseGitInput(GitInputs.fileDiff, input);
          const clone = yield* existingClone(ctx, parsedInput.clone_path);
          const base = yield* resolveRef(ctx, clone, parsedInput.base, signal);
          const head = yield* resolveRef(ctx, clone, parsedInput.head, signal);
          const args = [
            "diff",
            "--no-color",
            "--no-ext-diff",
            "--no-textconv",
            "--no-renames",
            "--src-prefix=a/",
            "--dst-prefix=b/",
            base,
            head,
            "--",
            parsedInput.path,
          ];
          return ok(yield* git(ctx, clone, args, signal));
        }),
      );
    },

    fileContent(input, options) {
      const signal = options?.signal;
      return started("fileContent", options).andThen(() =>
        safeTry<string | null, PortError>(async function* () {
          const { clone_path, ref, path } = yield* parseGitInput(GitInputs.fileContent, input);
          const clone = yield* existingClone(ctx, clone_path);
          const sha = yield* resolveRef(ctx, clone, ref, signal);
          const listing = yield* git(ctx, clone, ["ls-tree", "-z", sha, "--", path], signal);
          const entry = parseLsTree(listing).find((e) => e.path === path);
          // Absent, a directory or a submodule: no file content at that path.
          if (entry === undefined || entry.type !== "blob") return ok(null);
          return ok(yield* readBlob(clone, entry.object, signal));
        }),
      );
    },

    commitsSince(input, options) {
      const signal = options?.signal;
      return started("commitsSince", options).andThen(() =>
        safeTry<GitCommit[], PortError>(async function* () {
          const parsedInput = yield* parseGitInput(GitInputs.commitsSince, input);
          const clone = yield* existingClone(ctx, parsedInput.clone_path);
          const base = yield* resolveRef(ctx, clone, parsedInput.base, signal);
          const head = yield* resolveRef(ctx, clone, parsedInput.head, signal);
          const args = [
            "log",
            "--no-color",
            "--topo-order",
            "--reverse",
            "-z",
            "--format=%H%x00%B%x00%cI",
            `${base}..${head}`,
            "--",
          ];
          const entries = parseLog(yield* git(ctx, clone, args, signal));
          if (entries === null) return err(unexpected("log", "the commit fields do not come in threes"));
          const checked = z.array(GitCommitSchema).safeParse(entries);
          if (!checked.success) return err(unexpected("log", z.prettifyError(checked.error)));
          return ok(checked.data);
        }),
      );
    },

    push(input, options) {
      const signal = options?.signal;
      return started("push", options).andThen(() =>
        safeTry<void, PortError>(async function* () {
          const { clone_path, branch } = yield* parseGitInput(GitInputs.push, input);
          const clone = yield* existingClone(ctx, clone_path);
          const ref = `refs/heads/${branch}`;
          if ((yield* resolveFirst(ctx, clone, [ref], signal)) === null) {
            return err(notFound("branch_not_found", "branch", branch));
          }
          const url = yield* checkedRemoteUrl(ctx, clone, signal);
          // Never forced: the refspec has no "+", and the branch name cannot start with one.
          const args = ["push", "--porcelain", "--progress", "origin", `${ref}:${ref}`];
          const outcome = yield* tryGit(ctx, clone, args, signal, credentialEnv(credentials, url, env));
          if (outcome.exit_code === 0) return ok(undefined);
          const report = `${outcome.stdout}\n${outcome.stderr}`;
          if (NON_FAST_FORWARD.test(report)) return err(conflict("non_fast_forward", "branch", branch));
          if (REMOTE_REJECTED.test(report)) {
            return err(portFailure(name, "push", "git_push_rejected", false, excerpt(report, redact)));
          }
          return err(exitError(ctx, args, outcome));
        }),
      );
    },

    prune(input, options) {
      const signal = options?.signal;
      return started("prune", options).andThen(() =>
        safeTry<void, PortError>(async function* () {
          const { clone_path } = yield* parseGitInput(GitInputs.prune, input);
          const clone = yield* existingClone(ctx, clone_path);
          return ok(
            yield* locked(clone, "prune", signal, () =>
              safeTry<void, PortError>(async function* () {
                yield* gitSilent(ctx, clone, ["worktree", "prune"], signal);
                return ok(undefined);
              }),
            ),
          );
        }),
      );
    },
  };
  return adapter;
}
