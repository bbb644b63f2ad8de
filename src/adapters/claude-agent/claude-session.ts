import type { Options } from "@anthropic-ai/claude-agent-sdk";
import { usageTokens } from "../../core/policy/agent-budget.js";
import { parseClaudeMessage, type ResultMessage } from "./claude-messages.js";
import { createProgressReader, type ProgressEntry } from "./claude-progress.js";
import type { ClaudeQuery, ClaudeQueryHandle } from "./claude-query.js";
import type { RecordedDenial, SessionReport } from "./claude-result.js";
import type { ClaudeSpawner } from "./claude-spawn.js";
import type { PathGuard } from "./path-guard.js";
import { createToolPermissions, type ToolPermissions } from "./tool-permissions.js";
import { createUsageTally } from "./usage-tally.js";

/** Why the dispatcher stopped a session from outside. */
export type SessionStop = "timeout" | "inactivity" | "cancelled";

/** How a session ended: by itself (or for its token budget), or stopped from outside. */
export type SessionEnd =
  | { readonly kind: "ended"; readonly report: SessionReport }
  | {
      readonly kind: "stopped";
      readonly cause: SessionStop;
      readonly after_ms: number;
      readonly report: SessionReport;
    };

/** What one session needs. */
export interface SessionPlan {
  readonly query: ClaudeQuery;
  readonly prompt: string;
  /** The session's id (as started, resumed or forked). */
  readonly session_id: string;
  readonly worktree: string;
  readonly guard: PathGuard;
  readonly spawner: ClaudeSpawner;
  /** The SDK options of the session, given the callbacks and the abort controller the session owns. */
  readonly options: (owned: {
    readonly abortController: AbortController;
    readonly permissions: ToolPermissions;
    readonly spawn: NonNullable<Options["spawnClaudeCodeProcess"]>;
  }) => Options;
  readonly wall_ms: number | null;
  readonly inactivity_ms: number | null;
  readonly max_tokens: number | null;
  readonly kill_grace_ms: number;
  readonly signal: AbortSignal | undefined;
  /** Each progress entry, before redaction. */
  readonly progress: (entry: ProgressEntry) => void;
}

/** How long Claude Code may take to exit after its result before it is stopped (its result is kept). */
const LINGER_MS = 15_000;

/** What a progress line says when the dispatcher stops a session. */
const HALT_REASONS = {
  timeout: "out of time",
  inactivity: "no message for too long",
  cancelled: "cancelled",
  max_tokens: "token budget spent",
  linger: "it did not exit after its result",
} as const;

/** Time given to the SDK's stream to end after the process group was told to stop, beyond the kill grace. */
const DRAIN_MS = 2_000;

/**
 * Runs one Claude Code session through the SDK's `query` and reports how it ended. Enforces what the SDK
 * does not: wall time, inactivity (no message from the SDK and no permission question for that long) and the
 * token budget (input plus output tokens of the assistant messages, counted by the dispatcher); a stop ends
 * the whole process group (SIGTERM, then SIGKILL after the grace). Never rejects.
 */
