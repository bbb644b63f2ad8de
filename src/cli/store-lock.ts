import { readFileSync, unlinkSync } from "node:fs";
import { open, readFile, unlink } from "node:fs/promises";
import { z } from "zod";
import { err, ok, type Result, ResultAsync } from "../index.js";
import { isAlive } from "../internal/agent-dispatch/process-identity.js";
import { type CliError, failure } from "./cli-error.js";

/** A held lock on a state directory; `release` is idempotent. */
export interface StoreLock {
  release(): Promise<void>;
}

const LockFile = z.object({ pid: z.number().int().positive(), command: z.string() });

/** The lock file's holder, or `null` when it is unreadable or names no live process. */
async function liveHolder(path: string): Promise<z.infer<typeof LockFile> | null> {
  const text = await readFile(path, "utf8").catch(() => null);
  if (text === null) return null;
  let raw: unknown = null;
  try {
    raw = JSON.parse(text);
  } catch {
    // A lock half-written by a process killed while writing it: nobody holds it.
  }
  const holder = LockFile.safeParse(raw);
  return holder.success && isAlive(holder.data.pid) ? holder.data : null;
}

/**
 * Takes the lock file at `path` for this process (`command` names who holds it, for the message another
 * command reads). Why: the embedded store (PGlite) is one process's files, and two processes opening it at
 * once would corrupt it, so every command holds the lock while the store is open. A lock whose holder is
 * gone (killed, crashed) is taken over. Released on `release()` and, failing that, when the process exits.
 */
export function acquireStoreLock(path: string, command: string): ResultAsync<StoreLock, CliError> {
  const attempt = async (tries: number): Promise<Result<StoreLock, CliError>> => {
    try {
      const handle = await open(path, "wx", 0o600);
      await handle.writeFile(JSON.stringify({ pid: process.pid, command }));
      await handle.close();
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code !== "EEXIST") {
        return err(failure(`cannot lock the state directory (${path}): ${(cause as Error).message}`));
      }
      const holder = await liveHolder(path);
      if (holder !== null) {
        return err(
          failure(
            `the state directory is in use by \`rungate ${holder.command}\` (pid ${holder.pid}); wait for it to end, or stop it with Ctrl-C`,
          ),
        );
      }
      if (tries === 0) return err(failure(`cannot lock the state directory (${path}): it keeps being taken`));
      await unlink(path).catch(() => undefined);
      return attempt(tries - 1);
    }
    return ok(heldLock(path));
  };
  return new ResultAsync(attempt(2));
}

/** The lock this process holds at `path`, with its release on exit. */
function heldLock(path: string): StoreLock {
  let held = true;
  // Synchronous on purpose: an exit handler cannot wait for a promise.
  const onExit = () => {
    if (!held) return;
    held = false;
    try {
      if (readFileSync(path, "utf8").includes(`"pid":${process.pid},`)) unlinkSync(path);
    } catch {
      // Already gone.
    }
  };
  process.once("exit", onExit);
  return {
    async release() {
      process.removeListener("exit", onExit);
      onExit();
    },
  };
}
