import { describe, expect, it } from "vitest";
import { mergeAsPerson } from "../../src/testing/fakes/in-memory-pull-request-host.js";
import { fixtureId } from "../../src/testing/index.js";
import { setup, workflowRequest } from "./helpers.js";

describe("a 5-card workflow run on the fakes", () => {
  it("gives each card its own branch and worktree, checks each, and completes when a person merges them all", async () => {
    const { ports, orchestrator } = setup({}, { concurrency: 3 });
    const built = (await orchestrator.triggerBuild(workflowRequest(5)))._unsafeUnwrap();
    expect(built.run.scope).toBe("workflow");
    expect(built.run.phase).toBe("awaiting_approval");
    expect(built.assignments).toHaveLength(5);
    expect(new Set(built.assignments.map((a) => a.feature_branch)).size).toBe(5);
    expect(new Set(built.assignments.map((a) => a.worktree_path)).size).toBe(5);
    expect(built.assignments.every((a) => a.phase === "awaiting_approval")).toBe(true);
    for (const [i, a] of built.assignments.entries()) {
      expect(a.card_id).toBe(fixtureId(100 + i));
      const changed = (
        await ports.git.changedFiles({
          clone_path: built.run.worktree_root ?? "",
          base: a.base_sha ?? "",
          head: a.head_sha ?? "",
        })
      )._unsafeUnwrap();
      expect(changed.map((f) => f.path)).toEqual([
        `src/card${i}/rungate-${a.card_id.replace(/-/g, "").slice(-8)}.txt`,
      ]);
      expect(built.checks.filter((c) => c.assignment_id === a.id).map((c) => c.status)).toEqual([
        "passed",
        "passed",
        "passed",
        "passed",
      ]);
    }
    expect(ports.dispatcher.dispatches.map((d) => d.assignment_id).sort()).toEqual(
      built.assignments.map((a) => a.id).sort(),
    );
    expect(built.approvals).toHaveLength(5);

    // Approving four of five leaves the run waiting on a person.
    for (const approval of built.approvals.slice(0, 4)) {
      await orchestrator.recordApprovalDecision({
        run_id: built.run.id,
        approval_id: approval.id,
        decision: "approve",
        decided_by: "alice",
      });
    }
    expect((await orchestrator.getRun(built.run.id))._unsafeUnwrap().run.phase).toBe("awaiting_approval");
    const last = built.approvals[4];
    await orchestrator.recordApprovalDecision({
      run_id: built.run.id,
      approval_id: last?.id ?? "",
      decision: "approve",
      decided_by: "alice",
    });
    expect((await orchestrator.getRun(built.run.id))._unsafeUnwrap().run.phase).toBe("approved");

    for (const a of built.assignments)
      (await orchestrator.createPullRequestCandidate({ assignment_id: a.id }))._unsafeUnwrap();
    const opened = (await orchestrator.getRun(built.run.id))._unsafeUnwrap();
    expect(opened.run.phase).toBe("pr_open");
    expect(opened.pull_requests.map((p) => p.status)).toEqual(Array(5).fill("draft_open"));
    expect(new Set(ports.pullRequests.pullRequests.map((p) => p.url)).size).toBe(5);

    for (const p of opened.pull_requests) mergeAsPerson(ports.pullRequests, p.pr_url ?? "", "bob");
    for (const a of built.assignments) await orchestrator.observePullRequest({ assignment_id: a.id });
    const done = (await orchestrator.getRun(built.run.id))._unsafeUnwrap();
    expect(done.run.phase).toBe("completed");
    expect(done.assignments.every((a) => a.phase === "merged")).toBe(true);
    const events = (await ports.storage.listEvents(built.run.id))._unsafeUnwrap();
    expect(events.map((e) => e.sequence)).toEqual(events.map((_, i) => i + 1));
    expect(events.filter((e) => e.event_type === "agent.dispatched")).toHaveLength(5);
    expect(events.filter((e) => e.event_type === "check.completed")).toHaveLength(20);
  });

  it("never runs more cards at once than the concurrency limit", async () => {
    let running = 0;
    let peak = 0;
    const { ports, orchestrator } = setup({ agent: { "*": [{ delay_ms: 5 }] } }, { concurrency: 2 });
    const original = ports.dispatcher.dispatch.bind(ports.dispatcher);
    Object.assign(ports.dispatcher, {
      dispatch: (...args: Parameters<typeof original>) => {
        running++;
        peak = Math.max(peak, running);
        return original(...args).map((r) => {
          running--;
          return r;
        });
      },
    });
    const built = (await orchestrator.triggerBuild(workflowRequest(5)))._unsafeUnwrap();
    expect(built.assignments).toHaveLength(5);
    expect(peak).toBe(2);
  });

  it("fails the run when one card breaks the path rules, and asks nobody about that card", async () => {
    const { orchestrator } = setup({
      agent: { [fixtureId(102)]: [{ commits: [{ files: { "src/card2/.env": "X=1\n" } }] }] },
    });
    const built = (await orchestrator.triggerBuild(workflowRequest(5)))._unsafeUnwrap();
    expect(built.run.phase).toBe("failed");
    const bad = built.assignments.find((a) => a.card_id === fixtureId(102));
    expect(bad?.phase).toBe("failed");
    expect(built.approvals.some((x) => x.assignment_id === bad?.id)).toBe(false);
  });
});
