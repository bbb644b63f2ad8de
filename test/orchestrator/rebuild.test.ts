import { describe, expect, it } from "vitest";
import { runCardLifecycle } from "../../bench/card-lifecycle.js";
import { createOrchestrator } from "../../src/index.js";
import { closeAsPerson } from "../../src/testing/fakes/in-memory-pull-request-host.js";
import { createInMemoryPorts, createInMemoryStorage } from "../../src/testing/index.js";
import { CARD, cardRequest, setup, workflowRequest } from "./helpers.js";

const FORBIDDEN = { commits: [{ files: { "src/ok.ts": "1\n", "secrets/key.txt": "k\n" } }] };
const WORK = { commits: [{ files: { "src/cart/total.ts": "1\n" }, message: "total" }] };

/** A card run carried to approval and approved by a person. */
async function approved(world: ReturnType<typeof setup>) {
  const built = (await world.orchestrator.triggerBuild(cardRequest()))._unsafeUnwrap();
  const approval = built.approvals[0];
  if (!approval) throw new Error("no approval");
  await world.orchestrator.recordApprovalDecision({
    run_id: built.run.id,
    approval_id: approval.id,
    decision: "approve",
    decided_by: "user:alice",
  });
  return built;
}

describe("building a card again", () => {
  it("replaces the branch of a failed earlier run (its tip kept) and reaches a draft PR", async () => {
    const world = setup({ agent: { [CARD]: [FORBIDDEN, WORK] } });
    const { ports, orchestrator } = world;
    const first = (await orchestrator.triggerBuild(cardRequest()))._unsafeUnwrap();
    expect(first.run.phase).toBe("failed");
    const oldTip = first.assignments[0]?.head_sha ?? "";

    const second = (await orchestrator.triggerBuild(cardRequest()))._unsafeUnwrap();
    expect(second.run.phase).toBe("awaiting_approval");
    const card = second.assignments[0];
    const clone_path = second.run.worktree_root ?? "";
    // The forbidden file of the failed attempt is not on the rebuilt branch.
    const files = (
      await ports.git.changedFiles({ clone_path, base: card?.base_sha ?? "", head: card?.head_sha ?? "" })
    )._unsafeUnwrap();
    expect(files.map((f) => f.path)).toEqual(["src/cart/total.ts"]);
    const kept = `refs/rungate/replaced/${card?.feature_branch}/${oldTip}`;
    expect((await ports.git.headSha({ clone_path, ref: kept }))._unsafeUnwrap()).toBe(oldTip);
    const events = (await ports.storage.listEvents(second.run.id))._unsafeUnwrap();
    expect(events.find((e) => e.event_type === "assignment.branch_rebuilt")?.payload).toMatchObject({
      replaced_sha: oldTip,
      earlier_runs: [first.run.id],
    });

    const approval = second.approvals[0];
    await orchestrator.recordApprovalDecision({
      run_id: second.run.id,
      approval_id: approval?.id ?? "",
      decision: "approve",
      decided_by: "user:alice",
    });
    const pr = (
      await orchestrator.createPullRequestCandidate({ assignment_id: card?.id ?? "" })
    )._unsafeUnwrap();
    expect(pr.status).toBe("draft_open");
  });

  it("refuses while the earlier run still works on the card, naming it and the way on", async () => {
    const { orchestrator } = setup({ agent: { [CARD]: [WORK, WORK] } });
    const first = (await orchestrator.triggerBuild(cardRequest()))._unsafeUnwrap();
    expect(first.run.phase).toBe("awaiting_approval");
    const refused = (await orchestrator.triggerBuild(cardRequest()))._unsafeUnwrapErr();
    expect(refused).toMatchObject({
      kind: "conflict",
      code: "branch_in_use",
      detail: { run_id: first.run.id },
    });
    expect(refused.message).toContain("cancelRun");
    const [, second] = (await orchestrator.listRuns())._unsafeUnwrap().runs.slice().reverse();
    expect(second?.phase).toBe("preparing");
    expect(refused.message).toContain(`resumeRun("${second?.id}")`);

    (await orchestrator.cancelRun({ run_id: first.run.id, cancelled_by: "user:alice" }))._unsafeUnwrap();
    const resumed = (await orchestrator.resumeRun(second?.id ?? ""))._unsafeUnwrap();
    expect(resumed.run.phase).toBe("awaiting_approval");
  });

  it("never touches the branch of an open draft PR; once a person closed it, the card builds again", async () => {
    const world = setup({ agent: { [CARD]: [WORK, WORK] } });
    const { ports, orchestrator } = world;
    const first = await approved(world);
    const card = first.assignments[0];
    const pr = (
      await orchestrator.createPullRequestCandidate({ assignment_id: card?.id ?? "" })
    )._unsafeUnwrap();
    const clone_path = first.run.worktree_root ?? "";
    const prTip = (await ports.git.headSha({ clone_path, ref: card?.feature_branch ?? "" }))._unsafeUnwrap();

    const refused = (await orchestrator.triggerBuild(cardRequest()))._unsafeUnwrapErr();
    expect(refused).toMatchObject({ code: "branch_has_open_pull_request", detail: { run_id: first.run.id } });
    expect((await ports.git.headSha({ clone_path, ref: card?.feature_branch ?? "" }))._unsafeUnwrap()).toBe(
      prTip,
    );

    closeAsPerson(ports.pullRequests, pr.pr_url ?? "", "bob");
    (await orchestrator.observePullRequest({ assignment_id: card?.id ?? "" }))._unsafeUnwrap();
    const second = (await orchestrator.listRuns({ phases: ["preparing"] }))._unsafeUnwrap().runs[0];
    const resumed = (await orchestrator.resumeRun(second?.id ?? ""))._unsafeUnwrap();
    expect(resumed.run.phase).toBe("awaiting_approval");
  });

  it("names the same earlier runs, newest first, whether the store reads a card's assignments at once or per run", async () => {
    /**
     * The card built four times: failed, then inside a workflow run of two cards (failed again), then a merged
     * lifecycle, then once more. What each build recorded about the earlier runs on the card's branch.
     */
    const history = async (oneRead: boolean) => {
      const ports = createInMemoryPorts({ agent: { [CARD]: [FORBIDDEN, FORBIDDEN, WORK, WORK] } });
      // A store without the optional read: its callers list each earlier run's assignments.
      const storage = oneRead
        ? ports.storage
        : createInMemoryStorage({ clock: ports.clock, listCardAssignments: false });
      const orchestrator = createOrchestrator({ ...ports, storage });
      const first = (await orchestrator.triggerBuild(cardRequest()))._unsafeUnwrap();
      const workflow = (await orchestrator.triggerBuild(workflowRequest(2)))._unsafeUnwrap();
      await runCardLifecycle(orchestrator, ports.pullRequests, cardRequest());
      const last = (await orchestrator.triggerBuild(cardRequest()))._unsafeUnwrap();
      expect([first.run.phase, workflow.run.phase, last.run.phase]).toEqual([
        "failed",
        "failed",
        "awaiting_approval",
      ]);
      const runs = (await storage.listRuns({}))._unsafeUnwrap().runs;
      const rebuilt = [];
      for (const run of runs) {
        const events = (await storage.listEvents(run.id))._unsafeUnwrap();
        rebuilt.push(
          events.filter((e) => e.event_type === "assignment.branch_rebuilt").map((e) => e.payload),
        );
      }
      const oneReads = storage.operations.filter((o) => o.operation === "listCardAssignments").length;
      return { runs: runs.map((r) => r.id), rebuilt, oneReads };
    };
    const atOnce = await history(true);
    const perRun = await history(false);
    expect(atOnce.oneReads).toBeGreaterThan(0);
    expect(perRun.oneReads).toBe(0);
    expect(atOnce.rebuilt).toEqual(perRun.rebuilt);
    // Newest first: the last build names the merged run, the workflow run and the first run.
    const [, merged, workflow, first] = atOnce.runs;
    expect(atOnce.rebuilt[0]).toMatchObject([{ earlier_runs: [merged, workflow, first] }]);
  });
});
