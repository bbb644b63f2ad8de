import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { err, errAsync, ok, okAsync, ResultAsync, safeTry } from "neverthrow";
import type { PortError } from "../../ports/port-error.js";
import { credentialEnv, type GitCredentials } from "./git-env.js";
import {
  conflict,
  type GitFailure,
  notFound,
  type Redact,
  toFsPortError,
  toGitPortError,
} from "./map-simple-git-errors.js";
import type { GitOutcome, GitRunner } from "./run-git.js";
import { invalidField, SAFE_SEGMENT } from "./simple-git-inputs.js";

/**
 * The file inside each clone that records the URL it was cloned from. A worktree shares its clone's
 * `config`, so an agent could rewrite `remote.origin.url`; fetch and push compare the two and refuse a
 * changed remote instead of sending credentials to it.
 */
export const REMOTE_URL_FILE = "rungate-remote-url";

/** What the helpers of one adapter share. */
export interface GitContext {
  /** The adapter's name (`detail.adapter`). */
  readonly adapter: string;
  /** Absolute directory holding the clones. */
  readonly root: string;
  readonly run: GitRunner;
  readonly env: Readonly<Record<string, string>>;
  readonly credentials: GitCredentials | undefined;
  readonly redact: Redact;
}

/** A command expected to succeed: its stdout, or the port error (a non-zero exit included). */
export function git(
  ctx: GitContext,
  cwd: string,
  args: readonly string[],
  signal: AbortSignal | undefined,
  env?: Readonly<Record<string, string>>,
): ResultAsync<string, PortError> {
  return tryGit(ctx, cwd, args, signal, env).andThen((outcome) =>
    outcome.exit_code === 0 ? okAsync(outcome.stdout) : errAsync(exitError(ctx, args, outcome)),
  );
}

/**
 * A command expected to succeed that prints nothing when it does (`update-ref`, `remote add`, …): run with
 * `GIT_TRACE` so that simple-git does not wait 50 ms for it (see git-trace.ts). Its stdout, or the port error.
 */
export function gitSilent(
  ctx: GitContext,
  cwd: string,
  args: readonly string[],
  signal: AbortSignal | undefined,
): ResultAsync<string, PortError> {
  return ctx
    .run({ cwd, args, signal, silent: true })
    .mapErr((failure) => toGitPortError(ctx.adapter, failure, ctx.redact))
    .andThen((outcome) =>
      outcome.exit_code === 0 ? okAsync(outcome.stdout) : errAsync(exitError(ctx, args, outcome)),
    );
}

/**
 * A command whose non-zero exit is an answer: its {@link GitOutcome}, or the port error (abort, timeout, …).
 * `silent`: it may print nothing when it succeeds (see `GitCommand.silent`).
 */
export function tryGit(
  ctx: GitContext,
  cwd: string,
  args: readonly string[],
  signal: AbortSignal | undefined,
  env?: Readonly<Record<string, string>>,
  silent = false,
): ResultAsync<GitOutcome, PortError> {
  return ctx
    .run({ cwd, args, signal, silent, ...(env === undefined ? {} : { env }) })
    .mapErr((failure) => toGitPortError(ctx.adapter, failure, ctx.redact));
}

/** The port error for an unexpected non-zero exit of `args`. */
export function exitError(ctx: GitContext, args: readonly string[], outcome: GitOutcome): PortError {
  const failure: GitFailure = { type: "exit", operation: args[0] ?? "git", ...outcome };
  return toGitPortError(ctx.adapter, failure, ctx.redact);
}

/** A file-system call as a ResultAsync (errors converted once, with the fs code). */
export function fsCall<T>(
  ctx: GitContext,
  operation: string,
  call: () => Promise<T>,
): ResultAsync<T, PortError> {
  return ResultAsync.fromPromise(call(), (error) => toFsPortError(ctx.adapter, operation, error, ctx.redact));
}

/** The `code` of a file-system error (`ENOENT`, …), if it has one. */
export const fsCode = (error: unknown): unknown => (error as { code?: unknown } | null)?.code;

/** What is at a path: nothing, a directory, or something else. */
export function pathKind(
  ctx: GitContext,
  path: string,
): ResultAsync<"missing" | "directory" | "other", PortError> {
  return ResultAsync.fromPromise(stat(path), (error) => error)
    .orElse((error) =>
      fsCode(error) === "ENOENT" || fsCode(error) === "ENOTDIR"
        ? ok(null)
        : errAsync(toFsPortError(ctx.adapter, "stat", error, ctx.redact)),
    )
    .map((stats) => (stats === null ? "missing" : stats.isDirectory() ? "directory" : "other"));
}

/**
 * Whether `git worktree add` may use `path`: it is missing or an empty directory (git accepts both). An
 * empty directory is what an add killed right after making it leaves.
 */
export function isFreeWorktreePath(ctx: GitContext, path: string): ResultAsync<boolean, PortError> {
  return pathKind(ctx, path).andThen((kind) =>
    kind === "directory"
      ? fsCall(ctx, "readdir", () => readdir(path)).map((entries) => entries.length === 0)
      : okAsync(kind === "missing"),
  );
}

/** Creates a directory and its parents. */
export function makeDirectory(ctx: GitContext, path: string): ResultAsync<void, PortError> {
  return fsCall(ctx, "mkdir", () => mkdir(path, { recursive: true })).map(() => undefined);
}

/** Removes a directory tree; never fails (used for clean-up). */
export function removeTree(path: string): ResultAsync<void, never> {
  return ResultAsync.fromSafePromise(rm(path, { recursive: true, force: true }).catch(() => undefined));
}

