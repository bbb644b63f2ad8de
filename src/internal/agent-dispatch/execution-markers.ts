import { randomUUID } from "node:crypto";
import { renameSync, writeFileSync } from "node:fs";
import { link, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { err, ok, type Result } from "neverthrow";
import { z } from "zod";
import {
  AgentOutcome,
  AgentPermissionDenial,
  AgentTerminalReason,
  AgentUsage,
} from "../../core/schemas/agent-execution.js";
import type { AgentDispatchOutcome } from "../../ports/agent-dispatcher.js";
import type { PortError } from "../../ports/port-error.js";
import { currentProcessIdentity, ProcessIdentity, processRuns } from "./process-identity.js";

// Markers are shared by every dispatcher that runs an agent on this machine (`rungate/dispatch`,
// `rungate/claude`, `rungate/codex`): the once-per-execution claim is the same whatever the agent.

/** An outcome as stored in a marker: the whole {@link AgentDispatchOutcome}, its optional fields optional. */
const StoredOutcome = z.object({
  outcome: AgentOutcome,
  exit_code: z.number().int().nullable(),
  summary: z.string().nullable(),
  session_id: z.string().nullable().optional(),
  usage: AgentUsage.nullable().optional(),
  cost_usd: z.number().nonnegative().nullable().optional(),
  num_turns: z.number().int().nonnegative().nullable().optional(),
  terminal_reason: AgentTerminalReason.nullable().optional(),
  permission_denials: z.array(AgentPermissionDenial).readonly().optional(),
  final_message: z.string().nullable().optional(),
});

/** A port error as stored in a marker (a cancelled or timed-out run). */
const StoredError = z.object({
  kind: z.enum(["port_failure", "not_found", "conflict", "cancelled", "timeout", "validation"]),
  code: z.string(),
  message: z.string(),
  detail: z.record(z.string(), z.unknown()),
});

/**
 * What the dispatcher records per execution id, in `<state_dir>/<execution_id>.json`: who runs it, what HEAD
 * was before, whether the agent may have started, and, once it ended, its result. A marker without a result
 * is a run in flight, or one whose process died before recording the end.
 */
export const ExecutionMarker = z.object({
  version: z.literal(1),
  execution_id: z.string(),
  run_id: z.string(),
  assignment_id: z.string(),
  /** The process that runs (ran) the dispatch. */
  owner_pid: z.number().int(),
  /**
   * Who that process is beyond its pid (host, boot, start time), so that a reused pid is not taken for it;
   * absent in markers from before this field (judged by the pid alone).
   */
  owner: ProcessIdentity.optional(),
  /** The agent's process group, once started. */
  agent_pgid: z.number().int().nullable(),
  /**
   * Whether the agent may have been started: `false` from the claim until its held process exists, when it
   * is written (with `agent_pgid`) before the agent is released. A marker whose owner died while it was
   * `false` never ran its agent, so that execution may still run. Markers from before this field read as
   * `true`, the cautious answer.
   */
  spawning: z.boolean().default(true),
  head_before: z.string().nullable(),
  /**
   * The temporary directory holding the agent's context file (it holds the task), removed when the run
   * ends. Recorded so that whoever finds the marker of a process that died removes it. `null` in markers
   * from before this field.
   */
  context_dir: z.string().nullable().default(null),
  /**
   * The agent's session, for agents that have one (`rungate/claude`: the execution id; `rungate/codex`: the
   * thread id once known), so a dispatch that finds its owner dead resumes that session instead of starting
   * another. `null` for command agents and in markers from before this field.
   */
  session_id: z.string().nullable().optional(),
  /** How many times a dead owner's session was resumed (once at most); absent: never. */
  resumed: z.number().int().nonnegative().optional(),
  started_at: z.string(),
  result: z.union([z.object({ ok: StoredOutcome }), z.object({ error: StoredError })]).nullable(),
});
/** Parsed {@link ExecutionMarker}. */
export type ExecutionMarker = z.infer<typeof ExecutionMarker>;

/** The owner fields of a marker this process writes: its pid and who it is. */
export function ownedByThisProcess(): { owner_pid: number; owner: ProcessIdentity } {
  return { owner_pid: process.pid, owner: currentProcessIdentity() };
}

/**
 * Whether a marker's owner still runs the execution, judged by evidence that cannot name another process
 * (see {@link processRuns}); `false` for this very process, which has no run of it in flight (a repeated call
 * would have joined that run).
 */
export function ownerRuns(marker: ExecutionMarker): boolean {
  const me = currentProcessIdentity();
  const owner = marker.owner;
  if (
    marker.owner_pid === process.pid &&
    (owner === undefined || (owner.host === me.host && owner.start_ticks === me.start_ticks))
  ) {
    return false;
  }
  return processRuns(marker.owner_pid, marker.owner);
}

/**
 * Where an execution whose marker holds no result stands, for a dispatch that finds it:
 * - `running`: its owner still runs it (try again once it ends);
 * - `never_started`: its owner is gone and had not started the agent (this dispatch may start it);
 * - `superseded`: taken over (`takeover`) from an owner that still exists and had not started the agent: a
 *   frozen owner that wakes would go on to start it, so it is not started here too (answer
 *   {@link supersededBeforeStart});
 * - `orphaned`: its owner is gone and the agent may have started (stop what is left; never start it afresh).
 *
 * With `takeover` (the store says the owner's lease passed: `AgentDispatchRequest.takeover`) the owner is
 * gone whatever its pid shows.
 */
export function judgeOpenMarker(
  marker: ExecutionMarker,
  takeover: boolean | undefined,
): "running" | "never_started" | "superseded" | "orphaned" {
  const runs = ownerRuns(marker);
  if (runs && takeover !== true) return "running";
  if (marker.spawning) return "orphaned";
  return runs ? "superseded" : "never_started";
}

/**
 * The answer for a `superseded` execution (see {@link judgeOpenMarker}): `interrupted`, with nothing started,
 * so that another attempt follows.
 */
export function supersededBeforeStart(marker: ExecutionMarker): AgentDispatchOutcome {
  return {
    outcome: "interrupted",
    exit_code: null,
    summary: `the process that claimed this execution (pid ${marker.owner_pid}) lost its card before starting the agent; it was not started again here`,
  };
}

/** What a marker's `result` holds once the run ended. */
export type StoredDispatchResult = NonNullable<ExecutionMarker["result"]>;

/** The end of a dispatch as a marker stores it. */
export function storeDispatchResult(result: Result<AgentDispatchOutcome, PortError>): StoredDispatchResult {
  if (result.isOk()) return { ok: { ...result.value } };
  const { kind, code, message, detail } = result.error;
  return { error: { kind, code, message, detail: { ...detail } } };
}

/** A stored end read back as the dispatch's answer (absent optional fields left out, not `undefined`). */
export function replayDispatchResult(stored: StoredDispatchResult): Result<AgentDispatchOutcome, PortError> {
  if (!("ok" in stored)) return err(stored.error as PortError);
  const outcome: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(stored.ok)) if (value !== undefined) outcome[key] = value;
  return ok(outcome as unknown as AgentDispatchOutcome);
}

