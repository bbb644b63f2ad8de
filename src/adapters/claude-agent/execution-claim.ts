import { readFileSync } from "node:fs";
import { open, readFile, rm } from "node:fs/promises";
import { err, ok, type Result } from "neverthrow";
import { dispatcherFailure } from "../../internal/agent-dispatch/dispatch-errors.js";
import {
  claimMarker,
  type ExecutionMarker,
  judgeOpenMarker,
  ownedByThisProcess,
  readMarker,
  removeMarker,
  replayDispatchResult,
  storeDispatchResult,
  supersededBeforeStart,
  writeMarker,
} from "../../internal/agent-dispatch/execution-markers.js";
import { isAlive } from "../../internal/agent-dispatch/process-identity.js";
import { signalGroup } from "../../internal/child-process/run-process.js";
import type { AgentDispatchOutcome } from "../../ports/agent-dispatcher.js";
import type { PortError } from "../../ports/port-error.js";

type DispatchResult = Result<AgentDispatchOutcome, PortError>;

/** What a dispatch may do with its execution id: answer without starting anything, or start a session. */
export type ExecutionClaim =
  | { readonly kind: "answer"; readonly result: DispatchResult }
  | {
      readonly kind: "start";
      /** The marker as claimed (owned by this process, no result yet). */
      readonly marker: ExecutionMarker;
      /** `true`: the process that ran this execution died mid-session; its session is resumed (once). */
      readonly resume: boolean;
    };

/** What the claim needs to know of the dispatch. */
export interface ClaimRequest {
  readonly adapter: string;
  /** The marker file (`<state_dir>/<execution_id>.json`). */
  readonly path: string;
  readonly execution_id: string;
  /** The store says the execution's owner lost its lease (`AgentDispatchRequest.takeover`). */
  readonly takeover?: boolean;
  readonly run_id: string;
  readonly assignment_id: string;
  /** The session a fresh start uses (the execution id, or the id of the fork of an earlier session). */
  readonly session_id: string;
  /** The branch head before the agent starts, read only for a fresh start. */
  readonly headBefore: () => Promise<string | null>;
}

/**
 * Kills what a dead owner's Claude Code left running: its process group, when the group's leader is gone or
 * (where `/proc` tells) still names this execution in its environment; a group id reused by another program
 * is left alone.
 */
function killOrphan(marker: ExecutionMarker): void {
  const pgid = marker.agent_pgid;
  if (pgid === null) return;
  let environ: string;
  try {
    environ = readFileSync(`/proc/${pgid}/environ`, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") signalGroup(pgid, "SIGKILL");
    return;
  }
  if (environ.split("\0").includes(`RUNGATE_EXECUTION_ID=${marker.execution_id}`))
    signalGroup(pgid, "SIGKILL");
}

/**
 * Takes over a dead owner's execution, exclusively: a lock file created with `O_EXCL` (holding this pid)
 * decides between processes that find the same dead owner. Answers whether this process won.
 */
async function takeOverLock(path: string): Promise<boolean> {
  const lock = `${path.replace(/\.json$/, "")}.resume.lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(lock, "wx", 0o600);
      await handle.writeFile(String(process.pid));
      await handle.close();
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const holder = Number.parseInt(await readFile(lock, "utf8").catch(() => ""), 10);
      if (Number.isInteger(holder) && holder !== process.pid && isAlive(holder)) return false;
      // Its holder died before finishing the take-over (or never wrote its pid): the lock is stale.
      await rm(lock, { force: true });
    }
  }
  return false;
}

async function releaseTakeOverLock(path: string): Promise<void> {
  await rm(`${path.replace(/\.json$/, "")}.resume.lock`, { force: true });
}

/** Records `result` as the execution's end and answers it. */
export async function finishExecution(
  path: string,
  marker: ExecutionMarker,
  result: DispatchResult,
): Promise<DispatchResult> {
  await writeMarker(path, { ...marker, result: storeDispatchResult(result) });
  return result;
}

/** The answer for an execution that already has a marker: its end, a wait, a resume or `interrupted`. */
async function fromExisting(
  request: ClaimRequest,
  existing: ExecutionMarker,
): Promise<ExecutionClaim | null> {
  const fail = (cause: string) =>
    ({ kind: "answer", result: err(dispatcherFailure(request.adapter, "dispatch", cause, true)) }) as const;
  if (existing.result !== null) return { kind: "answer", result: replayDispatchResult(existing.result) };
  const standing = judgeOpenMarker(existing, request.takeover);
  if (standing === "running") {
    return fail(
      `execution ${existing.execution_id} is being run by process ${existing.owner_pid}; try again once it ends`,
    );
  }
  if (standing === "never_started") {
    // Its owner died between the claim and the start: Claude Code never ran for it, so this call runs it.
    await removeMarker(request.path);
    return null;
  }
  if (standing === "superseded") {
    // Taken over from an owner that still exists but lost its lease before starting Claude Code: woken, it
    // would start it, so it is not started here too; another attempt follows.
    const result = ok(supersededBeforeStart(existing));
    return { kind: "answer", result: await finishExecution(request.path, existing, result) };
  }
  killOrphan(existing);
  if ((existing.resumed ?? 0) >= 1) {
    // Resumed once already and cut short again: not started a third time; another attempt follows.
    const summary = `the processes that ran this execution (last pid ${existing.owner_pid}) ended twice before recording Claude Code's end; its session ${existing.session_id ?? "(unknown)"} is not resumed again`;
    const result = ok({
      outcome: "interrupted" as const,
      exit_code: null,
      summary,
      session_id: existing.session_id ?? null,
    });
    return { kind: "answer", result: await finishExecution(request.path, existing, result) };
  }
  if (!(await takeOverLock(request.path))) {
    return fail(`execution ${existing.execution_id} is being taken over by another process; try again`);
  }
  try {
    const marker: ExecutionMarker = {
      ...existing,
      ...ownedByThisProcess(),
      agent_pgid: null,
      resumed: (existing.resumed ?? 0) + 1,
    };
    await writeMarker(request.path, marker);
    return { kind: "start", marker, resume: true };
  } finally {
    await releaseTakeOverLock(request.path);
  }
}

/**
 * Claims the execution for this dispatch, once per execution id: a finished execution answers its stored
 * end; one run by a live process fails `port_failure` (retryable); one whose owner died before Claude Code
 * started is started afresh; one whose owner died mid-session is resumed once, and after a second such death
 * answers `interrupted` without starting anything. Throws only when the state dir cannot be used.
 */
export async function claimExecution(request: ClaimRequest): Promise<ExecutionClaim> {
  for (let attempt = 0; attempt < 2; attempt++) {
    const existing = await readMarker(request.path);
    if (existing !== null) {
      const claim = await fromExisting(request, existing);
      if (claim !== null) return claim;
    }
    const marker: ExecutionMarker = {
      version: 1,
      execution_id: request.execution_id,
      run_id: request.run_id,
      assignment_id: request.assignment_id,
      ...ownedByThisProcess(),
      agent_pgid: null,
      spawning: false,
      head_before: await request.headBefore(),
      context_dir: null,
      session_id: request.session_id,
      started_at: new Date().toISOString(),
      result: null,
    };
    if (await claimMarker(request.path, marker)) return { kind: "start", marker, resume: false };
    // Another process claimed it between the read and the claim: answer from its marker.
  }
  return {
    kind: "answer",
    result: err(
      dispatcherFailure(
        request.adapter,
        "dispatch",
        `execution ${request.execution_id} is being claimed by another process; try again`,
        true,
      ),
    ),
  };
}