export async function runSession(plan: SessionPlan): Promise<SessionEnd> {
  const started = performance.now();
  const abortController = new AbortController();
  const tally = createUsageTally();
  const reader = createProgressReader(plan.worktree);
  const denials: RecordedDenial[] = [];
  const authErrors: string[] = [];
  let result: ResultMessage | null = null;
  let lastText: string | null = null;
  let failure: string | null = null;
  let stop: SessionStop | "max_tokens" | "linger" | null = null;
  // Set once the session is over: nothing may stop (or signal) its process group after that.
  let over = false;
  let sessionId = plan.session_id;
  let stopped: () => void = () => {};
  const whenStopped = new Promise<void>((resolve) => {
    stopped = resolve;
  });

  const halt = (cause: SessionStop | "max_tokens" | "linger") => {
    if (stop !== null || over) return;
    stop = cause;
    plan.progress({ message: `rungate: stopping the session (${HALT_REASONS[cause]})` });
    abortController.abort();
    plan.spawner.stop(plan.kill_grace_ms);
    setTimeout(stopped, plan.kill_grace_ms + DRAIN_MS).unref();
  };
  let idle: NodeJS.Timeout | undefined;
  let linger: NodeJS.Timeout | undefined;
  const touch = () => {
    if (plan.inactivity_ms === null || stop !== null || over) return;
    clearTimeout(idle);
    idle = setTimeout(() => halt("inactivity"), plan.inactivity_ms);
  };
  const wall = plan.wall_ms === null ? undefined : setTimeout(() => halt("timeout"), plan.wall_ms);
  const onAbort = () => halt("cancelled");
  plan.signal?.addEventListener("abort", onAbort, { once: true });
  touch();

  const permissions = createToolPermissions(plan.guard, {
    touch,
    onDenial: (denial) => {
      denials.push(denial);
      plan.progress({
        message: `rungate: denied ${denial.tool}${denial.path === null ? "" : ` ${denial.path}`}: ${denial.reason}`,
      });
    },
  });

  const consume = async (handle: ClaudeQueryHandle) => {
    try {
      for await (const raw of handle) {
        // What the SDK still hands over once the session is over (after a stop) is not reported.
        if (over) break;
        touch();
        const message = parseClaudeMessage(raw);
        for (const entry of reader.read(message)) plan.progress(entry);
        if (message.type === "system") sessionId = message.session_id || sessionId;
        if (message.type === "auth_status" && message.error !== undefined)
          authErrors.push(`auth_status:${message.error}`);
        if (message.type === "assistant") {
          if (message.error !== undefined) authErrors.push(message.error);
          const text = message.message.content.flatMap((b) =>
            b.type === "text" && typeof b.text === "string" ? [b.text] : [],
          );
          if (message.parent_tool_use_id == null && text.length > 0) lastText = text.join("\n");
          const usage = message.message.usage;
          if (usage && tally.add(message.message.id, usage)) {
            const now = tally.usage();
            // Stopped before the usage is reported: a caller watching it (the orchestrator's budget guard)
            // would otherwise cancel first, and the end would read as a cancel instead of the budget.
            if (plan.max_tokens !== null && usageTokens(now) > plan.max_tokens) halt("max_tokens");
            plan.progress({
              message: `claude: ${now.input_tokens} input / ${now.output_tokens} output tokens so far`,
              item: { kind: "usage", usage: now, cost_usd: null, num_turns: tally.responses() },
            });
          }
        }
        if (message.type === "result" && result === null) {
          result = message;
          sessionId = message.session_id ?? sessionId;
          // The session is over; a Claude Code that does not exit soon after is stopped, its result kept.
          linger = setTimeout(() => halt("linger"), LINGER_MS);
        }
      }
    } catch (error) {
      // After a result, an error is the SDK reporting that result's error again; without one it is the end.
      if (result === null) failure = error instanceof Error ? error.message : String(error);
    }
  };
  let handle: ClaudeQueryHandle | undefined;
  try {
    if (plan.signal?.aborted) halt("cancelled");
    else {
      handle = plan.query({
        prompt: plan.prompt,
        options: plan.options({ abortController, permissions, spawn: (o) => plan.spawner.spawn(o) }) as never,
      });
      await Promise.race([consume(handle), whenStopped]);
    }
  } catch (error) {
    // query() itself threw (options it refused, a spawn that failed).
    failure = error instanceof Error ? error.message : String(error);
  } finally {
    over = true;
    handle?.close?.();
    clearTimeout(wall);
    clearTimeout(idle);
    clearTimeout(linger);
    plan.signal?.removeEventListener("abort", onAbort);
    plan.spawner.reap();
  }
  // A stop explains the end better than the SDK's "aborted".
  if (stop !== null) failure = null;
  const finished = result as ResultMessage | null;
  const exit = plan.spawner.exit();
  const stderr = plan.spawner.stderr().trim();
  const report: SessionReport = {
    session_id: sessionId,
    result: finished,
    stopped_for_tokens: stop === "max_tokens",
    failure:
      failure === null ? null : stderr === "" || failure.includes(stderr) ? failure : `${failure}\n${stderr}`,
    usage: tally.responses() > 0 ? tally.usage() : null,
    responses: tally.responses(),
    last_text: lastText,
    auth_errors: authErrors,
    denials,
    exit_code: stop === null && exit?.signal === null ? exit.code : null,
  };
  const cause = stop as SessionStop | "max_tokens" | "linger" | null;
  // A session that reached its result ended, whatever stopped its process afterwards (but a cancel).
  if (
    cause === null ||
    cause === "max_tokens" ||
    cause === "linger" ||
    (finished !== null && cause !== "cancelled")
  ) {
    return { kind: "ended", report };
  }
  return { kind: "stopped", cause, after_ms: Math.round(performance.now() - started), report };
}