/** Execution ids become file names: letters, digits, `.`, `_`, `-` only (UUIDs fit). */
export const EXECUTION_ID_PATTERN = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;

/** Where markers live when the dispatcher's `state_dir` is not set: `<os tmpdir>/rungate-executions`. */
export function defaultStateDir(): string {
  return join(tmpdir(), "rungate-executions");
}

/** The name prefix of the temporary directory each run's context file lives in (`mkdtemp`). */
export const CONTEXT_DIR_PREFIX = "rungate-context-";

/**
 * Removes the context directory a marker records. Only a directory named like one the dispatcher makes is
 * touched, whatever the marker says.
 */
export async function removeContextDir(marker: ExecutionMarker): Promise<void> {
  const dir = marker.context_dir;
  if (dir === null || !basename(dir).startsWith(CONTEXT_DIR_PREFIX)) return;
  await rm(dir, { recursive: true, force: true });
}

/** Where a marker is written aside before its rename: `<marker>.<pid>.<uuid>.tmp`. */
function tempMarkerPath(path: string): string {
  return `${path}.${process.pid}.${randomUUID()}.tmp`;
}

/** Whether a file name in a state dir is a marker written aside ({@link tempMarkerPath}) and never renamed. */
export function isTempMarkerName(name: string): boolean {
  return /\.json\.\d+\.[0-9a-f-]+\.tmp$/.test(name);
}

/** Whether a file name in a state dir is a marker's: `<execution_id>.json`. */
export function isMarkerName(name: string): boolean {
  return name.endsWith(".json") && EXECUTION_ID_PATTERN.test(name.slice(0, -".json".length));
}

/** The marker file of `executionId` in `dir`. */
export function markerPath(dir: string, executionId: string): string {
  return join(dir, `${executionId}.json`);
}

/** The marker at `path`, or `null` when there is none. Throws when it exists but does not parse. */
export async function readMarker(path: string): Promise<ExecutionMarker | null> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
  const parsed = ExecutionMarker.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`execution marker ${path} is not readable: ${parsed.error.message}`);
  return parsed.data;
}

async function writeTemp(path: string, marker: ExecutionMarker): Promise<string> {
  const temp = tempMarkerPath(path);
  await writeFile(temp, `${JSON.stringify(marker, null, 2)}\n`, { mode: 0o600 });
  return temp;
}

/**
 * Creates the marker only if none exists (a hard link is atomic and exclusive, so two processes racing for
 * one execution id cannot both win). Answers whether this call created it.
 */
export async function claimMarker(path: string, marker: ExecutionMarker): Promise<boolean> {
  await mkdir(dirname(path), { recursive: true });
  const temp = await writeTemp(path, marker);
  try {
    await link(temp, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  } finally {
    await rm(temp, { force: true });
  }
}

/** {@link writeMarker}, synchronously: for a write that must be done before the next statement runs. */
export function writeMarkerSync(path: string, marker: ExecutionMarker): void {
  const temp = tempMarkerPath(path);
  writeFileSync(temp, `${JSON.stringify(marker, null, 2)}\n`, { mode: 0o600 });
  renameSync(temp, path);
}

/** Replaces the marker atomically (write aside, then rename). */
export async function writeMarker(path: string, marker: ExecutionMarker): Promise<void> {
  const temp = await writeTemp(path, marker);
  await rename(temp, path);
}

/** Removes the marker (an execution whose agent never started may be dispatched again). */
export async function removeMarker(path: string): Promise<void> {
  await rm(path, { force: true });
}
