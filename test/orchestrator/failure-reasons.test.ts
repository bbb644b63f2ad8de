import { describe, expect, it } from "vitest";
import { CARD, cardRequest, setup } from "./helpers.js";

describe("failure reasons", () => {
  it("says why a card and its run failed, linked to the event that failed them", async () => {
    const { ports, orchestrator } = setup({
      agent: { [CARD]: [{ commits: [{ files: { "src/ok.ts": "x\n", "secrets/key.txt": "k\n" } }] }] },
    });
    const built = (await orchestrator.triggerBuild(cardRequest()))._unsafeUnwrap();
    const state = (await orchestrator.getRun(built.run.id))._unsafeUnwrap();
    const card = state.assignments[0];
    expect(card?.failure).toMatchObject({ kind: "path_violation" });
    expect(card?.failure?.message).toContain("secrets/key.txt");
    expect(state.run.failure).toMatchObject({ kind: "card_failed", assignment_id: card?.id });
    expect(state.run.failure?.message).toContain("secrets/key.txt");

    const events = (await ports.storage.listEvents(built.run.id))._unsafeUnwrap();
    const cardFailed = events.find((e) => e.id === card?.failure?.event_id);
    expect(cardFailed).toMatchObject({ event_type: "assignment.transitioned", payload: { to: "failed" } });
    expect(cardFailed?.payload.failure).toMatchObject({
      kind: "path_violation",
      message: card?.failure?.message,
    });
    const runFailed = events.find((e) => e.id === state.run.failure?.event_id);
    expect(runFailed).toMatchObject({ event_type: "run.transitioned", payload: { to: "failed" } });
    expect(runFailed?.payload.failure).toMatchObject({ kind: "card_failed" });
  });

  it("keeps failure null on records that did not fail", async () => {
    const { orchestrator } = setup({
      agent: { [CARD]: [{ commits: [{ files: { "src/ok.ts": "x\n" } }] }] },
    });
    const built = (await orchestrator.triggerBuild(cardRequest()))._unsafeUnwrap();
    expect(built.run.phase).toBe("awaiting_approval");
    expect(built.run.failure).toBeNull();
    expect(built.assignments[0]?.failure).toBeNull();
  });

  it("names an agent that committed nothing as agent_failed, not a made-up success", async () => {
    const { orchestrator } = setup({ agent: { [CARD]: [{ outcome: "committed" }] } });
    const built = (await orchestrator.triggerBuild(cardRequest()))._unsafeUnwrap();
    expect(built.assignments[0]?.failure).toMatchObject({ kind: "agent_failed" });
    expect(built.run.failure?.kind).toBe("card_failed");
  });
});
