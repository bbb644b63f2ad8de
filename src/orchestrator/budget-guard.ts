import { type AgentLimits, passedAttemptLimit } from "../core/policy/agent-budget.js";
import type { AgentUsage } from "../core/schemas/agent-execution.js";
import type { AgentProgress } from "../ports/agent-dispatcher.js";

/** What an agent reported of its spend so far (its newest `usage` progress item). */
export interface ReportedSpend {
  readonly usage: AgentUsage | null;
  readonly cost_usd: number | null;
  readonly num_turns: number | null;
}

/** Holds one attempt to its limits from the usage it reports: see {@link budgetGuard}. */
export interface BudgetGuard {
  /** The dispatch's signal: aborts with the caller's, or when the attempt passed a limit. */
  readonly signal: AbortSignal;
  /** The dispatcher's `onProgress`: forwards every item, and watches `usage` items. */
  readonly onProgress: (progress: AgentProgress) => void;
  /** The limit the attempt passed, or `null`. */
  passed(): "max_cost_usd" | "max_tokens" | "max_turns" | null;
  /** The newest spend the agent reported. */
  report(): ReportedSpend;
  /** Stops listening to the caller's signal. */
  dispose(): void;
}

/**
 * Watches the usage an agent reports while it runs and aborts its dispatch as soon as it passes the attempt's
 * cost, token or turn limit, so a dispatcher that does not enforce a limit (a command agent printing usage, a
 * custom adapter) still cannot spend past it. Agents that report nothing are held by their dispatcher alone.
 */
export function budgetGuard(
  limits: AgentLimits,
  outer: AbortSignal,
  forward: (progress: AgentProgress) => void,
): BudgetGuard {
  const controller = new AbortController();
  const onOuter = () => controller.abort(outer.reason);
  if (outer.aborted) onOuter();
  else outer.addEventListener("abort", onOuter, { once: true });
  let spend: ReportedSpend = { usage: null, cost_usd: null, num_turns: null };
  let passed: ReturnType<BudgetGuard["passed"]> = null;
  return {
    signal: controller.signal,
    onProgress(progress) {
      forward(progress);
      const item = progress.item;
      if (item?.kind !== "usage" || passed !== null) return;
      spend = { usage: item.usage, cost_usd: item.cost_usd, num_turns: item.num_turns };
      passed = passedAttemptLimit(limits, spend);
      if (passed !== null) controller.abort(new Error(`the agent passed its ${passed} limit`));
    },
    passed: () => passed,
    report: () => spend,
    dispose: () => outer.removeEventListener("abort", onOuter),
  };
}
