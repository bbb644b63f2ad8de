import { constants } from "node:fs";
import { type FileHandle, lstat, open, realpath } from "node:fs/promises";
import { join, resolve } from "node:path";

// The dispatcher reads a few files of the worktree's git data directly and runs no git there: the agent owns
// that repository's config, and a git process run in it would obey what the agent wrote (an fsmonitor, a
// filter). What it reads is read defensively too: regular files only, bounded, never a FIFO to block on.

/** The contents of a small regular file, or `null` (missing, a link, a FIFO, a directory, too large). */
async function readSmallFile(path: string, maxBytes = 64 * 1024): Promise<string | null> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    const info = await handle.stat();
    if (!info.isFile() || info.size > maxBytes) return null;
    const buffer = Buffer.alloc(info.size);
    const { bytesRead } = await handle.read(buffer, 0, info.size, 0);
    return buffer.subarray(0, bytesRead).toString("utf8");
  } catch {
    return null;
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/** Where a worktree's git data lives. */
export interface GitDirs {
  /** The worktree's own git dir (`.git` of a clone, `<common>/worktrees/<name>` of a linked worktree). */
  readonly git_dir: string;
  /** The clone's common git dir (objects, refs): what committing writes to. */
  readonly common_dir: string;
}

async function samePath(a: string, b: string): Promise<boolean> {
  const [ra, rb] = await Promise.all([realpath(a).catch(() => a), realpath(b).catch(() => b)]);
  return ra === rb;
}

/**
 * The git dirs of `worktree`, as `git rev-parse --git-dir --git-common-dir` would answer (absolute), read
 * from its `.git` file and the `commondir` it points to. A linked worktree's answer is believed only when
 * git's link back (`<git dir>/gitdir`) names this worktree's `.git`: an agent that rewrote its `.git` file
 * cannot make another directory look like its repository (and, in a sandbox, writable). `null` when the
 * worktree has no readable git data.
 */
export async function readGitDirs(worktree: string): Promise<GitDirs | null> {
  const dotGit = join(resolve(worktree), ".git");
  const info = await lstat(dotGit).catch(() => null);
  if (info === null) return null;
  if (info.isDirectory()) return { git_dir: dotGit, common_dir: dotGit };
  const pointer = (await readSmallFile(dotGit))?.match(/^gitdir: (.+)$/m)?.[1]?.trim();
  if (pointer === undefined) return null;
  const gitDir = resolve(worktree, pointer);
  const back = (await readSmallFile(join(gitDir, "gitdir")))?.trim();
  if (back === undefined || !(await samePath(resolve(gitDir, back), dotGit))) return null;
  const common = (await readSmallFile(join(gitDir, "commondir")))?.trim();
  return { git_dir: gitDir, common_dir: common === undefined ? gitDir : resolve(gitDir, common) };
}

const OBJECT_NAME = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

/**
 * The commit `refs/heads/<branch>` names in the common dir (a loose ref, else `packed-refs`), or `null` when
 * it cannot be read that way (no such branch, a reftable repository, anything odd).
 */
export async function readBranchHead(dirs: GitDirs, branch: string): Promise<string | null> {
  if (branch.split("/").some((part) => part === "" || part === "." || part === "..")) return null;
  const loose = (await readSmallFile(join(dirs.common_dir, "refs", "heads", branch)))?.trim();
  if (loose !== undefined) return OBJECT_NAME.test(loose) ? loose : null;
  const packed = await readSmallFile(join(dirs.common_dir, "packed-refs"), 64 * 1024 * 1024);
  for (const line of packed?.split("\n") ?? []) {
    const [sha, ref] = line.trim().split(" ");
    if (ref === `refs/heads/${branch}` && sha !== undefined && OBJECT_NAME.test(sha)) return sha;
  }
  return null;
}