/** Writes a small file. */
export function writeSmallFile(ctx: GitContext, path: string, content: string): ResultAsync<void, PortError> {
  return fsCall(ctx, "write", () => writeFile(path, content, { encoding: "utf8", mode: 0o600 }));
}

/** Reads a small file; `null` when it does not exist. */
export function readSmallFile(ctx: GitContext, path: string): ResultAsync<string | null, PortError> {
  return ResultAsync.fromPromise(readFile(path, "utf8"), (error) => error).orElse((error) =>
    fsCode(error) === "ENOENT" ? ok(null) : errAsync(toFsPortError(ctx.adapter, "read", error, ctx.redact)),
  );
}

/** Moves `from` to `to`; `false` when `to` already exists (someone else got there first). */
export function moveIntoPlace(ctx: GitContext, from: string, to: string): ResultAsync<boolean, PortError> {
  return ResultAsync.fromPromise(rename(from, to), (error) => error)
    .map(() => true)
    .orElse((error) =>
      fsCode(error) === "EEXIST" || fsCode(error) === "ENOTEMPTY"
        ? ok(false)
        : errAsync(toFsPortError(ctx.adapter, "rename", error, ctx.redact)),
    );
}

/**
 * Checks that `clone_path` names a clone of this adapter (`<root>/<segment>`) that exists: the absolute
 * path, `validation` for a path elsewhere, `not_found` when the directory is missing.
 */
export function existingClone(ctx: GitContext, clone_path: string): ResultAsync<string, PortError> {
  const absolute = resolve(clone_path);
  if (dirname(absolute) !== ctx.root || !SAFE_SEGMENT.test(basename(absolute))) {
    return errAsync(
      invalidField(
        "clone_path",
        "invalid_clone_path",
        `the clone path must be a clone made by this adapter, directly under ${ctx.root}`,
      ),
    );
  }
  return pathKind(ctx, absolute).andThen((kind) =>
    kind === "directory" ? okAsync(absolute) : errAsync(notFound("clone_not_found", "clone", absolute)),
  );
}

/** The folder holding a clone's worktrees: `<root>/<project_id>.worktrees`. */
export function worktreesDir(clone: string): string {
  return `${clone}.worktrees`;
}

/**
 * Whether `ancestor` is an ancestor of (or equal to) `of`: then it is their only merge-base. Asked as
 * `merge-base --all` rather than the silent `--is-ancestor` (simple-git waits 50 ms for a silent process);
 * exit 1 means no common history at all.
 */
export function isAncestor(
  ctx: GitContext,
  clone: string,
  ancestor: string,
  of: string,
  signal: AbortSignal | undefined,
): ResultAsync<boolean, PortError> {
  const args = ["merge-base", "--all", ancestor, of];
  return tryGit(ctx, clone, args, signal).andThen((outcome) =>
    outcome.exit_code === 0 || outcome.exit_code === 1
      ? okAsync(outcome.stdout.split("\n").some((line) => line.trim() === ancestor))
      : errAsync(exitError(ctx, args, outcome)),
  );
}

/**
 * The remote URL of a clone, checked: `remote.origin.url` from its config must equal the URL recorded when
 * it was cloned ({@link REMOTE_URL_FILE}; a clone made by hand without the record is taken as it is).
 * `conflict` (`clone_remote_mismatch`) when they differ or the remote is gone.
 */
export function checkedRemoteUrl(
  ctx: GitContext,
  clone: string,
  signal: AbortSignal | undefined,
): ResultAsync<string, PortError> {
  return safeTry<string, PortError>(async function* () {
    const args = ["config", "--local", "-z", "--get-all", "remote.origin.url"];
    const outcome = yield* tryGit(ctx, clone, args, signal);
    if (outcome.exit_code !== 0 && outcome.exit_code !== 1) return err(exitError(ctx, args, outcome));
    const configured = outcome.stdout.split("\u0000").filter((url) => url.length > 0);
    const recorded = (yield* readSmallFile(ctx, join(clone, REMOTE_URL_FILE)))?.trim() ?? null;
    const url = configured[0];
    if (url === undefined || configured.length > 1 || (recorded !== null && recorded !== url)) {
      return err(conflict("clone_remote_mismatch", "clone", clone));
    }
    return ok(url);
  });
}

/**
 * What sits at `clone_path` before it is reused: `conflict` unless it is a bare repository whose origin is
 * `repo_url` (`clone_path_occupied` for anything else, `clone_remote_mismatch` for another remote).
 */
export function checkReusableClone(
  ctx: GitContext,
  clone: string,
  repo_url: string,
  signal: AbortSignal | undefined,
): ResultAsync<void, PortError> {
  return safeTry<void, PortError>(async function* () {
    // GIT_CEILING_DIRECTORIES is the clone root, so git looks at this directory only, never at a parent.
    const bare = yield* tryGit(ctx, clone, ["rev-parse", "--is-bare-repository"], signal);
    if (bare.exit_code !== 0 || bare.stdout.trim() !== "true") {
      return err(conflict("clone_path_occupied", "clone", clone));
    }
    const url = yield* checkedRemoteUrl(ctx, clone, signal);
    if (url !== repo_url) return err(conflict("clone_remote_mismatch", "clone", clone));
    return ok(undefined);
  });
}

/** `git fetch --prune origin` with credentials for `url`. */
export function fetchOrigin(
  ctx: GitContext,
  clone: string,
  url: string,
  signal: AbortSignal | undefined,
): ResultAsync<void, PortError> {
  const env = credentialEnv(ctx.credentials, url, ctx.env);
  return git(ctx, clone, ["fetch", "--prune", "--progress", "origin"], signal, env).map(() => undefined);
}
