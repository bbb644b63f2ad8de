import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { z } from "zod";

/**
 * Who a process is, in terms that cannot name another process: the machine (`host`), the kernel's boot
 * (`boot_id`, Linux), and the process's start time in clock ticks since boot (`start_ticks`, Linux). A pid
 * alone is reused: after a restart (of the process, the container or the machine) the same number may be an
 * unrelated program, whose process group a dispatcher must never kill and whose life says nothing about an
 * execution. `null` fields are what this platform cannot tell.
 */
export const ProcessIdentity = z.object({
  host: z.string(),
  boot_id: z.string().nullable(),
  start_ticks: z.string().nullable(),
});
/** Parsed {@link ProcessIdentity}. */
export type ProcessIdentity = z.infer<typeof ProcessIdentity>;

function readTrimmed(path: string): string | null {
  try {
    return readFileSync(path, "utf8").trim() || null;
  } catch {
    return null;
  }
}

/** Field 22 of `/proc/<pid>/stat` (its start time), or `null` where `/proc` does not tell (or it is gone). */
export function processStartTicks(pid: number): string | null {
  const stat = readTrimmed(`/proc/${pid}/stat`);
  if (stat === null) return null;
  // "pid (comm) state ppid …": the command may hold spaces and parens, so count from its last ")".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return fields[19] ?? null;
}

let self: ProcessIdentity | undefined;

/** This process's {@link ProcessIdentity} (read once). */
export function currentProcessIdentity(): ProcessIdentity {
  self ??= {
    host: hostname(),
    boot_id: readTrimmed("/proc/sys/kernel/random/boot_id"),
    start_ticks: processStartTicks(process.pid),
  };
  return self;
}

/** Whether process `pid` exists (one we may not signal exists too). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Whether the process `pid`, recorded with `identity`, still runs, judged from this machine:
 * - another boot of this machine: no (a reboot ended it, whatever now has that pid);
 * - the same boot: only while a process with that pid exists AND started at the recorded time (a reused pid
 *   is another program: no);
 * - no identity (recorded before identities were) or another host: the pid alone, as before; this machine
 *   cannot tell more (the caller's lease is what bounds a process elsewhere).
 */
export function processRuns(pid: number, identity: ProcessIdentity | null | undefined): boolean {
  const me = currentProcessIdentity();
  if (identity === null || identity === undefined || identity.host !== me.host) return isAlive(pid);
  if (identity.boot_id !== null && me.boot_id !== null && identity.boot_id !== me.boot_id) return false;
  if (!isAlive(pid)) return false;
  if (identity.start_ticks === null) return true;
  const started = processStartTicks(pid);
  return started === null || started === identity.start_ticks;
}
