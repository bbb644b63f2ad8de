import {
  type AgentOutcome,
  type AgentPermissionDenial,
  type AgentTerminalReason,
  type AgentUsage,
  MAX_PERMISSION_DENIALS,
} from "../../core/schemas/agent-execution.js";
import type { Redactor } from "../../internal/child-process/redact.js";
import type { AgentDispatchOutcome } from "../../ports/agent-dispatcher.js";
import { modelUsageTotals, type ResultMessage } from "./claude-messages.js";
import { cap } from "./claude-progress.js";
import { toAgentUsage } from "./usage-tally.js";

/** Longest summary and final message kept, in characters. */
export const SUMMARY_CAP = 8_000;

/** A tool call refused by the dispatcher (or by Claude Code), with the call's id to tell repeats apart. */
export interface RecordedDenial extends AgentPermissionDenial {
  readonly tool_use_id: string | null;
}

/** What one session left, as the dispatcher saw it. */
export interface SessionReport {
  /** The session the dispatcher started or resumed. */
  readonly session_id: string;
  /** The SDK's result message, when the session reached one. */
  readonly result: ResultMessage | null;
  /** Set when the dispatcher stopped the session for its token budget (`max_tokens`). */
  readonly stopped_for_tokens: boolean;
  /** Why the SDK's stream failed when it ended without a result (a crash, an error at start). */
  readonly failure: string | null;
  /** The dispatcher's own count (for sessions without a result). */
  readonly usage: AgentUsage | null;
  readonly responses: number;
  /** The agent's last text, for sessions without a result. */
  readonly last_text: string | null;
  /** Authentication errors seen on the way (`error` of assistant messages, `auth_status` errors). */
  readonly auth_errors: readonly string[];
  readonly denials: readonly RecordedDenial[];
  /** Claude Code's exit code, when it exited by itself. */
  readonly exit_code: number | null;
}

/** Assistant message errors that mean the agent could not authenticate. */
const AUTH_ERRORS = new Set(["authentication_failed", "oauth_org_not_allowed", "cloud_credential_error"]);

/** What Claude Code says when it has no usable credential (observed with Claude Code 2.1: "Not logged in · Please run /login"). */
const NO_CREDENTIAL_TEXT =
  /not logged in|please run \/login|invalid api key|invalid x-api-key|authentication_error|oauth token (has )?(expired|been revoked)|no (api key|credential)/i;

/**
 * Whether the session ended because it could not authenticate: Claude Code's `api_error: "no_credential"`,
 * an assistant message whose `error` is an authentication error, an `auth_status` error, HTTP 401, or the
 * words Claude Code uses for it in the result's text.
 */
export function isNoCredential(report: Pick<SessionReport, "result" | "auth_errors" | "failure">): boolean {
  const { result } = report;
  if (result?.api_error === "no_credential" || result?.api_error_status === 401) return true;
  if (report.auth_errors.some((e) => AUTH_ERRORS.has(e) || e.startsWith("auth_status:"))) return true;
  const texts = [result?.result, ...(result?.errors ?? []), report.failure];
  return (
    result?.is_error !== false &&
    texts.some((t) => t !== undefined && t !== null && NO_CREDENTIAL_TEXT.test(t))
  );
}

/**
 * Why the session ended: the result's subtype first (`success` without `is_error` is the only `completed`;
 * `success` with `is_error` is an API error: `no_credential` or `error`), then Claude Code's own
 * `terminal_reason`; a session stopped for its tokens is `budget`; one without a result is `error`.
 */
export function terminalReasonOf(report: SessionReport): AgentTerminalReason {
  if (report.stopped_for_tokens) return "budget";
  const { result } = report;
  if (result === null) return isNoCredential(report) ? "no_credential" : "error";
  if (result.subtype === "success" && !result.is_error) return "completed";
  if (result.subtype === "error_max_turns" || result.terminal_reason === "max_turns") return "max_turns";
  if (result.subtype === "error_max_budget_usd" || result.terminal_reason === "budget_exhausted")
    return "budget";
  return isNoCredential(report) ? "no_credential" : "error";
}

/** The tokens the result reports (`modelUsage`, else `usage`), or the dispatcher's own count. */
function usageOf(report: SessionReport): AgentUsage | null {
  const { result } = report;
  const totals = result === null ? null : modelUsageTotals(result);
  if (totals !== null) return toAgentUsage(totals);
  if (result?.usage !== undefined) {
    const u = result.usage;
    return toAgentUsage({
      input: u.input_tokens,
      output: u.output_tokens,
      cache_read: u.cache_read_input_tokens ?? 0,
      cache_creation: u.cache_creation_input_tokens ?? 0,
    });
  }
  return report.usage;
}

