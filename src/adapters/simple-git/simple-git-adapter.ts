import { randomUUID } from "node:crypto";
import { homedir } from "node:os";
import { basename, join, relative, resolve, sep } from "node:path";
import { err, errAsync, ok, okAsync, ResultAsync, safeTry } from "neverthrow";
import { z } from "zod";
import { type ChangedFile, ChangedFile as ChangedFileSchema } from "../../core/schemas/changed-file.js";
import type {
  CardWorkspace,
  CheckTreeState,
  FeatureBranch,
  GitClone,
  GitCommit,
  GitPort,
  ImportedWork,
} from "../../ports/git-port.js";
import type { PortCallOptions, PortError } from "../../ports/port-error.js";
import { restoreCloneConfig, writeCloneConfig } from "./clone-integrity.js";
import { DEFAULT_CLONE_LOCK_STALE_MS, withCloneLock } from "./clone-lock.js";
import { baseGitEnv, basicAuthorization, credentialEnv, type GitCredentials } from "./git-env.js";
import { NULL_MODE, parseLog, parseLsTree, parseQuotedRawDiff } from "./git-output.js";
import { likelyRevision, lookupRefs, resolveAmong, resolveFirst, resolveRef } from "./git-refs.js";
import {
  checkedRemoteUrl,
  checkReusableClone,
  existingClone,
  exitError,
  fetchOrigin,
  type GitContext,
  git,
  gitSilent,
  isAncestor,
  isFreeWorktreePath,
  makeDirectory,
  moveIntoPlace,
  pathKind,
  REMOTE_URL_FILE,
  removeTree,
  tryGit,
  worktreesDir,
  writeSmallFile,
} from "./git-repo.js";
import { importAgentWork } from "./import-work.js";
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
  buildStandaloneRepository,
  listCardWorkspaces,
  listWorktreeRecords,
  readWorktreeRecord,
  removeWorktreeRecord,
  writeWorktreeRecord,
} from "./standalone-repository.js";
import { readHeadFile, workTreeDifference } from "./work-tree-state.js";
import { clearDeadWorktreeEntries } from "./worktree-entries.js";

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

  /**
   * {@link existingClone}, with the clone's configuration put back to rungate's first
   * (clone-integrity.ts): every step starts from config rungate wrote, whatever was written there since.
   */
  function openClone(clone_path: string): ResultAsync<string, PortError> {
    return existingClone(ctx, clone_path).andThen((clone) => restoreCloneConfig(ctx, clone).map(() => clone));
  }

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
      // The whole config is rungate's (clone-integrity.ts), written as a file rather than by `remote add`,
      // so that it is byte for byte what every later step restores.
      yield* writeCloneConfig(ctx, temporary, repo_url);
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
    replace: boolean,
    signal: AbortSignal | undefined,
  ): ResultAsync<FeatureBranch, PortError> {
    return safeTry<FeatureBranch, PortError>(async function* () {
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
      if (replace && local !== null && local !== base_sha) {
        // The old tip first, so a kill between the two updates loses nothing.
        const kept = [
          "update-ref",
          "-m",
          "rungate: keep replaced tip",
          `refs/rungate/replaced/${branch}/${local}`,
          local,
        ];
        yield* gitSilent(ctx, clone, kept, signal);
        const moved = ["update-ref", "-m", "rungate: rebuild card", ref, base_sha, local];
        yield* gitSilent(ctx, clone, moved, signal);
        return ok({ base_sha, created: false, replaced_sha: local });
      }
      if (replace && local === null) {
        // Only a remote branch of that name: the card starts from the base; the remote's branch is untouched.
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
   * Gives the assignment its own repository on `branch` (standalone-repository.ts), or finds it already
   * there. Runs under the clone lock. Which branch a worktree holds is read from rungate's record in the
   * clone, never from the worktree, which the agent owns: the same branch is reused, another is
   * `worktree_branch_mismatch`, a directory rungate has no record of is `worktree_path_occupied`, and a branch
   * another assignment's worktree holds is `branch_checked_out`.
   */
  function addWorktree(
    clone: string,
    branch: string,
    assignment_id: string,
    signal: AbortSignal | undefined,
  ): ResultAsync<{ worktree_path: string; created: boolean }, PortError> {
    return safeTry<{ worktree_path: string; created: boolean }, PortError>(async function* () {
      const worktree_path = join(worktreesDir(clone), assignment_id);
      const recorded = yield* readWorktreeRecord(ctx, clone, assignment_id);
      const free = yield* isFreeWorktreePath(ctx, worktree_path);
      if (!free) {
        if (recorded === branch) return ok({ worktree_path, created: false });
        if (recorded !== null) return err(conflict("worktree_branch_mismatch", "worktree", worktree_path));
        return err(conflict("worktree_path_occupied", "worktree", worktree_path));
      }
      for (const [other, held] of yield* listWorktreeRecords(ctx, clone)) {
        if (other === assignment_id || held !== branch) continue;
        if ((yield* pathKind(ctx, join(worktreesDir(clone), other))) === "directory") {
          return err(conflict("branch_checked_out", "branch", branch));
        }
      }
      const ref = `refs/heads/${branch}`;
      const table = yield* lookupRefs(ctx, clone, [ref, `refs/remotes/origin/${branch}`], signal);
      let sha = yield* resolveAmong(ctx, clone, table, [ref], signal);
      if (sha === null) {
        sha = yield* resolveAmong(ctx, clone, table, [`refs/remotes/origin/${branch}`], signal);
        if (sha === null) return err(notFound("branch_not_found", "branch", branch));
        yield* createLocalBranch(clone, branch, sha, signal);
      }
      // A killed call may have left an empty directory: the move into place needs the path free.
      yield* removeTree(worktree_path);
      yield* writeWorktreeRecord(ctx, clone, assignment_id, branch);
      const head = { branch, sha };
      if (!(yield* buildStandaloneRepository(ctx, clone, worktree_path, head, signal))) {
        return err(conflict("worktree_path_occupied", "worktree", worktree_path));
      }
      return ok({ worktree_path, created: true });
    });
  }

  /** `validation` unless `path` is directly inside `folder` (a worktree or a check tree of this clone). */
  function insideFolder(folder: string, path: string, field: string): ResultAsync<string, PortError> {
    const absolute = resolve(path);
    const inside = relative(folder, absolute);
    if (inside === "" || inside.startsWith("..") || inside.includes(sep)) {
      return errAsync(
        invalidField(
          field,
          `invalid_${field}`,
          `the ${field.replace("_", " ")} must be directly under ${folder}`,
        ),
      );
    }
    return okAsync(absolute);
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
      // Quoted, not -z: every byte above 0x7f is escaped, so names come back exact (parseQuotedRawDiff).
      const diff = ["-c", "core.quotePath=true", "diff-tree", "-r", "-M", "--raw"];
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
    secret_values:
      credentials === undefined
        ? []
        : [credentials.token, basicAuthorization(credentials).slice("Basic ".length)],
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
          yield* restoreCloneConfig(ctx, clone_path);
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
        safeTry<FeatureBranch, PortError>(async function* () {
          const { clone_path, branch, base_branch, replace } = yield* parseGitInput(
            GitInputs.createFeatureBranch,
            input,
          );
          const clone = yield* openClone(clone_path);
          return ok(
            yield* locked(clone, "createFeatureBranch", signal, () =>
              openFeatureBranch(clone, branch, base_branch, replace, signal),
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
          const clone = yield* openClone(clone_path);
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
          const clone = yield* openClone(clone_path);
          const absolute = yield* insideFolder(worktreesDir(clone), worktree_path, "worktree_path");
          return ok(
            yield* locked(clone, "removeWorktree", signal, () =>
              removeTree(absolute).andThen(() => removeWorktreeRecord(clone, basename(absolute))),
            ),
          );
        }),
      );
    },

    listWorkspaces(input, options) {
      return started("listWorkspaces", options).andThen(() =>
        safeTry<readonly CardWorkspace[], PortError>(async function* () {
          const { clone_path } = yield* parseGitInput(GitInputs.listWorkspaces, input);
          const clone = yield* openClone(clone_path);
          return ok(yield* listCardWorkspaces(ctx, clone, worktreesDir(clone)));
        }),
      );
    },

    listBranches(input, options) {
      const signal = options?.signal;
      return started("listBranches", options).andThen(() =>
        safeTry<{ branch: string; sha: string }[], PortError>(async function* () {
          const { clone_path } = yield* parseGitInput(GitInputs.listBranches, input);
          const clone = yield* openClone(clone_path);
          const format = "%(refname)%00%(objectname)%00";
          const stdout = yield* gitSilent(
            ctx,
            clone,
            ["for-each-ref", `--format=${format}`, "refs/heads/"],
            signal,
          );
          const branches: { branch: string; sha: string }[] = [];
          for (const record of stdout.split("\u0000\n")) {
            const [name = "", sha = ""] = record.split("\u0000");
            if (name.startsWith("refs/heads/") && /^[0-9a-f]{40,64}$/.test(sha)) {
              branches.push({ branch: name.slice("refs/heads/".length), sha });
            }
          }
          return ok(branches);
        }),
      );
    },

    deleteBranch(input, options) {
      const signal = options?.signal;
      return started("deleteBranch", options).andThen(() =>
        safeTry<{ deleted_sha: string | null }, PortError>(async function* () {
          const { clone_path, branch } = yield* parseGitInput(GitInputs.deleteBranch, input);
          const clone = yield* openClone(clone_path);
          return ok(
            yield* locked(clone, "deleteBranch", signal, () =>
              safeTry<{ deleted_sha: string | null }, PortError>(async function* () {
                for (const [other, held] of yield* listWorktreeRecords(ctx, clone)) {
                  if (held !== branch) continue;
                  if ((yield* pathKind(ctx, join(worktreesDir(clone), other))) === "directory") {
                    return err(conflict("branch_checked_out", "branch", branch));
                  }
                }
                const ref = `refs/heads/${branch}`;
                const table = yield* lookupRefs(ctx, clone, [ref], signal);
                const sha = table.get(ref)?.sha ?? null;
                if (sha === null) return ok({ deleted_sha: null });
                const kept = `refs/rungate/removed/${branch}/${sha}`;
                yield* gitSilent(
                  ctx,
                  clone,
                  ["update-ref", "-m", "rungate: keep removed branch", kept, sha],
                  signal,
                );
                yield* gitSilent(
                  ctx,
                  clone,
                  ["update-ref", "-m", "rungate: clean up", "-d", ref, sha],
                  signal,
                );
                return ok({ deleted_sha: sha });
              }),
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
          const clone = yield* openClone(clone_path);
          return ok(yield* resolveRef(ctx, clone, ref, signal));
        }),
      );
    },

    changedFiles(input, options) {
      const signal = options?.signal;
      return started("changedFiles", options).andThen(() =>
        safeTry<ChangedFile[], PortError>(async function* () {
          const parsedInput = yield* parseGitInput(GitInputs.changedFiles, input);
          const clone = yield* openClone(parsedInput.clone_path);
          const stdout = yield* rawDiff(clone, parsedInput.base, parsedInput.head, signal);
          const raw = parseQuotedRawDiff(stdout);
          if (!raw.ok) return err(unexpected("diff-tree", `unexpected raw diff field: ${raw.field}`));
          const files: ChangedFile[] = [];
          for (const change of raw.changes) {
            const symlink = change.new_mode === SYMLINK_MODE;
            files.push({
              path: change.path,
              status: mapGitStatus(change.letter),
              previous_path: change.previous_path,
              path_bytes: change.path_bytes,
              previous_path_bytes: change.previous_path_bytes,
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
          const clone = yield* openClone(parsedInput.clone_path);
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
            ...(parsedInput.text === true ? ["--text"] : []),
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
          const clone = yield* openClone(clone_path);
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
          const clone = yield* openClone(parsedInput.clone_path);
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
          const { clone_path, branch, head_sha, replaces_sha } = yield* parseGitInput(GitInputs.push, input);
          const clone = yield* openClone(clone_path);
          const ref = `refs/heads/${branch}`;
          const tip = yield* resolveFirst(ctx, clone, [ref], signal);
          if (tip === null) return err(notFound("branch_not_found", "branch", branch));
          if (head_sha !== undefined && (yield* resolveRef(ctx, clone, head_sha, signal)) !== head_sha) {
            return err(notFound("commit_not_found", "commit", head_sha));
          }
          const url = yield* checkedRemoteUrl(ctx, clone, signal);
          // Never forced blindly: the refspec has no "+", and the branch name cannot start with one. With a sha,
          // the approved commit is pushed even if someone moved the clone's branch since. A lease names the one
          // ref it may force and the exact sha it must find there: git refuses anything else as "stale info",
          // an absent branch included (git-push(1), --force-with-lease=<refname>:<expect>).
          const lease = replaces_sha === undefined ? [] : [`--force-with-lease=${ref}:${replaces_sha}`];
          const args = ["push", "--porcelain", "--progress", ...lease, "origin", `${head_sha ?? ref}:${ref}`];
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

    importWork(input, options) {
      const signal = options?.signal;
      return started("importWork", options).andThen(() =>
        safeTry<ImportedWork, PortError>(async function* () {
          const parsedInput = yield* parseGitInput(GitInputs.importWork, input);
          const clone = yield* openClone(parsedInput.clone_path);
          const worktree_path = yield* insideFolder(
            worktreesDir(clone),
            parsedInput.worktree_path,
            "worktree_path",
          );
          const { branch, base_sha } = parsedInput;
          return ok(
            yield* locked(clone, "importWork", signal, () =>
              importAgentWork(ctx, clone, { worktree_path, branch, base_sha }, signal),
            ),
          );
        }),
      );
    },

    prepareCheckTree(input, options) {
      const signal = options?.signal;
      return started("prepareCheckTree", options).andThen(() =>
        safeTry<{ tree_path: string }, PortError>(async function* () {
          const { clone_path, tree_name, head_sha } = yield* parseGitInput(GitInputs.prepareCheckTree, input);
          const clone = yield* openClone(clone_path);
          const sha = yield* resolveRef(ctx, clone, head_sha, signal);
          if (sha !== head_sha) return err(notFound("commit_not_found", "commit", head_sha));
          const tree_path = join(`${clone}.checks`, tree_name);
          yield* removeTree(tree_path);
          const listed = ["for-each-ref", "--format=%(objectname) %(refname)", "refs/remotes/origin/"];
          const refs = new Map<string, string>();
          for (const line of (yield* git(ctx, clone, listed, signal)).split("\n")) {
            const [object, ref] = line.split(" ");
            if (object !== undefined && ref !== undefined && ref !== "refs/remotes/origin/HEAD")
              refs.set(ref, object);
          }
          const head = { detached: sha, refs };
          if (!(yield* buildStandaloneRepository(ctx, clone, tree_path, head, signal))) {
            return err(conflict("check_tree_occupied", "check_tree", tree_path));
          }
          return ok({ tree_path });
        }),
      );
    },

    inspectCheckTree(input, options) {
      const signal = options?.signal;
      return started("inspectCheckTree", options).andThen(() =>
        safeTry<CheckTreeState, PortError>(async function* () {
          const parsedInput = yield* parseGitInput(GitInputs.inspectCheckTree, input);
          const clone = yield* openClone(parsedInput.clone_path);
          const tree = yield* insideFolder(`${clone}.checks`, parsedInput.tree_path, "tree_path");
          const head = yield* readHeadFile(tree);
          const head_sha = head !== null && "sha" in head ? head.sha : null;
          const difference = yield* workTreeDifference(ctx, clone, tree, parsedInput.head_sha, false, signal);
          return ok({ head_sha, changed_paths: difference.paths });
        }),
      );
    },

    removeCheckTree(input, options) {
      return started("removeCheckTree", options).andThen(() =>
        safeTry<void, PortError>(async function* () {
          const parsedInput = yield* parseGitInput(GitInputs.removeCheckTree, input);
          const clone = yield* openClone(parsedInput.clone_path);
          const tree = yield* insideFolder(`${clone}.checks`, parsedInput.tree_path, "tree_path");
          yield* removeTree(tree);
          return ok(undefined);
        }),
      );
    },

    prune(input, options) {
      const signal = options?.signal;
      return started("prune", options).andThen(() =>
        safeTry<void, PortError>(async function* () {
          const { clone_path } = yield* parseGitInput(GitInputs.prune, input);
          const clone = yield* openClone(clone_path);
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
