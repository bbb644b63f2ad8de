import { homedir } from "node:os";
import { join } from "node:path";
import type { Result } from "neverthrow";
import { NO_AGENT_LIMITS } from "../../core/policy/agent-budget.js";
import {
  type ExecutionMarker,
  removeMarker,
  storeDispatchResult,
  writeMarker,
  writeMarkerSync,
} from "../../internal/agent-dispatch/execution-markers.js";
import type { Redactor } from "../../internal/child-process/redact.js";
import type { AgentDispatchOptions, AgentDispatchOutcome } from "../../ports/agent-dispatcher.js";
import type { PortError } from "../../ports/port-error.js";
import type { CodexDispatcherConfig } from "./codex-dispatcher-config.js";
import type { CodexUsage } from "./codex-events.js";
import { dispatchResult } from "./codex-outcome.js";
import type { CodexDispatchRequest } from "./codex-request.js";
import { findRolloutFile, type RolloutReader, rolloutReader } from "./codex-rollout.js";
import { type RunLimits, runThread } from "./codex-run.js";
import type { CodexSetup } from "./codex-setup.js";
import { progressEmitter } from "./progress-emitter.js";
import { type UsageMeter, usageMeter } from "./usage-meter.js";

/** How a thread-run begins: a new thread, or one resumed with a prompt. */
export type AttemptStart =
  | { readonly kind: "new"; readonly prompt: string }
  | {
      readonly kind: "resume";
      readonly thread_id: string;
      readonly prompt: string;
      /** Whether this execution started the thread (what it used before is then this execution's too). */
      readonly own_thread: boolean;
    };

/** Everything one attempt needs: the request, the marker that holds it, the client, how it begins. */
export interface Attempt {
  readonly settings: CodexDispatcherConfig;
  readonly request: CodexDispatchRequest;
  readonly call: AgentDispatchOptions;
  /** The wall time the config and the call allow (the request's own may shorten it). */
  readonly timeout_ms: number;
  /** The marker file, and the marker as it stands (claimed, or taken over). */
  readonly path: string;
  readonly marker: ExecutionMarker;
  readonly setup: CodexSetup;
  readonly env: Readonly<Record<string, string>>;
  readonly redactor: Redactor;
  readonly start: AttemptStart;
}

/** Records the end of a run in its marker, and answers it. */
export async function finishMarker(
  path: string,
  marker: ExecutionMarker,
  result: Result<AgentDispatchOutcome, PortError>,
): Promise<Result<AgentDispatchOutcome, PortError>> {
  await writeMarker(path, { ...marker, result: storeDispatchResult(result) });
  return result;
}

/**
 * Runs one attempt of Codex, from the marker that holds it to the recorded end: the limits resolved (the
 * request's, else the config's), the resumed thread's usage so far read as the baseline, the marker kept
 * (`spawning` before `codex` starts, the thread id once named), the end recorded. A thread Codex has no record
 * of is replaced by a new one, once. A `codex` that could not start leaves no marker (it may run later).
 */
export async function runAttempt(attempt: Attempt): Promise<Result<AgentDispatchOutcome, PortError>> {
  const { settings, request, setup, start, path } = attempt;
  const limits = request.limits ?? NO_AGENT_LIMITS;
  const runLimits: RunLimits = {
    timeout_ms: Math.min(attempt.timeout_ms, limits.timeout_ms ?? Number.POSITIVE_INFINITY),
    inactivity_timeout_ms: limits.inactivity_timeout_ms ?? settings.inactivity_timeout_ms,
    max_tokens: limits.max_tokens ?? settings.default_limits.max_tokens,
    max_turns: limits.max_turns ?? settings.default_limits.max_turns,
  };
  const codexHome = attempt.env.CODEX_HOME ?? join(attempt.env.HOME ?? homedir(), ".codex");
  const emit = progressEmitter(
    attempt.call,
    request.execution_id,
    attempt.redactor,
    settings.progress_line_cap,
  );

  // A resumed thread's totals include what came before: read where its session log stands now. What the
  // thread used before counts for this attempt only when this execution started the thread.
  let rollout: RolloutReader | null = null;
  let before: CodexUsage[] = [];
  if (start.kind === "resume") {
    const file = await findRolloutFile(codexHome, start.thread_id).catch(() => null);
    if (file !== null) {
      rollout = rolloutReader(file);
      before = await rollout.readNew().catch(() => [] as CodexUsage[]);
    }
  }
  const own = start.kind === "resume" && start.own_thread;
  let meter = usageMeter(own ? null : (before.at(-1) ?? null));
  if (own) for (const total of before) meter.observeResponse(total);

  if (limits.max_cost_usd !== null) {
    emit({
      message: `rungate: Codex reports no cost, so max_cost_usd (${limits.max_cost_usd}) cannot be enforced; the attempt is held to its token and time limits`,
    });
  }
  const card = request.assignment.card_id;
  emit({
    message:
      start.kind === "new"
        ? `rungate: starting Codex for card ${card} on ${request.assignment.feature_branch}`
        : `rungate: resuming Codex thread ${start.thread_id} for card ${card}`,
  });

  let running = attempt.marker;
  const began = Date.now();
  const runOnce = (current: AttemptStart, currentMeter: UsageMeter, currentRollout: RolloutReader | null) =>
    runThread({
      thread:
        current.kind === "new"
          ? setup.client.startThread(setup.thread_settings)
          : setup.client.resumeThread(current.thread_id, setup.thread_settings),
      prompt: current.prompt,
      execution_id: request.execution_id,
      worktree: request.assignment.worktree_path ?? "",
      writable: setup.roots,
      // A second run (below) gets what is left of the wall time, not a new one.
      limits: { ...runLimits, timeout_ms: Math.max(1, runLimits.timeout_ms - (Date.now() - began)) },
      kill_grace_ms: settings.kill_grace_ms,
      usage_poll_ms: settings.usage_poll_ms,
      codex_home: codexHome,
      meter: currentMeter,
      rollout: currentRollout,
      signal: attempt.call.signal,
      beforeStart() {
        if (running.spawning) return;
        // Synchronous, right before the SDK starts `codex`: a crash after this point is a started agent.
        running = { ...running, spawning: true };
        writeMarkerSync(path, running);
      },
      async onThreadStarted(threadId) {
        if (running.session_id === threadId) return;
        running = { ...running, session_id: threadId };
        await writeMarker(path, running);
      },
      emit,
    });

  let report = await runOnce(start, meter, rollout);
  if (
    start.kind === "resume" &&
    report.end === "exited" &&
    report.thread_id === null &&
    /no rollout found/i.test(report.detail ?? "")
  ) {
    // Codex keeps threads in CODEX_HOME: one made elsewhere (another machine, another home) cannot be resumed.
    // Nothing ran, and the task carries what the thread was for: a new thread takes it.
    emit({
      message: `rungate: Codex has no record of thread ${start.thread_id}; starting a new thread with the task`,
    });
    meter = usageMeter(null);
    report = await runOnce({ kind: "new", prompt: request.task }, meter, null);
  }
  const result = dispatchResult(report, {
    adapter: settings.name,
    program: settings.codex_path_override ?? "codex",
    limits: runLimits,
    meter,
    redactor: attempt.redactor,
    summary_cap_bytes: settings.summary_cap_bytes,
  });
  emit({
    message: `rungate: Codex ${report.end === "completed" ? "finished its turn" : `ended: ${report.end}`}`,
  });
  if (report.end === "not_started") {
    // Nothing ran: the execution may be dispatched again.
    await removeMarker(path).catch(() => undefined);
    return result;
  }
  return finishMarker(path, running, result);
}
