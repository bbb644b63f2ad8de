import { randomUUID } from "node:crypto";
import { open, readFile, stat, unlink, utimes } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { errAsync, ResultAsync } from "neverthrow";
import { rungateError } from "../../core/errors.js";
import type { PortError } from "../../ports/port-error.js";
import { fsCode } from "./git-repo.js";
import { cancelled } from "./map-simple-git-errors.js";

/**
 * The lock file inside a clone that serialises rungate's changes to the clone's worktree and ref
 * structure (fetch, branch creation, worktree add/remove/prune) across every process and machine using it.
 * git has no such lock: a `worktree add` writes its admin entry in several steps, and any other git
 * process that walks the worktrees meanwhile (fetch, another add, `worktree list`) fails on the
 * half-written entry ("bad object worktrees/<name>/HEAD").
 */
export const CLONE_LOCK_FILE = "rungate.lock";

/** Timings of a {@link withCloneLock} call. */
export interface CloneLockTimings {
  /** How long to wait for the lock before failing with `timeout` (`clone_lock_timeout`). */
  readonly wait_ms: number;
  /**
   * A lock whose file has not been touched for this long is taken over, whoever holds it: the holder
   * touches it every `stale_ms / 4` while it works, so only a dead or frozen holder's lock gets this old.
   */
  readonly stale_ms: number;
}

/** Default {@link CloneLockTimings.stale_ms}. */
export const DEFAULT_CLONE_LOCK_STALE_MS = 30_000;

/** Who holds a lock: written into the lock file as JSON. */
interface LockHolder {
  readonly pid: number;
  readonly host: string;
  readonly token: string;
}

/** How long a steal marker may stay before it is presumed left by a dead process. */
const STEAL_MARKER_STALE_MS = 5_000;

/**
 * Waiters of this process, per lock file: a release wakes them at once instead of at their next poll, so
 * cards of one process hand the lock over in microseconds (other processes still poll).
 */
const waiters = new Map<string, Set<() => void>>();

/** Sleeps `ms`, or less when a holder of this process releases `path`. */
function pauseFor(path: string, ms: number): Promise<void> {
  return new Promise((done) => {
    const set = waiters.get(path) ?? new Set<() => void>();
    waiters.set(path, set);
    const wake = () => {
      clearTimeout(timer);
      set.delete(wake);
      if (set.size === 0 && waiters.get(path) === set) waiters.delete(path);
      done();
    };
    const timer = setTimeout(wake, ms);
    set.add(wake);
  });
}

/** Wakes this process's waiters of `path`. */
function wakeWaiters(path: string): void {
  for (const wake of [...(waiters.get(path) ?? [])]) wake();
}

/** Whether a process of this host is alive (a process we may not signal is alive too). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return fsCode(error) === "EPERM";
  }
}

/** The holder recorded in the lock file, `null` while it is being written or when it is gone. */
async function readHolder(path: string): Promise<LockHolder | null> {
  try {
    const parsed: unknown = JSON.parse(await readFile(path, "utf8"));
    const holder = parsed as Partial<LockHolder> | null;
    if (
      typeof holder?.pid === "number" &&
      typeof holder.host === "string" &&
      typeof holder.token === "string"
    ) {
      return { pid: holder.pid, host: holder.host, token: holder.token };
    }
    return null;
  } catch {
    return null;
  }
}

/** Milliseconds since the lock file was last touched; `null` when it is gone. */
async function ageOf(path: string): Promise<number | null> {
  try {
    return Date.now() - (await stat(path)).mtimeMs;
  } catch {
    return null;
  }
}

/**
 * Whether the lock at `path` can be taken over: its holder is a dead process of this host, or nobody has
 * touched it for `stale_ms` (a holder on another machine, a pid reused, a holder that died before writing
 * its name).
 */
async function isStale(path: string, holder: LockHolder | null, stale_ms: number): Promise<boolean> {
  if (holder !== null && holder.host === hostname() && !processAlive(holder.pid)) return true;
  const age = await ageOf(path);
  return age !== null && age >= stale_ms;
}

/**
 * Removes a stale lock, unless someone else is removing it: the steal marker (`<lock>.steal`, created
 * exclusively) makes one process at a time re-read the holder and unlink, so two processes that both saw
 * the same stale lock cannot remove the fresh one the first of them made.
 */
