import { execa } from "execa";
import type { WorktreeObservation } from "./agent-outcome.js";

/** How long one read-only git command may take. */
const GIT_TIMEOUT_MS = 120_000;

async function git(cwd: string, env: Readonly<Record<string, string>>, args: readonly string[]) {
  const result = await execa("git", args, {
    cwd,
    env: { ...env, GIT_OPTIONAL_LOCKS: "0", GIT_TERMINAL_PROMPT: "0" },
    extendEnv: false,
    stdin: "ignore",
    reject: false,
    timeout: GIT_TIMEOUT_MS,
    maxBuffer: 16 * 1024 * 1024,
    stripFinalNewline: false,
  });
  if (result.exitCode === undefined && !result.isMaxBuffer) {
    throw new Error(`git ${args.join(" ")} in ${cwd}: ${result.shortMessage ?? "failed"}`);
  }
  return result;
}

/** Counts the paths of `git status --porcelain=v1 -z` output (a rename's source path is not counted twice). */
export function countStatusEntries(porcelainZ: string): number {
  const records = porcelainZ.split("\0");
  let count = 0;
  for (let i = 0; i < records.length; i += 1) {
    const record = records[i] ?? "";
    if (record.length < 4) continue;
    count += 1;
    if (record[0] === "R" || record[0] === "C") i += 1;
  }
  return count;
}

/**
 * Reads the worktree's branch (`git symbolic-ref -q --short HEAD`, `null` when detached), HEAD commit
 * (`git rev-parse -q --verify HEAD^{commit}`, `null` before the first commit) and uncommitted paths
 * (`git status --porcelain=v1 -z --untracked-files=normal`). Read-only (`GIT_OPTIONAL_LOCKS=0`). Throws when
 * `cwd` is not a git worktree or git cannot run; the caller converts that at its edge.
 */
export async function observeWorktree(
  cwd: string,
  env: Readonly<Record<string, string>>,
): Promise<WorktreeObservation> {
  const inside = await git(cwd, env, ["rev-parse", "--is-inside-work-tree"]);
  if (inside.exitCode !== 0 || String(inside.stdout).trim() !== "true") {
    throw new Error(`${cwd} is not a git worktree: ${String(inside.stderr).trim() || "rev-parse failed"}`);
  }
  const [branch, head, status] = await Promise.all([
    git(cwd, env, ["symbolic-ref", "-q", "--short", "HEAD"]),
    git(cwd, env, ["rev-parse", "-q", "--verify", "HEAD^{commit}"]),
    git(cwd, env, ["status", "--porcelain=v1", "-z", "--untracked-files=normal"]),
  ]);
  if (status.exitCode !== 0 && !status.isMaxBuffer) {
    throw new Error(`git status in ${cwd} failed: ${String(status.stderr).trim()}`);
  }
  return {
    branch: branch.exitCode === 0 ? String(branch.stdout).trim() : null,
    head: head.exitCode === 0 ? String(head.stdout).trim() : null,
    dirty_paths: status.isMaxBuffer
      ? Math.max(1, countStatusEntries(String(status.stdout)))
      : countStatusEntries(String(status.stdout)),
  };
}
