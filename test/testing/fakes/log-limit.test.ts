import { describe, expect, it } from "vitest";
import { createOrchestrator } from "../../../src/index.js";
import {
  createInMemoryPorts,
  fixtureId,
  policyFixture,
  runInputFixture,
} from "../../../src/testing/index.js";

describe("in-memory ports with a log limit", () => {
  it("keep only the newest calls of every fake, and go on working", async () => {
    const ports = createInMemoryPorts({ log_limit: 4 });
    const orchestrator = createOrchestrator(ports);
    for (let i = 0; i < 3; i++) {
      const card_id = fixtureId(900 + i);
      const input = runInputFixture();
      const cards = input.cards.map((c) => ({ ...c, card_id }));
      const built = (
        await orchestrator.triggerBuild({ ...input, card_id, cards, policy: policyFixture() })
      )._unsafeUnwrap();
      expect(built.approvals).toHaveLength(1);
    }
    expect(ports.storage.operations).toHaveLength(4);
    expect(ports.git.operations).toHaveLength(4);
    expect(ports.checks.runs.length).toBeLessThanOrEqual(4);
    expect(ports.dispatcher.dispatches).toHaveLength(3);
    // The newest are kept: the last storage call is the last one made.
    const last = ports.storage.operations.at(-1);
    await ports.storage.listRuns({});
    expect(ports.storage.operations.at(-2)).toEqual(last);
  });
});
