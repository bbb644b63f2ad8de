import { describe, expect, it } from "vitest";
import { runCardLifecycle } from "../../bench/card-lifecycle.js";
import { createOrchestrator } from "../../src/index.js";
import { createInMemoryPorts, fixtureId, policyFixture, runInputFixture } from "../../src/testing/index.js";

function cardRequest(card: number) {
  const input = runInputFixture();
  const card_id = fixtureId(700_000 + card);
  return { ...input, card_id, cards: input.cards.map((c) => ({ ...c, card_id })), policy: policyFixture() };
}

describe("createInMemoryPorts: a bound on ended runs", () => {
  it("keeps the newest ended runs only, and the git fake forgets the rest with them", async () => {
    const ports = createInMemoryPorts({ retain_ended_runs: 2 });
    const orchestrator = createOrchestrator(ports);
    for (let card = 0; card < 6; card++) {
      await runCardLifecycle(orchestrator, ports.pullRequests, cardRequest(card));
    }
    const runs = (await orchestrator.listRuns({ limit: 100 }))._unsafeUnwrap().runs;
    expect(runs).toHaveLength(2);
    expect(runs.every((r) => r.phase === "completed")).toBe(true);
  });
});
