import { describe, expect, it } from "vitest";
import { createOrchestrator } from "../../../src/index.js";
import { BoundedLog } from "../../../src/testing/fakes/bounded-log.js";
import {
  createInMemoryPorts,
  fixtureId,
  policyFixture,
  runInputFixture,
} from "../../../src/testing/index.js";

describe("BoundedLog", () => {
  it("answers the newest `limit` entries, oldest first, and counts what it dropped", () => {
    const log = new BoundedLog<number>(3);
    for (let i = 1; i <= 10; i++) log.push(i);
    expect(log.entries()).toEqual([8, 9, 10]);
    expect(log.dropped).toBe(7);
    const few = new BoundedLog<number>(3);
    few.push(1);
    expect(few.entries()).toEqual([1]);
    expect(few.dropped).toBe(0);
  });

  it("stays at its limit however many entries pass through", () => {
    const log = new BoundedLog<number>(100);
    for (let i = 0; i < 10_000; i++) log.push(i);
    expect(log.entries()).toHaveLength(100);
    expect(log.entries()[99]).toBe(9_999);
    expect(log.dropped).toBe(9_900);
  });

  it("keeps everything with an Infinity limit and refuses a limit below 1", () => {
    const log = new BoundedLog<number>(Number.POSITIVE_INFINITY);
    for (let i = 0; i < 1_000; i++) log.push(i);
    expect(log.entries()).toHaveLength(1_000);
    expect(() => new BoundedLog(0)).toThrow(RangeError);
  });
});

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
