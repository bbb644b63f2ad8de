import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AgentPolicy, agentAttemptLimits, agentSpend, passedAttemptLimit } from "../../../src/core/index.js";

const spend = (cost_usd: number, tokens: number) => ({
  cost_usd,
  tokens,
  turns: 0,
  attempts: 1,
  attempts_without_cost: 0,
});

describe("agentSpend", () => {
  it("sums cost, tokens and turns, and counts attempts that said no cost", () => {
    const total = agentSpend([
      {
        cost_usd: 0.5,
        usage: { input_tokens: 100, output_tokens: 20, cached_input_tokens: 50 },
        num_turns: 3,
      },
      {
        cost_usd: null,
        usage: { input_tokens: 10, output_tokens: 5, cached_input_tokens: 0 },
        num_turns: null,
      },
      { cost_usd: 0.25, usage: null, num_turns: 1 },
    ]);
    expect(total).toEqual({ cost_usd: 0.75, tokens: 135, turns: 4, attempts: 3, attempts_without_cost: 1 });
  });
});

describe("agentAttemptLimits", () => {
  it("hands the smaller of what is left of the card's and the run's budgets", () => {
    const policy = AgentPolicy.parse({
      max_cost_usd_per_card: 2,
      max_cost_usd_per_run: 5,
      max_tokens_per_card: 1_000,
      max_turns_per_attempt: 7,
      model: "m",
    });
    const { limits, exhausted } = agentAttemptLimits(policy, { card: spend(0.5, 400), run: spend(4, 400) });
    expect(exhausted).toBeNull();
    expect(limits).toMatchObject({ max_cost_usd: 1, max_tokens: 600, max_turns: 7, model: "m" });
  });

  it("names the budget that is spent", () => {
    const policy = AgentPolicy.parse({ max_tokens_per_run: 1_000 });
    const { limits, exhausted } = agentAttemptLimits(policy, { card: spend(0, 0), run: spend(0, 1_000) });
    expect(exhausted).toEqual({ budget: "max_tokens_per_run", spent: 1_000, cap: 1_000 });
    expect(limits.max_tokens).toBe(0);
  });

  it("never hands more than is left, and calls a budget spent exactly when nothing is left", () => {
    const cap = fc.option(fc.double({ min: 0.01, max: 100, noNaN: true }), { nil: null });
    fc.assert(
      fc.property(
        cap,
        cap,
        fc.double({ min: 0, max: 200, noNaN: true }),
        fc.double({ min: 0, max: 200, noNaN: true }),
        (card, run, cardSpent, runExtra) => {
          const policy = AgentPolicy.parse({ max_cost_usd_per_card: card, max_cost_usd_per_run: run });
          const runSpent = cardSpent + runExtra;
          const { limits, exhausted } = agentAttemptLimits(policy, {
            card: spend(cardSpent, 0),
            run: spend(runSpent, 0),
          });
          const spentOut = (card !== null && cardSpent >= card) || (run !== null && runSpent >= run);
          expect(exhausted !== null).toBe(spentOut);
          if (card === null && run === null) expect(limits.max_cost_usd).toBeNull();
          if (card !== null)
            expect(limits.max_cost_usd ?? 0).toBeLessThanOrEqual(Math.max(0, card - cardSpent));
          if (run !== null) expect(limits.max_cost_usd ?? 0).toBeLessThanOrEqual(Math.max(0, run - runSpent));
        },
      ),
    );
  });
});

describe("passedAttemptLimit", () => {
  const limits = { max_cost_usd: 1, max_tokens: 100, max_turns: 3 };
  const usage = (n: number) => ({ input_tokens: n, output_tokens: 0, cached_input_tokens: 0 });
  it("answers the first limit passed, and nothing at the limit itself", () => {
    expect(passedAttemptLimit(limits, { usage: usage(100), cost_usd: 1, num_turns: 3 })).toBeNull();
    expect(passedAttemptLimit(limits, { usage: usage(10), cost_usd: 1.01, num_turns: 1 })).toBe(
      "max_cost_usd",
    );
    expect(passedAttemptLimit(limits, { usage: usage(101), cost_usd: null, num_turns: 1 })).toBe(
      "max_tokens",
    );
    expect(passedAttemptLimit(limits, { usage: null, cost_usd: null, num_turns: 4 })).toBe("max_turns");
  });
});
