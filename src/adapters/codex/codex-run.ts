import type { AgentPermissionDenial } from "../../core/schemas/agent-execution.js";
import type { CodexThreadLike } from "./codex-client.js";
import { type CodexEvent, isRetryNotice, parseCodexEvent } from "./codex-events.js";
import { type ProgressDraft, progressOf } from "./codex-progress.js";
import { findRolloutFile, type RolloutReader, rolloutReader } from "./codex-rollout.js";
import { isCredentialError } from "./credential-errors.js";
import { killProcessesOfExecution } from "./orphans.js";
import { denialsOf } from "./sandbox-denials.js";
import type { UsageMeter } from "./usage-meter.js";

/** Why rungate stopped Codex, or how its thread-run ended by itself. */
export type RunEnd =
  /** `turn.completed`: Codex says the task is done. */
  | "completed"
  /** `turn.failed`. */
  | "failed"
  /** The `codex` process exited non-zero before its turn completed (the SDK's error). */
  | "exited"
  /** The stream ended without the turn completing or failing. */
  | "ended"
  /** The `codex` process could not be started. */
  | "not_started"
  /** rungate could not keep its records (the marker); Codex was stopped. */
  | "dispatcher_failed"
  | "budget"
  | "max_turns"
  | "no_credential"
  | "timeout"
  | "inactivity"
  | "cancelled";

/** What one thread-run came to. Texts are raw: the caller redacts them. */
export interface RunReport {
  readonly end: RunEnd;
  readonly thread_id: string | null;
  /** The last `agent_message`. */
  readonly final_message: string | null;
  /** What ended it, in Codex's words or rungate's (the turn's error, the exit error, the limit passed). */
  readonly detail: string | null;
  /** The exit code, when the `codex` process exited by itself and said so. */
  readonly exit_code: number | null;
  /** The system error code of a failed start (`ENOENT`, …). */
  readonly start_code: string | null;
  readonly denials: readonly AgentPermissionDenial[];
}

/** What a thread-run is held to. */
export interface RunLimits {
  readonly timeout_ms: number;
  readonly inactivity_timeout_ms: number;
  readonly max_tokens: number | null;
  readonly max_turns: number | null;
}

/** Everything {@link runThread} needs. */
export interface RunSpec {
  readonly thread: CodexThreadLike;
  readonly prompt: string;
  readonly execution_id: string;
  readonly worktree: string;
  /** Every directory Codex may write (the worktree, the git dir, temporary directories). */
  readonly writable: readonly string[];
  readonly limits: RunLimits;
  readonly kill_grace_ms: number;
  readonly usage_poll_ms: number;
  /** Where Codex keeps its session logs (`CODEX_HOME`). */
  readonly codex_home: string;
  readonly meter: UsageMeter;
  /** A reader already positioned in the thread's session log (a resumed thread), if any. */
  readonly rollout: RolloutReader | null;
  readonly signal: AbortSignal | undefined;
  /** Called synchronously right before the `codex` process is started (the marker records it). */
  beforeStart(): void;
  /** Called when the thread id arrives, before the next event is read (the marker records it). */
  onThreadStarted(threadId: string): Promise<void>;
  /** One progress line (the caller redacts it). */
  emit(draft: ProgressDraft): void;
}

/** The most permission denials kept (the execution's own bound). */
const MAX_DENIALS = 50;
/** How long to wait for the stream to end after killing what is left of Codex. */
const AFTER_KILL_WAIT_MS = 2_000;

const GAVE_UP = Symbol("gave up");

/** The exit code in the SDK's error ("Codex Exec exited with code 2: …"); `null` for a signal or none. */
function exitCodeOf(message: string): number | null {
  const code = /exited with code (\d+)/.exec(message)?.[1];
  return code === undefined ? null : Number(code);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref?.());

