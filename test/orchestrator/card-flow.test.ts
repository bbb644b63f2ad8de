import { describe, expect, it } from "vitest";
import { mergeAsPerson } from "../../src/testing/fakes/in-memory-pull-request-host.js";
import { CARD, cardRequest, setup } from "./helpers.js";

describe("a card run, end to end on the fakes", () => {
  it("goes from trigger to a merge observed, storing every record and event", async () => {
    const { ports, orchestrator } = setup({
      agent: {
        [CARD]: [
          {
            commits: [{ files: { "src/cart/total.ts": "export const total = 1;\n" }, message: "cart total" }],
          },
        ],
      },
    });
    const built = (await orchestrator.triggerBuild(cardRequest({ idempotency_key: "k1" })))._unsafeUnwrap();
    expect(built.run.phase).toBe("awaiting_approval");
    expect(built.run.status).toBe("blocked");
    const [a] = built.assignments;
    expect(a?.phase).toBe("awaiting_approval");
    expect(a?.worktree_path).toMatch(/\.worktrees\//);
    expect(a?.head_sha).toBe(ports.git.branchTip(built.run.worktree_root ?? "", a?.feature_branch ?? ""));
    expect(built.checks.map((c) => [c.check_type, c.status, c.head_sha])).toEqual(
      expect.arrayContaining([
        ["policy", "passed", a?.head_sha],
        ["lint", "passed", a?.head_sha],
        ["unit", "passed", a?.head_sha],
      ]),
    );
    expect(built.checks).toHaveLength(3);
    expect(built.approvals.map((x) => [x.approval_type, x.status, x.head_sha])).toEqual([
      ["create_pr", "pending", a?.head_sha],
    ]);
    expect(built.executions.map((e) => [e.status, e.outcome, e.attempt])).toEqual([
      ["completed", "committed", 1],
    ]);
    expect(ports.dispatcher.dispatches).toHaveLength(1);
    expect(ports.dispatcher.dispatches[0]?.task).toContain("src/**");
    expect(ports.pullRequests.pullRequests).toHaveLength(0);

    const approval = built.approvals[0];
    if (!a || !approval) throw new Error("missing records");
    const decided = (
      await orchestrator.recordApprovalDecision({
        run_id: built.run.id,
        approval_id: approval.id,
        decision: "approve",
        decided_by: "alice",
        notes: "ok",
      })
    )._unsafeUnwrap();
    expect(decided.assignment.phase).toBe("approved");
    expect(decided.approval.resolved_by).toBe("user:alice");

    const pr = (await orchestrator.createPullRequestCandidate({ assignment_id: a.id }))._unsafeUnwrap();
    expect(pr.status).toBe("draft_open");
    expect(pr.description).toContain("unit: **passed**");
    expect(pr.description).toContain("create_pr: **approved** by user:alice");
    expect(pr.description).toContain("src/cart/total.ts");
    expect(ports.pullRequests.pullRequests).toHaveLength(1);

    const untouched = (await orchestrator.observePullRequest({ assignment_id: a.id }))._unsafeUnwrap();
    expect(untouched.status).toBe("draft_open");
    mergeAsPerson(ports.pullRequests, pr.pr_url ?? "", "bob");
    const merged = (await orchestrator.observePullRequest({ assignment_id: a.id }))._unsafeUnwrap();
    expect(merged.status).toBe("merged");

    const final = (await orchestrator.getRun(built.run.id))._unsafeUnwrap();
    expect(final.run.phase).toBe("completed");
    expect(final.run.status).toBe("completed");
    expect(final.run.ended_at).not.toBeNull();
    expect(final.assignments[0]?.phase).toBe("merged");

    const events = (await ports.storage.listEvents(built.run.id))._unsafeUnwrap();
    expect(events.map((e) => e.sequence)).toEqual(events.map((_, i) => i + 1));
    const story = events.map((e) =>
      e.event_type.endsWith("transitioned")
        ? `${e.event_type.split(".")[0]}:${String(e.payload.to)}`
        : e.event_type,
    );
    expect(story).toEqual([
      "run.created",
      "assignment.created",
      "run:preparing",
      "assignment:preparing",
      "assignment:ready",
      "run:agents_running",
      "assignment:agent_running",
      "agent.dispatched",
      // The scripted agent's first line at once, the newest of the rest when it ended (one per second).
      "agent.progress",
      "agent.progress",
      "assignment:checking",
      "assignment.changes_collected",
      "run:checking",
      "check.completed",
      "check.completed",
      "check.completed",
      "assignment:awaiting_approval",
      "approval.requested",
      "run:awaiting_approval",
      "approval.decided",
      "assignment:approved",
      "run:approved",
      "assignment:pr_open",
      "pull_request.drafted",
      "run:pr_open",
      "pull_request.review_requested",
      "pull_request.observed",
      "assignment:merged",
      "run:completed",
    ]);
    expect(events.find((e) => e.event_type === "approval.decided")?.actor).toBe("user:alice");
    expect(events.find((e) => e.event_type === "pull_request.observed")?.actor).toBe("pr_host:bob");
    expect(ports.eventSink.events.map((e) => e.id)).toEqual(events.map((e) => e.id));
  });

  it("replays the stored log and then follows live events through orchestrator.events()", async () => {
    const { orchestrator } = setup();
    const created = (await orchestrator.createRun(cardRequest()))._unsafeUnwrap();
    const controller = new AbortController();
    const seen: string[] = [];
    const reading = (async () => {
      for await (const e of orchestrator.events(created.run.id, { signal: controller.signal })) {
        seen.push(`${e.sequence}:${e.event_type}`);
        if (e.event_type === "approval.requested") controller.abort();
      }
    })();
    await orchestrator.resumeRun(created.run.id);
    await reading;
    expect(seen[0]).toBe("1:run.created");
    expect(seen.map((s) => Number(s.split(":")[0]))).toEqual(seen.map((_, i) => i + 1));
    expect(seen.at(-1)).toMatch(/approval.requested$/);
  });

  it("has no way to merge: no orchestrator method, no port method", () => {
    const { ports, orchestrator } = setup();
    const names = (o: object) => {
      const out = new Set<string>();
      for (let p: object | null = o; p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
        for (const k of Object.getOwnPropertyNames(p)) out.add(k);
      }
      return [...out];
    };
    expect(names(orchestrator).filter((n) => /merge/i.test(n))).toEqual([]);
    expect(
      names(ports.pullRequests).filter(
        (n) =>
          /merge/i.test(n) &&
          typeof (ports.pullRequests as unknown as Record<string, unknown>)[n] === "function",
      ),
    ).toEqual([]);
  });
});

describe("cancelling a run", () => {
  it("cancels the unfinished cards and the run, attributed to the person", async () => {
    const { ports, orchestrator } = setup();
    const built = (await orchestrator.triggerBuild(cardRequest()))._unsafeUnwrap();
    const cancelled = (
      await orchestrator.cancelRun({ run_id: built.run.id, cancelled_by: "ana" })
    )._unsafeUnwrap();
    expect(cancelled.run.phase).toBe("cancelled");
    expect(cancelled.run.status).toBe("cancelled");
    expect(cancelled.assignments.map((a) => a.phase)).toEqual(["cancelled"]);
    const events = (await ports.storage.listEvents(built.run.id))._unsafeUnwrap();
    expect(events.slice(-2).map((e) => e.actor)).toEqual(["user:ana", "user:ana"]);
    const again = (
      await orchestrator.cancelRun({ run_id: built.run.id, cancelled_by: "ana" })
    )._unsafeUnwrap();
    expect(again.run.phase).toBe("cancelled");
    expect(
      (await orchestrator.requestApproval({ assignment_id: built.assignments[0]?.id ?? "" })).isErr(),
    ).toBe(true);
  });
});
