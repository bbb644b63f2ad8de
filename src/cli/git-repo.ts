import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { errAsync, okAsync, ResultAsync } from "../index.js";
import { type CliError, usageError } from "./cli-error.js";

const run = promisify(execFile);

/** The repository a run works on, as `rungate run --repo` names it. */
export interface LocalRepository {
  /** Absolute path of the repository (its top level, or the bare repository itself): the run's `repo_url`. */
  readonly path: string;
  /** The branch its HEAD is on, or `null` when HEAD is detached or unborn. */
  readonly current_branch: string | null;
}

/** `git <args>` in `cwd`, its trimmed stdout, or `null` when git fails. */
function git(cwd: string, ...args: string[]): ResultAsync<string | null, never> {
  return ResultAsync.fromSafePromise(
    run("git", args, { cwd }).then(
      ({ stdout }) => stdout.trim(),
      () => null,
    ),
  );
}

/**
 * Reads the repository at `path` (a working tree or a bare repository) with the `git` on the PATH: where it
 * is and which branch it is on. Not a repository, or no commit on its branch yet, is a usage error.
 */
export function readLocalRepository(path: string): ResultAsync<LocalRepository, CliError> {
  const dir = resolve(path);
  return git(dir, "rev-parse", "--is-bare-repository").andThen((bare) => {
    if (bare === null) return errAsync(usageError(`--repo ${path} is not a git repository`));
    const top =
      bare === "true" ? okAsync<string | null, never>(dir) : git(dir, "rev-parse", "--show-toplevel");
    return top.andThen((top) =>
      git(dir, "rev-parse", "--verify", "--quiet", "HEAD^{commit}").andThen((head) => {
        if (top === null) return errAsync(usageError(`--repo ${path} is not a git repository`));
        if (head === null || head === "") {
          return errAsync(usageError(`--repo ${path} has no commit yet: commit something first`));
        }
        return git(dir, "symbolic-ref", "--quiet", "--short", "HEAD").map((branch) => ({
          path: top,
          current_branch: branch === "" ? null : branch,
        }));
      }),
    );
  });
}

/** Whether `branch` is a local branch of `repo` with a commit (a run's base must be one). */
export function hasBranch(repo: LocalRepository, branch: string): ResultAsync<boolean, never> {
  return git(repo.path, "rev-parse", "--verify", "--quiet", `refs/heads/${branch}^{commit}`).map(
    (sha) => sha !== null && sha !== "",
  );
}
