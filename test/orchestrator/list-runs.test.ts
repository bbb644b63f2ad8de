import { describe, expect, it } from "vitest";
import { fixtureId } from "../../src/testing/index.js";
import { CARD, cardRequest, setup, workflowRequest } from "./helpers.js";

describe("orchestrator.listRuns", () => {
  it("finds the runs a host never kept the ids of: by project, by card, by phase, newest first", async () => {
    const { orchestrator } = setup({
      agent: { [CARD]: [{ commits: [{ files: { "src/cart/total.ts": "1\n" }, message: "total" }] }] },
    });
    const built = (await orchestrator.triggerBuild(cardRequest()))._unsafeUnwrap().run;
    const workflow = (await orchestrator.createRun(workflowRequest(2)))._unsafeUnwrap().run;
    const card = (await orchestrator.createRun(cardRequest()))._unsafeUnwrap().run;

    const all = (await orchestrator.listRuns())._unsafeUnwrap();
    expect(all.runs.map((r) => r.id)).toEqual([card.id, workflow.id, built.id]);
    expect(all.next_cursor).toBeNull();

    const queued = (await orchestrator.listRuns({ phases: ["queued"] }))._unsafeUnwrap();
    expect(queued.runs.map((r) => r.id)).toEqual([card.id, workflow.id]);
    // A card of the workflow is found through its assignment; the workflow run has no card_id of its own.
    const byCard = (await orchestrator.listRuns({ card_id: fixtureId(101) }))._unsafeUnwrap();
    expect(byCard.runs.map((r) => r.id)).toEqual([workflow.id]);

    const first = (await orchestrator.listRuns({ limit: 2 }))._unsafeUnwrap();
    expect(first.runs).toHaveLength(2);
    const second = (await orchestrator.listRuns({ limit: 2, cursor: first.next_cursor }))._unsafeUnwrap();
    expect(second.runs.map((r) => r.id)).toEqual([built.id]);
    expect(second.next_cursor).toBeNull();
  });

  it("answers validation, naming the field, to a malformed query", async () => {
    const { orchestrator } = setup();
    const error = (await orchestrator.listRuns({ project_id: "p1", limit: 9_999 }))._unsafeUnwrapErr();
    expect(error).toMatchObject({ kind: "validation", code: "invalid_run_list_query" });
    expect(JSON.stringify(error)).toContain("project_id");
    expect(JSON.stringify(error)).toContain("limit");
  });
});