/** The denials to keep: the dispatcher's, then Claude Code's own that it did not already record. */
function denialsOf(report: SessionReport): AgentPermissionDenial[] {
  const seen = new Set(report.denials.map((d) => d.tool_use_id).filter((id) => id !== null));
  const fromSdk = (report.result?.permission_denials ?? [])
    .filter((d) => d.tool_use_id === "" || !seen.has(d.tool_use_id))
    .map((d): AgentPermissionDenial => {
      const path = d.tool_input.file_path ?? d.tool_input.notebook_path ?? null;
      return {
        tool: d.tool_name,
        path: typeof path === "string" ? path : null,
        reason: "refused by Claude Code (its permission mode or rules)",
      };
    });
  return [...report.denials.map(({ tool, path, reason }) => ({ tool, path, reason })), ...fromSdk]
    .slice(0, MAX_PERMISSION_DENIALS)
    .map((d) => ({
      tool: cap(d.tool, 200),
      path: d.path === null ? null : cap(d.path, 4_096),
      reason: cap(d.reason, 2_000),
    }));
}

/** What git's branch head says the session did: moved, stayed, or could not be read. */
export type HeadChange = "moved" | "unchanged" | "unknown";

/** The numbers of a session in a few words: turns, dollars, tokens, denials. */
function sessionFacts(report: SessionReport, denials: number): string {
  const usage = usageOf(report);
  const cost = report.result?.total_cost_usd ?? null;
  const turns = report.result?.num_turns ?? report.responses;
  return [
    `${turns} turn${turns === 1 ? "" : "s"}`,
    ...(cost === null ? [] : [`$${cost.toFixed(4)}`]),
    ...(usage === null ? [] : [`${usage.input_tokens} input / ${usage.output_tokens} output tokens`]),
    ...(denials === 0 ? [] : [`${denials} tool call${denials === 1 ? "" : "s"} denied`]),
  ].join(", ");
}

/** The agent's last words: the result's text, its errors, its last message, or why the stream failed. */
function lastMessage(report: SessionReport): string | null {
  const { result } = report;
  return (
    result?.result ??
    (result?.errors?.length ? result.errors.join("; ") : null) ??
    report.last_text ??
    report.failure
  );
}

/** The sentence that says why a session ended the way it did. */
function verdictOf(report: SessionReport, terminal: AgentTerminalReason, outcome: AgentOutcome): string {
  switch (terminal) {
    case "completed":
      return outcome === "no_changes"
        ? "the branch head did not move"
        : "Claude Code says it is done; rungate reads what was committed from git";
    case "max_turns":
      return "Claude Code stopped at its turn limit (maxTurns)";
    case "budget":
      return report.stopped_for_tokens
        ? "rungate stopped it: its input plus output tokens passed the attempt's max_tokens"
        : "Claude Code stopped at its dollar budget (maxBudgetUsd)";
    case "no_credential":
      return "Claude Code could not authenticate: no credential, or one refused (is ANTHROPIC_API_KEY in env_allow?)";
    default:
      return report.failure ?? `Claude Code ended with an error (${report.result?.subtype ?? "no result"})`;
  }
}

/**
 * The outcome of a session that ended without being stopped from outside: a `completed` session is
 * `committed` when its branch head moved (or cannot be read: the orchestrator reads git anyway) and
 * `no_changes` when it did not; any other end is `agent_error`. Everything that leaves is redacted.
 */
export function describeSession(
  report: SessionReport,
  head: HeadChange,
  redactor: Redactor,
): AgentDispatchOutcome {
  const terminal = terminalReasonOf(report);
  const outcome: AgentOutcome =
    terminal !== "completed" ? "agent_error" : head === "unchanged" ? "no_changes" : "committed";
  const denials = denialsOf(report).map((d) => ({
    ...d,
    reason: redactor.redact(d.reason),
    path: d.path === null ? null : redactor.redact(d.path),
  }));
  const last = lastMessage(report);
  const summary = [
    `Claude Code session ${report.session_id} ended: ${terminal} (${sessionFacts(report, denials.length)}); ${verdictOf(report, terminal, outcome)}`,
    ...(last ? ["--- last message ---", last] : []),
  ].join("\n");
  return {
    outcome,
    exit_code: report.exit_code,
    summary: cap(redactor.redact(summary), SUMMARY_CAP),
    session_id: report.result?.session_id ?? report.session_id,
    usage: usageOf(report),
    cost_usd: report.result?.total_cost_usd ?? null,
    num_turns: report.result?.num_turns ?? report.responses,
    terminal_reason: terminal,
    permission_denials: denials,
    final_message: last ? cap(redactor.redact(last), SUMMARY_CAP) : null,
  };
}

/** What a session stopped from outside had done, for the error's output tail: `why`, its numbers, its last words. */
export function describeStop(report: SessionReport, why: string, redactor: Redactor): string {
  const last = lastMessage(report);
  const text = [
    `${why} (${sessionFacts(report, report.denials.length)})`,
    ...(last ? ["--- last message ---", last] : []),
  ];
  return cap(redactor.redact(text.join("\n")), SUMMARY_CAP);
}
