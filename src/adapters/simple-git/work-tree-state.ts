/**
 * What a work tree that untrusted code wrote holds, compared with a commit, read without running git inside
 * that tree's own repository: the commands run in rungate's clone (its config, never the tree's), with the
 * tree as `--work-tree` and a temporary index made from the commit. The tree's `.gitattributes` and
 * `.gitignore` are read as data (an attribute naming a filter runs nothing: no config rungate's processes
 * read defines one), submodules are never entered (a submodule's own config would apply there).
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { errAsync, ok, okAsync, ResultAsync, safeTry } from "neverthrow";
import type { PortError } from "../../ports/port-error.js";
import { splitNul } from "./git-output.js";
import { exitError, fsCall, type GitContext, tryGit } from "./git-repo.js";

/** How many changed paths are named at most (the count is exact). */
export const MAX_NAMED_PATHS = 50;

/** Paths of a work tree that differ from a commit. */
export interface WorkTreeDifference {
  /** Tracked paths changed or deleted, and untracked paths (not ignored) when asked, sorted; at most {@link MAX_NAMED_PATHS}. */
  readonly paths: readonly string[];
  /** How many there are in all. */
  readonly count: number;
}

/**
 * Parses `status --porcelain=v1 -z` output: the paths whose work-tree column is set (changed or deleted
 * against the index) and the untracked ones (`??`). The index column is ignored: the index is the commit's.
 */
export function workTreePaths(porcelainZ: string): string[] {
  const records = splitNul(porcelainZ);
  const paths: string[] = [];
  for (let i = 0; i < records.length; i += 1) {
    const record = records[i] ?? "";
    if (record.length < 4) continue;
    const x = record[0];
    const y = record[1];
    if ((x === "?" && y === "?") || (y !== " " && y !== "!")) paths.push(record.slice(3));
    // A rename in the index column carries its source as the next record.
    if (x === "R" || x === "C") i += 1;
  }
  return paths.sort();
}

/**
 * The paths of `work_tree` that differ from `commit` (see {@link workTreePaths}; untracked ones only when
 * `untracked`), judged by git running in
 * `clone` under a temporary index filled from `commit`. The first status on a fresh index hashes every file,
 * which costs about what a first `git status` of that tree would.
 */
export function workTreeDifference(
  ctx: GitContext,
  clone: string,
  work_tree: string,
  commit: string,
  untracked: boolean,
  signal: AbortSignal | undefined,
): ResultAsync<WorkTreeDifference, PortError> {
  return fsCall(ctx, "mkdtemp", () => mkdtemp(join(tmpdir(), "rungate-index-"))).andThen((dir) => {
    const index = { GIT_INDEX_FILE: join(dir, "index") };
    const compare = safeTry<WorkTreeDifference, PortError>(async function* () {
      const read = ["read-tree", commit];
      const filled = yield* tryGit(ctx, clone, read, signal, index, true);
      if (filled.exit_code !== 0) return errAsync(exitError(ctx, read, filled));
      const status = [
        "status",
        "--porcelain=v1",
        "-z",
        untracked ? "--untracked-files=all" : "--untracked-files=no",
        "--ignore-submodules=all",
        "--no-renames",
      ];
      const env = { ...index, GIT_WORK_TREE: work_tree };
      const outcome = yield* tryGit(ctx, clone, status, signal, env, true);
      if (outcome.exit_code !== 0) return errAsync(exitError(ctx, status, outcome));
      const paths = workTreePaths(outcome.stdout);
      return ok({ paths: paths.slice(0, MAX_NAMED_PATHS), count: paths.length });
    });
    const cleaned = (async () => {
      const result = await compare;
      await rm(dir, { recursive: true, force: true }).catch(() => undefined);
      return result;
    })();
    return new ResultAsync(cleaned);
  });
}

/**
 * HEAD of a standalone repository, read as a file (never by a git process in it): the sha of a detached
 * HEAD, `{ ref }` for a symbolic one, `null` when `.git/HEAD` is missing or unreadable (its `.git` is not a
 * directory any more, for instance).
 */
export function readHeadFile(
  work_tree: string,
): ResultAsync<{ readonly sha: string } | { readonly ref: string } | null, never> {
  return ResultAsync.fromSafePromise(
    readFile(join(work_tree, ".git", "HEAD"), "utf8").then(
      (text) => {
        const line = text.trim();
        if (/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(line)) return { sha: line };
        const symbolic = /^ref: (\S+)$/.exec(line);
        return symbolic?.[1] === undefined ? null : { ref: symbolic[1] };
      },
      () => null,
    ),
  ).andThen((head) => okAsync(head));
}
