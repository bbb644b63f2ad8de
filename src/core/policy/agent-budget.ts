import type { AgentExecution, AgentUsage } from "../schemas/agent-execution.js";
import type { AgentPolicy } from "../schemas/system-policy-profile.js";

/**
 * Bounds on one agent attempt, from the policy's `agent_policy` less what the card and the run spent already.
 * `null`: no bound of that kind. A dispatcher enforces every bound its agent can be held to, and stops the
 * agent itself for the others (an agent with no dollar cost is held to `max_tokens`).
 */
export interface AgentLimits {
  /** Model turns the agent may take. */
  readonly max_turns: number | null;
  /** US dollars the attempt may spend. */
  readonly max_cost_usd: number | null;
  /** Input plus output tokens the attempt may use. */
  readonly max_tokens: number | null;
  /** Wall time of the attempt. */
  readonly timeout_ms: number | null;
  /** The longest the agent may go without reporting anything before it is stopped as hung. */
  readonly inactivity_timeout_ms: number | null;
  /** The model to ask for; `null`: the agent's default. */
  readonly model: string | null;
}

/** No bound at all: what a dispatch request without `limits` means. */
export const NO_AGENT_LIMITS: AgentLimits = Object.freeze({
  max_turns: null,
  max_cost_usd: null,
  max_tokens: null,
  timeout_ms: null,
  inactivity_timeout_ms: null,
  model: null,
});

/** What agents spent: summed over executions that reported it. */
export interface AgentSpend {
  /** Dollars, summed over the attempts that reported a cost. */
  readonly cost_usd: number;
  /** Input plus output tokens, summed over the attempts that reported usage. */
  readonly tokens: number;
  /** Model turns, summed over the attempts that counted them. */
  readonly turns: number;
  /** Attempts counted (every execution, whatever it reported). */
  readonly attempts: number;
  /** Attempts that ended without saying what they cost: the dollar sum is a lower bound when this is > 0. */
  readonly attempts_without_cost: number;
}

/** Input plus output tokens of a usage (cache reads are part of the input already). */
export function usageTokens(usage: AgentUsage | null): number {
  return usage === null ? 0 : usage.input_tokens + usage.output_tokens;
}

/** What `executions` spent together. Pure. */
export function agentSpend(
  executions: readonly Pick<AgentExecution, "cost_usd" | "usage" | "num_turns">[],
): AgentSpend {
  let cost_usd = 0;
  let tokens = 0;
  let turns = 0;
  let attempts_without_cost = 0;
  for (const e of executions) {
    if (e.cost_usd === null) attempts_without_cost++;
    else cost_usd += e.cost_usd;
    tokens += usageTokens(e.usage);
    turns += e.num_turns ?? 0;
  }
  return { cost_usd, tokens, turns, attempts: executions.length, attempts_without_cost };
}

/** Which budget is spent, and by how much. */
export interface BudgetExhausted {
  readonly budget:
    | "max_cost_usd_per_card"
    | "max_cost_usd_per_run"
    | "max_tokens_per_card"
    | "max_tokens_per_run";
  readonly spent: number;
  readonly cap: number;
}

/**
 * The limits of the next attempt of a card, and the budget that leaves it none (`null` while every budget has
 * something left). With a budget spent, the cost and token limits are 0.
 */
export interface AttemptLimits {
  readonly limits: AgentLimits;
  readonly exhausted: BudgetExhausted | null;
}

/** A cap less what was spent (never below 0), or `null` when there is no cap. */
function left(cap: number | null, spent: number): number | null {
  return cap === null ? null : Math.max(0, cap - spent);
}

/** The smaller of two optional bounds. */
function smaller(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.min(a, b);
}

/**
 * The limits the next attempt of a card is handed: turns, wall time, inactivity and model straight from the
 * policy; cost and tokens as what is left of the card's and the run's budgets, whichever is smaller. A budget
 * with nothing left is named in `exhausted`, so the orchestrator refuses a new attempt instead of starting an
 * agent that could spend nothing. Attempts of other cards still running are not known yet: their spend counts
 * once they end, so a run's cap can be passed by at most what those attempts spend (each held to its share).
 * Pure.
 */
export function agentAttemptLimits(
  policy: AgentPolicy,
  spent: { readonly card: AgentSpend; readonly run: AgentSpend },
): AttemptLimits {
  const checks: readonly [BudgetExhausted["budget"], number | null, number][] = [
    ["max_cost_usd_per_card", policy.max_cost_usd_per_card, spent.card.cost_usd],
    ["max_cost_usd_per_run", policy.max_cost_usd_per_run, spent.run.cost_usd],
    ["max_tokens_per_card", policy.max_tokens_per_card, spent.card.tokens],
    ["max_tokens_per_run", policy.max_tokens_per_run, spent.run.tokens],
  ];
  const spentOut = checks.find(([, cap, used]) => cap !== null && used >= cap);
  return {
    exhausted:
      spentOut === undefined ? null : { budget: spentOut[0], spent: spentOut[2], cap: spentOut[1] as number },
    limits: {
      max_turns: policy.max_turns_per_attempt,
      max_cost_usd: smaller(
        left(policy.max_cost_usd_per_card, spent.card.cost_usd),
        left(policy.max_cost_usd_per_run, spent.run.cost_usd),
      ),
      max_tokens: smaller(
        left(policy.max_tokens_per_card, spent.card.tokens),
        left(policy.max_tokens_per_run, spent.run.tokens),
      ),
      timeout_ms: policy.max_wall_time_ms_per_attempt,
      inactivity_timeout_ms: policy.inactivity_timeout_ms,
      model: policy.model,
    },
  };
}

/**
 * Whether an attempt's reported usage so far passes its limits: the budget it passed, or `null`. Used while
 * the agent runs, so an agent that reports its usage is stopped by the orchestrator even when its dispatcher
 * does not enforce the limit itself. Pure.
 */
export function passedAttemptLimit(
  limits: Pick<AgentLimits, "max_cost_usd" | "max_tokens" | "max_turns">,
  report: {
    readonly usage: AgentUsage | null;
    readonly cost_usd: number | null;
    readonly num_turns: number | null;
  },
): "max_cost_usd" | "max_tokens" | "max_turns" | null {
  if (limits.max_cost_usd !== null && report.cost_usd !== null && report.cost_usd > limits.max_cost_usd) {
    return "max_cost_usd";
  }
  if (limits.max_tokens !== null && usageTokens(report.usage) > limits.max_tokens) return "max_tokens";
  if (limits.max_turns !== null && report.num_turns !== null && report.num_turns > limits.max_turns) {
    return "max_turns";
  }
  return null;
}
