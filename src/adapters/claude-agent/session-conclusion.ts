import { err, ok, type Result } from "neverthrow";
import { dispatchCancelled, dispatchTimedOut } from "../../internal/agent-dispatch/dispatch-errors.js";
import type { Redactor } from "../../internal/child-process/redact.js";
import type { AgentDispatchOutcome } from "../../ports/agent-dispatcher.js";
import type { PortError } from "../../ports/port-error.js";
import type { EffectiveLimits } from "./claude-options.js";
import type { ProgressEntry } from "./claude-progress.js";
import { describeSession, describeStop, type HeadChange } from "./claude-result.js";
import type { SessionEnd } from "./claude-session.js";

type DispatchResult = Result<AgentDispatchOutcome, PortError>;

/** How the branch head moved between two reads. */
function headChange(before: string | null, after: string | null): HeadChange {
  if (before === null || after === null) return "unknown";
  return before === after ? "unchanged" : "moved";
}

/** The dispatch's answer for a session that ran: its outcome, or the stop that ended it. */
export async function concludeSession(
  end: SessionEnd,
  limits: EffectiveLimits,
  redactor: Redactor,
  readHead: () => Promise<string | null>,
  headBefore: string | null,
  emit: (entry: ProgressEntry) => void,
): Promise<DispatchResult> {
  if (end.kind === "stopped") {
    if (end.cause === "cancelled") {
      const why = "rungate: cancelled; Claude Code's process group was stopped";
      emit({ message: why });
      return err(dispatchCancelled(describeStop(end.report, why, redactor)));
    }
    const ms = (end.cause === "inactivity" ? limits.inactivity_ms : limits.wall_ms) ?? end.after_ms;
    const why =
      end.cause === "inactivity"
        ? `rungate: no message from Claude Code for ${ms} ms; stopped as hung`
        : `rungate: out of time after ${ms} ms; stopped`;
    emit({ message: why });
    return err(dispatchTimedOut(ms, describeStop(end.report, why, redactor)));
  }
  const outcome = describeSession(end.report, headChange(headBefore, await readHead()), redactor);
  if (outcome.usage !== undefined && outcome.usage !== null) {
    emit({
      message: `claude: used ${outcome.usage.input_tokens} input / ${outcome.usage.output_tokens} output tokens in ${outcome.num_turns ?? "?"} turns${outcome.cost_usd === null || outcome.cost_usd === undefined ? "" : `, $${outcome.cost_usd.toFixed(4)}`}`,
      item: {
        kind: "usage",
        usage: outcome.usage,
        cost_usd: outcome.cost_usd ?? null,
        num_turns: outcome.num_turns ?? null,
      },
    });
  }
  emit({ message: `rungate: finished: ${outcome.outcome} (${outcome.terminal_reason ?? "?"})` });
  return ok(outcome);
}