async function steal(path: string, stale_ms: number): Promise<void> {
  const marker = `${path}.steal`;
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(marker, "wx");
  } catch (error) {
    if (fsCode(error) !== "EEXIST") throw error;
    const age = await ageOf(marker);
    // A stealer died between creating and removing its marker (a few microseconds of work): clear it.
    if (age !== null && age >= STEAL_MARKER_STALE_MS) await unlink(marker).catch(() => undefined);
    return;
  }
  try {
    await handle.close();
    if (await isStale(path, await readHolder(path), stale_ms)) await unlink(path).catch(() => undefined);
  } finally {
    await unlink(marker).catch(() => undefined);
  }
}

/** Tries once to create the lock file; the holder written into it, or `null` when it exists. */
async function tryCreate(path: string): Promise<LockHolder | null> {
  const holder: LockHolder = { pid: process.pid, host: hostname(), token: randomUUID() };
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, "wx", 0o600);
  } catch (error) {
    if (fsCode(error) === "EEXIST") return null;
    throw error;
  }
  try {
    await handle.writeFile(JSON.stringify(holder), "utf8");
  } finally {
    await handle.close();
  }
  return holder;
}

/** Removes the lock file if it is still ours (a lock taken over from us is the new holder's). */
async function release(path: string, holder: LockHolder): Promise<void> {
  const now = await readHolder(path);
  if (now?.token === holder.token) await unlink(path).catch(() => undefined);
  wakeWaiters(path);
}

type Acquired = { readonly holder: LockHolder } | { readonly failed: "timeout" | "aborted" };

async function acquire(
  path: string,
  timings: CloneLockTimings,
  signal: AbortSignal | undefined,
): Promise<Acquired> {
  const deadline = Date.now() + timings.wait_ms;
  let pause = 5;
  for (;;) {
    if (signal?.aborted) return { failed: "aborted" };
    const holder = await tryCreate(path);
    if (holder !== null) return { holder };
    if (await isStale(path, await readHolder(path), timings.stale_ms)) {
      await steal(path, timings.stale_ms);
      continue;
    }
    if (Date.now() >= deadline) return { failed: "timeout" };
    // Jittered, growing pauses: waiters do not wake in lockstep, and a long holder costs few polls.
    await pauseFor(path, pause / 2 + Math.random() * pause);
    pause = Math.min(pause * 2, 200);
  }
}

/**
 * Runs `body` while holding the clone's lock ({@link CLONE_LOCK_FILE}), across processes: waits for the
 * lock (`timeout` with code `clone_lock_timeout` after `wait_ms`, `cancelled` on abort), keeps it fresh
 * while `body` runs, and releases it however `body` ends. A lock left by a process that died is taken over
 * (see {@link CloneLockTimings.stale_ms}).
 */
export function withCloneLock<T>(
  adapter: string,
  clone: string,
  operation: string,
  timings: CloneLockTimings,
  signal: AbortSignal | undefined,
  body: () => ResultAsync<T, PortError>,
): ResultAsync<T, PortError> {
  const path = join(clone, CLONE_LOCK_FILE);
  const lockFailure = (error: unknown): PortError =>
    rungateError("port_failure", "clone_lock_failed", {
      port: "git",
      adapter,
      operation,
      retryable: true,
      cause: error instanceof Error ? error.message : String(error),
    });
  return ResultAsync.fromPromise(acquire(path, timings, signal), lockFailure).andThen((acquired) => {
    if ("failed" in acquired) {
      return errAsync(
        acquired.failed === "aborted"
          ? cancelled(operation)
          : rungateError("timeout", "clone_lock_timeout", { operation, timeout_ms: timings.wait_ms }),
      );
    }
    const { holder } = acquired;
    const touch = setInterval(
      () => {
        const now = new Date();
        utimes(path, now, now).catch(() => undefined);
      },
      Math.max(10, Math.floor(timings.stale_ms / 4)),
    );
    touch.unref();
    const done = () => {
      clearInterval(touch);
      return release(path, holder).catch(() => undefined);
    };
    return ResultAsync.fromSafePromise(
      (async () => {
        try {
          return await body();
        } finally {
          await done();
        }
      })(),
    ).andThen((result) => result);
  });
}
