import type { AgentUsage } from "../../core/schemas/agent-execution.js";
import type { CodexUsage } from "./codex-events.js";

/**
 * What one attempt used, from the thread totals Codex reports. Codex's totals cover the whole thread: a
 * resumed thread's first report includes what earlier attempts used, so the attempt's usage is the newest
 * total less the total the thread had when the attempt began (`baseline`). Input tokens include cached ones,
 * as the budget counts them (see `usageTokens`).
 */
export interface UsageMeter {
  /** A thread total from the session log (one model response); answers whether it moved. */
  observeResponse(total: CodexUsage): boolean;
  /** A thread total from `turn.completed` (a whole Codex turn ended); answers whether it moved. */
  observeTurn(total: CodexUsage): boolean;
  /** The attempt's usage so far, or `null` before any report. */
  usage(): AgentUsage | null;
  /** The attempt's input plus output tokens so far. */
  tokens(): number;
  /**
   * The attempt's turns so far: model responses seen in the session log when it could be read, else Codex
   * turns completed; `null` before any.
   */
  turns(): number | null;
}

function sum(usage: CodexUsage): number {
  return usage.input_tokens + usage.output_tokens;
}

/**
 * A {@link UsageMeter} for an attempt that began when its thread's totals were `baseline` (`null`: a new
 * thread, or a thread this execution started, whose earlier responses are then observed like new ones).
 */
export function usageMeter(baseline: CodexUsage | null): UsageMeter {
  let latest: CodexUsage | null = null;
  let responses = 0;
  // Responses are counted against the log's own last total: `turn.completed` may report a total before the
  // log's last response is read.
  let lastResponse = baseline === null ? -1 : sum(baseline);
  let turns = 0;
  const take = (total: CodexUsage): boolean => {
    if (latest !== null && sum(total) <= sum(latest)) return false;
    latest = total;
    return true;
  };
  const meter: UsageMeter = {
    observeResponse(total) {
      if (sum(total) <= lastResponse) return false;
      lastResponse = sum(total);
      responses += 1;
      take(total);
      return true;
    },
    observeTurn(total) {
      turns += 1;
      take(total);
      return true;
    },
    usage() {
      if (latest === null) return null;
      const base = baseline ?? { input_tokens: 0, cached_input_tokens: 0, output_tokens: 0 };
      return {
        input_tokens: Math.max(0, latest.input_tokens - base.input_tokens),
        output_tokens: Math.max(0, latest.output_tokens - base.output_tokens),
        cached_input_tokens: Math.max(0, latest.cached_input_tokens - base.cached_input_tokens),
      };
    },
    tokens() {
      const usage = meter.usage();
      return usage === null ? 0 : usage.input_tokens + usage.output_tokens;
    },
    turns() {
      if (responses > 0) return responses;
      return turns > 0 ? turns : null;
    },
  };
  return meter;
}
