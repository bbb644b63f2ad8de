import { readdir, readFile, rm, rmdir, stat } from "node:fs/promises";
import { hostname } from "node:os";
import { basename, dirname, join } from "node:path";
import { worktreesDir } from "./git-repo.js";

/**
 * How rungate's own `git worktree add` locks the new entry while it is made (`--lock --reason`), instead
 * of git's anonymous "initializing": an entry still locked so after the add returned belongs to an add that
 * was killed. rungate removes the lock once the add succeeded.
 */
export const ADDING_LOCK_PREFIX = "rungate: adding";

/** The `--reason` rungate's worktree adds lock their entry with: who was adding it, for a person reading it. */
export function addingLockReason(): string {
  return `${ADDING_LOCK_PREFIX}, pid ${process.pid} on ${hostname()}`;
}

/** git's own lock reason while an add it was not asked to lock runs. */
const GIT_INITIALIZING = "initializing";

/** A HEAD that is not a commit yet: git writes the zero id first and the real HEAD a moment later. */
const UNBORN_HEAD = /^0+$/;

const readText = (path: string) => readFile(path, "utf8").catch(() => "");

/**
 * Removes the admin folder of the entry `name` and its half checked-out worktree. git registers an entry
 * (`locked`), then makes the worktree's directory, then writes the entry's `gitdir`, then the worktree's
 * `.git`: an entry without `gitdir` has at most an empty directory at `<clone>.worktrees/<name>` (rungate's
 * worktrees live there), removed only while empty, since a directory with files is not this add's.
 */
async function clearEntry(clone: string, name: string): Promise<void> {
  const admin = join(clone, "worktrees", name);
  const gitdir = (await readText(join(admin, "gitdir"))).trim();
  await rm(admin, { recursive: true, force: true });
  if (gitdir.endsWith("/.git")) await rm(dirname(gitdir), { recursive: true, force: true });
  else await rmdir(join(worktreesDir(clone), name)).catch(() => undefined);
}

/**
 * Clears the remains of a `git worktree add` that was killed half-way for this worktree: its admin entry
 * (`<clone>/worktrees/<name>`) is still locked as being added (rungate's reason, or git's "initializing").
 * Left alone, such an entry either breaks `git worktree list` and fetch for the whole clone or passes for a
 * usable worktree with files missing. Safe because the caller holds the card's lease and the clone lock:
 * nobody else is adding this worktree. Returns whether anything was cleared.
 */
export async function clearInterruptedWorktreeAdd(clone: string, worktreePath: string): Promise<boolean> {
  const name = basename(worktreePath);
  let reason: string;
  try {
    reason = await readFile(join(clone, "worktrees", name, "locked"), "utf8");
  } catch {
    return false;
  }
  if (!reason.startsWith(ADDING_LOCK_PREFIX) && !reason.startsWith(GIT_INITIALIZING)) return false;
  await clearEntry(clone, name);
  return true;
}

/**
 * Clears every worktree entry of `clone` that a killed `git worktree add` left, which makes every fetch of
 * the clone fail ("bad object worktrees/<name>/HEAD") for every card. The caller holds the clone lock, so
 * an entry still locked with rungate's reason ({@link ADDING_LOCK_PREFIX}) is dead. An entry locked
 * "initializing" was added by someone else (an agent, a person): it is cleared only once it is `minAgeMs`
 * old and its HEAD or commondir is still missing or unborn, which a live add fixes within milliseconds.
 * Returns how many were cleared.
 */
export async function clearDeadWorktreeEntries(clone: string, minAgeMs = 2_000): Promise<number> {
  let names: string[];
  try {
    names = await readdir(join(clone, "worktrees"));
  } catch {
    return 0;
  }
  let cleared = 0;
  for (const name of names) {
    const admin = join(clone, "worktrees", name);
    const reason = await readText(join(admin, "locked"));
    if (reason.startsWith(ADDING_LOCK_PREFIX)) {
      await clearEntry(clone, name);
      cleared++;
      continue;
    }
    if (!reason.startsWith(GIT_INITIALIZING)) continue;
    const lock = await stat(join(admin, "locked")).catch(() => null);
    if (lock === null || Date.now() - lock.mtimeMs < minAgeMs) continue;
    const head = (await readText(join(admin, "HEAD"))).trim();
    const commondir = (await readText(join(admin, "commondir"))).trim();
    if (head !== "" && !UNBORN_HEAD.test(head) && commondir !== "") continue;
    await clearEntry(clone, name);
    cleared++;
  }
  return cleared;
}

/**
 * Removes the lock rungate's add put on a worktree it just made (what `git worktree unlock` does, without a
 * process): the admin entry is the one the worktree's `.git` file names.
 */
export async function unlockAddedWorktree(worktreePath: string): Promise<void> {
  const pointer = await readFile(join(worktreePath, ".git"), "utf8");
  const admin = /^gitdir: (.+)$/m.exec(pointer)?.[1]?.trim();
  if (admin === undefined) throw new Error(`${worktreePath}/.git does not name its admin entry`);
  await rm(join(admin, "locked"), { force: true });
}