/**
 * Runs one thread-run (one `codex exec`) and holds it to its limits: wall time, inactivity (no event for
 * `inactivity_timeout_ms`; Codex's retry notices do not count), tokens and model requests (from
 * `turn.completed` and from the session log while it runs), a missing key (the first credential error stops
 * it: Codex would retry), and the caller's signal. Stopping aborts the SDK's signal (SIGTERM to `codex`);
 * whatever still runs `kill_grace_ms` later is killed (SIGKILL, found by its execution id). Never throws for
 * what Codex does; answers how the run ended.
 */
export async function runThread(spec: RunSpec): Promise<RunReport> {
  const { limits, meter } = spec;
  const controller = new AbortController();
  let stopped: { end: RunEnd; detail: string } | null = null;
  let giveUp: (value: typeof GAVE_UP) => void = () => undefined;
  const gaveUp = new Promise<typeof GAVE_UP>((resolve) => {
    giveUp = resolve;
  });
  let settled = false;

  let threadId: string | null = null;
  let finalMessage: string | null = null;
  let turnCompleted = false;
  let turnFailure: string | null = null;
  let lastError: string | null = null;
  const denials: AgentPermissionDenial[] = [];

  const stop = (end: RunEnd, detail: string) => {
    if (stopped !== null) return;
    stopped = { end, detail };
    controller.abort();
    // The SDK kills `codex` with SIGTERM on abort; what ignores it is killed `kill_grace_ms` later, and the
    // stream is given up on shortly after that (a process that cannot be killed must not hold the dispatch).
    void sleep(spec.kill_grace_ms)
      .then(() => (settled ? 0 : killProcessesOfExecution(spec.execution_id)))
      .then(() => sleep(AFTER_KILL_WAIT_MS))
      .then(() => giveUp(GAVE_UP));
  };

  const onAbort = () => stop("cancelled", "the dispatch was cancelled");
  if (spec.signal?.aborted) onAbort();
  spec.signal?.addEventListener("abort", onAbort, { once: true });
  const wall = setTimeout(
    () => stop("timeout", `Codex ran past the attempt's time limit (${limits.timeout_ms} ms)`),
    limits.timeout_ms,
  );
  let idle: ReturnType<typeof setTimeout> | undefined;
  const touch = () => {
    clearTimeout(idle);
    idle = setTimeout(
      () =>
        stop(
          "inactivity",
          `Codex reported nothing for ${limits.inactivity_timeout_ms} ms (inactivity limit)`,
        ),
      limits.inactivity_timeout_ms,
    );
  };

  const checkBudget = () => {
    const tokens = meter.tokens();
    if (limits.max_tokens !== null && tokens > limits.max_tokens) {
      stop("budget", `Codex used ${tokens} tokens, past this attempt's max_tokens (${limits.max_tokens})`);
    }
    const turns = meter.turns() ?? 0;
    if (limits.max_turns !== null && turns > limits.max_turns) {
      stop("max_turns", `Codex took ${turns} turns, past this attempt's max_turns (${limits.max_turns})`);
    }
  };
  const reportUsage = () => {
    // The limit is checked first, so that a listener stopping the attempt on this report finds it stopped.
    checkBudget();
    const usage = meter.usage();
    if (usage === null) return;
    const num_turns = meter.turns();
    spec.emit({
      message: `codex usage: ${usage.input_tokens + usage.output_tokens} tokens (${usage.input_tokens} in, ${usage.cached_input_tokens} of them cached, ${usage.output_tokens} out), ${num_turns ?? 0} turns`,
      item: { kind: "usage", usage, cost_usd: null, num_turns },
    });
  };

  let rollout = spec.rollout;
  // One read at a time: the interval skips a tick while one runs; the last read waits for it.
  let polling: Promise<void> | null = null;
  const readLog = async () => {
    try {
      if (rollout === null && threadId !== null) {
        const file = await findRolloutFile(spec.codex_home, threadId);
        if (file !== null) rollout = rolloutReader(file);
      }
      if (rollout === null) return;
      let moved = false;
      for (const total of await rollout.readNew()) moved = meter.observeResponse(total) || moved;
      if (moved) {
        touch();
        reportUsage();
      }
    } catch {
      // The session log is best effort (see codex-rollout.ts).
    }
  };
  const poll = () => {
    polling ??= readLog().finally(() => {
      polling = null;
    });
    return polling;
  };
  const poller = setInterval(() => void poll(), spec.usage_poll_ms);

  const handle = async (event: CodexEvent) => {
    if (!(event.type === "error" && isRetryNotice(event.message))) touch();
    for (const draft of progressOf(event, spec.worktree)) spec.emit(draft);
    switch (event.type) {
      case "thread.started":
        threadId = event.thread_id;
        await spec.onThreadStarted(event.thread_id);
        return;
      case "turn.completed":
        meter.observeTurn(event.usage);
        turnCompleted = true;
        reportUsage();
        return;
      case "turn.failed":
        turnFailure = event.error.message;
        if (isCredentialError(turnFailure)) stop("no_credential", turnFailure);
        return;
      case "error":
        lastError = event.message;
        if (isCredentialError(event.message)) stop("no_credential", event.message);
        return;
      case "item.completed": {
        const { item } = event;
        if (item.type === "agent_message") finalMessage = item.text;
        if (item.type === "error" && isCredentialError(item.message)) stop("no_credential", item.message);
        const found = denialsOf(item, spec.worktree, spec.writable);
        denials.push(...found.slice(0, Math.max(0, MAX_DENIALS - denials.length)));
        return;
      }
      default:
        return;
    }
  };

  const report = () => ({
    thread_id: threadId,
    final_message: finalMessage,
    denials,
    start_code: null,
    exit_code: null,
  });

  let exitError: { message: string; code: string | null } | null = null;
  let sawEvent = false;
  try {
    touch();
    if (stopped === null) {
      try {
        spec.beforeStart();
      } catch (error) {
        stop("dispatcher_failed", `could not record the start: ${String(error)}`);
        return {
          ...report(),
          end: "dispatcher_failed",
          detail: `could not record the start: ${String(error)}`,
        };
      }
      const run = await spec.thread.runStreamed(spec.prompt, { signal: controller.signal });
      const events = run.events;
      for (;;) {
        const next = await Promise.race([events.next(), gaveUp]);
        if (next === GAVE_UP || next.done) break;
        sawEvent = true;
        try {
          await handle(parseCodexEvent(next.value));
        } catch (error) {
          // Only rungate's own bookkeeping throws here (the marker): Codex must not run on unrecorded.
          stop("dispatcher_failed", `could not record the thread: ${String(error)}`);
        }
      }
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException | undefined)?.code;
    exitError = {
      message: error instanceof Error ? error.message : String(error),
      code: typeof code === "string" ? code : null,
    };
  } finally {
    settled = true;
    clearTimeout(wall);
    clearTimeout(idle);
    clearInterval(poller);
    spec.signal?.removeEventListener("abort", onAbort);
  }
  // Stopped: what `codex` left running (it may ignore SIGTERM, or have children) goes now. Not stopped: the
  // last responses may have been logged after the last poll.
  if (stopped !== null) await killProcessesOfExecution(spec.execution_id);
  else {
    await polling;
    await poll();
    // That read counts as activity and restarts the inactivity timer: nothing is left to time.
    clearTimeout(idle);
  }

  const base = report();
  const end = stopped as { end: RunEnd; detail: string } | null;
  if (end !== null) return { ...base, end: end.end, detail: end.detail, exit_code: null };
  const exitCode = exitError === null ? 0 : exitCodeOf(exitError.message);
  if (turnCompleted) return { ...base, end: "completed", detail: null, exit_code: exitCode };
  if (exitError !== null && !sawEvent && exitError.code !== null && exitError.code !== "ABORT_ERR") {
    return {
      ...base,
      end: "not_started",
      detail: exitError.message,
      exit_code: null,
      start_code: exitError.code,
    };
  }
  if (turnFailure !== null) return { ...base, end: "failed", detail: turnFailure, exit_code: exitCode };
  if (exitError !== null) return { ...base, end: "exited", detail: exitError.message, exit_code: exitCode };
  return { ...base, end: "ended", detail: lastError, exit_code: exitCode };
}
