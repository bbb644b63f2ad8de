import { readdir, readFile } from "node:fs/promises";

// The SDK starts `codex` itself and never tells its pid, so a `codex` left running by a process that died, or
// one that ignores the SDK's SIGTERM, is found by the execution id rungate put in its environment
// (`RUNGATE_EXECUTION_ID`). Only where `/proc` exists (Linux); elsewhere nothing is found.

/** The pids of processes (not this one) whose environment names `executionId`. */
export async function processesOfExecution(executionId: string): Promise<number[]> {
  const entries = await readdir("/proc").catch(() => [] as string[]);
  const needle = `RUNGATE_EXECUTION_ID=${executionId}`;
  const found: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    // Processes of other users, and ones that ended meanwhile, cannot be read: they are not ours to stop.
    const environ = await readFile(`/proc/${entry}/environ`, "utf8").catch(() => "");
    if (environ.split("\0").includes(needle)) found.push(Number(entry));
  }
  return found;
}

/** Whether `pid` is gone: no such process, or a zombie (dead, waiting for a parent that may never reap it). */
async function isGone(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => null);
  return stat === null || stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
}

/** How long {@link killProcessesOfExecution} waits for the killed processes to be gone. */
const KILL_WAIT_MS = 2_000;

/**
 * Sends SIGKILL to every process {@link processesOfExecution} finds, and waits (up to 2 s) until they are
 * gone, so that whatever comes next does not overlap them; answers how many there were.
 */
export async function killProcessesOfExecution(executionId: string): Promise<number> {
  const pids = await processesOfExecution(executionId);
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // Gone meanwhile.
    }
  }
  const deadline = Date.now() + KILL_WAIT_MS;
  for (const pid of pids) {
    while (!(await isGone(pid)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  }
  return pids.length;
}
