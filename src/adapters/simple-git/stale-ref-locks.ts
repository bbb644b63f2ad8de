import { rm, stat } from "node:fs/promises";
import { isAbsolute, relative, resolve, sep } from "node:path";
import type { PortError } from "../../ports/port-error.js";

/**
 * Stale ref locks: git updates a ref by creating `<ref>.lock`, writing it and renaming it over the ref, all in
 * milliseconds. A git process killed in between leaves the `.lock`, and every later update of that ref (a
 * fetch of the remote-tracking refs, a branch update, `packed-refs`) fails with "Unable to create
 * '….lock': File exists" until someone removes it: for a clone shared by every card of a project, that
 * stops the project.
 */

/** How long a ref lock must stay untouched before it counts as a dead process's. */
export const STALE_REF_LOCK_QUIET_MS = 1_000;

/** git's message for a lock it found in place (lockfile.c). */
const HELD_LOCK = /Unable to create '([^'\n]+\.lock)': File exists/;

/**
 * The ref lock a failed git command names, when it is one of `clone`'s ref locks (`refs/**.lock` or
 * `packed-refs.lock`); `null` otherwise (a worktree's index lock, say, belongs to whoever works there).
 */
export function refLockNamedBy(error: PortError, clone: string): string | null {
  if (error.kind !== "port_failure" || error.code !== "git_repository_locked") return null;
  const text = `${error.message}\n${error.detail.cause ?? ""}`;
  const named = HELD_LOCK.exec(text)?.[1];
  if (named === undefined || !isAbsolute(named)) return null;
  const inside = relative(resolve(clone), resolve(named));
  if (inside.startsWith("..") || isAbsolute(inside)) return null;
  return inside === "packed-refs.lock" || inside.startsWith(`refs${sep}`) ? resolve(named) : null;
}

/**
 * Removes the lock at `path` if nobody touches it for `quietMs` (same inode, size and modification time):
 * a live git process holds a ref lock for milliseconds. Answers whether the command that met it may run
 * again: the lock was removed, or it went away meanwhile.
 */
export async function removeIfStale(path: string, quietMs = STALE_REF_LOCK_QUIET_MS): Promise<boolean> {
  const before = await stat(path).catch(() => null);
  if (before === null) return true;
  await new Promise((done) => setTimeout(done, quietMs));
  const after = await stat(path).catch(() => null);
  if (after === null) return true;
  const untouched =
    after.ino === before.ino && after.size === before.size && after.mtimeMs === before.mtimeMs;
  if (!untouched) return false;
  await rm(path, { force: true });
  return true;
}
