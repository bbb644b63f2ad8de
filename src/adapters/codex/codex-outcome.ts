import { err, ok, type Result } from "neverthrow";
import type { AgentOutcome, AgentTerminalReason } from "../../core/schemas/agent-execution.js";
import {
  agentStartFailure,
  dispatchCancelled,
  dispatcherFailure,
  dispatchTimedOut,
} from "../../internal/agent-dispatch/dispatch-errors.js";
import type { Redactor } from "../../internal/child-process/redact.js";
import type { AgentDispatchOutcome } from "../../ports/agent-dispatcher.js";
import type { PortError } from "../../ports/port-error.js";
import type { RunEnd, RunLimits, RunReport } from "./codex-run.js";
import type { UsageMeter } from "./usage-meter.js";

/** What turning a report into the dispatch's answer needs. */
export interface OutcomeContext {
  readonly adapter: string;
  /** The program started, as shown in a start failure. */
  readonly program: string;
  readonly limits: RunLimits;
  readonly meter: UsageMeter;
  readonly redactor: Redactor;
  readonly summary_cap_bytes: number;
}

/** `text` cut to at most `cap` UTF-8 bytes (never inside a character), marked when cut. */
export function capBytes(text: string, cap: number): string {
  if (Buffer.byteLength(text) <= cap) return text;
  let out = "";
  let bytes = 0;
  for (const char of text) {
    const size = Buffer.byteLength(char);
    if (bytes + size > cap - 4) break;
    out += char;
    bytes += size;
  }
  return `${out} […]`;
}

/** The terminal reason and the sentence that opens the summary, per way of ending. */
const ENDINGS: { readonly [E in RunEnd]: readonly [AgentTerminalReason, string] } = {
  completed: ["completed", "Codex completed its turn; rungate reads what it committed from git"],
  failed: ["error", "Codex's turn failed"],
  exited: ["error", "the codex process ended with an error"],
  ended: ["error", "Codex ended without completing its turn"],
  not_started: ["error", "codex could not be started"],
  dispatcher_failed: ["error", "rungate could not keep its records and stopped Codex"],
  budget: ["budget", "rungate stopped Codex: it passed this attempt's token budget"],
  max_turns: ["max_turns", "rungate stopped Codex: it passed this attempt's turns"],
  no_credential: ["no_credential", "Codex has no usable API key (its requests were refused) and was stopped"],
  timeout: ["timeout", "Codex ran out of time"],
  inactivity: ["timeout", "Codex was stopped as hung"],
  cancelled: ["cancelled", "the dispatch was cancelled"],
};

/**
 * The dispatch's answer for a finished thread-run: `committed` ("Codex says it is done": the orchestrator reads
 * what it really committed from git) for a completed turn, `agent_error` with the terminal reason for a run
 * that failed or that rungate stopped for a limit or a missing key; the port errors `timeout` (wall time or
 * inactivity) and `cancelled`; `port_failure` when `codex` could not start or the markers could not be kept.
 * Every text is redacted.
 */
export function dispatchResult(
  report: RunReport,
  ctx: OutcomeContext,
): Result<AgentDispatchOutcome, PortError> {
  const redact = (text: string) => ctx.redactor.redact(text);
  const [terminal_reason, sentence] = ENDINGS[report.end];
  const detail = report.detail === null ? "" : redact(report.detail);
  const finalMessage = report.final_message === null ? null : redact(report.final_message);
  const tail = capBytes([sentence, detail].filter((part) => part !== "").join(": "), ctx.summary_cap_bytes);

  switch (report.end) {
    case "timeout":
      return err(dispatchTimedOut(ctx.limits.timeout_ms, tail));
    case "inactivity":
      return err(dispatchTimedOut(ctx.limits.inactivity_timeout_ms, tail));
    case "cancelled":
      return err(dispatchCancelled(tail));
    case "not_started":
      return err(agentStartFailure(ctx.adapter, redact(ctx.program), report.start_code ?? "unknown", detail));
    case "dispatcher_failed":
      return err(dispatcherFailure(ctx.adapter, "dispatch", detail));
    default:
      break;
  }
  const outcome: AgentOutcome = report.end === "completed" ? "committed" : "agent_error";
  const lastWords =
    finalMessage === null || finalMessage === "" ? "" : `\n--- last message ---\n${finalMessage}`;
  return ok({
    outcome,
    exit_code: report.exit_code,
    summary: capBytes(`${tail}${lastWords}`, ctx.summary_cap_bytes),
    session_id: report.thread_id,
    usage: ctx.meter.usage(),
    // Codex reports tokens, never dollars.
    cost_usd: null,
    num_turns: ctx.meter.turns(),
    terminal_reason,
    permission_denials: report.denials.map((denial) => ({
      tool: capBytes(redact(denial.tool), 200),
      path: denial.path === null ? null : capBytes(redact(denial.path), 4_000),
      reason: capBytes(redact(denial.reason), 1_900),
    })),
    final_message: finalMessage === null ? null : capBytes(finalMessage, ctx.summary_cap_bytes),
  });
}
