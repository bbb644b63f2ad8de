import { describe, expect, it } from "vitest";
import { policyFixture } from "../../src/testing/index.js";
import { CARD, cardRequest, setup } from "./helpers.js";

const COMMITTING = { [CARD]: [{ commits: [{ files: { "src/cart/total.ts": "1\n" }, message: "total" }] }] };

async function awaitingApproval(policy = policyFixture()) {
  const world = setup({ agent: COMMITTING });
  const built = (await world.orchestrator.triggerBuild(cardRequest({}, policy)))._unsafeUnwrap();
  expect(built.run.phase).toBe("awaiting_approval");
  return { ...world, built };
}

describe("actors: only a person decides", () => {
  it.each([
    ["agent:coder", "actor_not_a_user"],
    ["system:rungate", "actor_not_a_user"],
    ["pr_host:github", "actor_not_a_user"],
    ["bot:helper", "actor_type_unknown"],
  ])("refuses %s as the decider of an approval, and leaves it pending with no event", async (decider) => {
    const { orchestrator, ports, built } = await awaitingApproval();
    const approval = built.approvals[0];
    if (!approval) throw new Error("no approval");
    const before = (await ports.storage.listEvents(built.run.id))._unsafeUnwrap().length;
    const refused = await orchestrator.recordApprovalDecision({
      run_id: built.run.id,
      approval_id: approval.id,
      decision: "approve",
      decided_by: decider,
    });
    expect(refused._unsafeUnwrapErr()).toMatchObject({ kind: "validation" });
    expect(refused._unsafeUnwrapErr().message).toContain("decided_by");
    const after = (await orchestrator.getRun(built.run.id))._unsafeUnwrap();
    expect(after.approvals[0]?.status).toBe("pending");
    expect(after.assignments[0]?.phase).toBe("awaiting_approval");
    expect((await ports.storage.listEvents(built.run.id))._unsafeUnwrap()).toHaveLength(before);
  });

  it("reads a bare id as a user and stores the decision typed, user:<id>", async () => {
    const { orchestrator, built } = await awaitingApproval();
    const approval = built.approvals[0];
    if (!approval) throw new Error("no approval");
    const decided = (
      await orchestrator.recordApprovalDecision({
        run_id: built.run.id,
        approval_id: approval.id,
        decision: "approve",
        decided_by: "alice",
      })
    )._unsafeUnwrap();
    expect(decided.approval.resolved_by).toBe("user:alice");
    expect(decided.assignment.phase).toBe("approved");
  });

  it("refuses a cancel by an agent; a person's cancel is recorded with who decided", async () => {
    const { orchestrator, ports, built } = await awaitingApproval();
    const refused = await orchestrator.cancelRun({ run_id: built.run.id, cancelled_by: "agent:coder" });
    expect(refused._unsafeUnwrapErr()).toMatchObject({ kind: "validation" });
    expect((await orchestrator.getRun(built.run.id))._unsafeUnwrap().run.phase).toBe("awaiting_approval");
    const cancelled = (
      await orchestrator.cancelRun({ run_id: built.run.id, cancelled_by: "user:bob" })
    )._unsafeUnwrap();
    expect(cancelled.run.phase).toBe("cancelled");
    const events = (await ports.storage.listEvents(built.run.id))._unsafeUnwrap();
    expect(events.filter((e) => e.payload.to === "cancelled").map((e) => e.actor)).toEqual([
      "user:bob",
      "user:bob",
    ]);
  });
});

describe("approval_policy.require_independent_approval", () => {
  const fourEyes = (required_approvals: ("create_pr" | "code_review")[] = ["create_pr"]) =>
    policyFixture({ approval_policy: { require_independent_approval: true, required_approvals } });

  it("refuses the run's initiator approving alone, keeps the request open, and takes another person's", async () => {
    const { orchestrator, built } = await awaitingApproval(fourEyes());
    const approval = built.approvals[0];
    if (!approval) throw new Error("no approval");
    const alone = await orchestrator.recordApprovalDecision({
      run_id: built.run.id,
      approval_id: approval.id,
      decision: "approve",
      decided_by: "user:demo", // the fixture's initiated_by
    });
    expect(alone._unsafeUnwrapErr()).toMatchObject({
      kind: "gate_closed",
      detail: { reasons: [{ code: "approval_not_independent" }] },
    });
    expect((await orchestrator.getRun(built.run.id))._unsafeUnwrap().approvals[0]?.status).toBe("pending");
    const other = (
      await orchestrator.recordApprovalDecision({
        run_id: built.run.id,
        approval_id: approval.id,
        decision: "approve",
        decided_by: "user:erin",
      })
    )._unsafeUnwrap();
    expect(other.assignment.phase).toBe("approved");
  });

  it("lets the initiator approve one kind when somebody else approves another", async () => {
    const { orchestrator, built } = await awaitingApproval(fourEyes(["create_pr", "code_review"]));
    const [first, second] = built.approvals;
    if (!first || !second) throw new Error("expected two approvals");
    const decide = (approval_id: string, decided_by: string) =>
      orchestrator.recordApprovalDecision({
        run_id: built.run.id,
        approval_id,
        decision: "approve",
        decided_by,
      });
    expect((await decide(first.id, "user:demo"))._unsafeUnwrap().assignment.phase).toBe("awaiting_approval");
    expect((await decide(second.id, "user:erin"))._unsafeUnwrap().assignment.phase).toBe("approved");
    const pr = await orchestrator.createPullRequestCandidate({ assignment_id: first.assignment_id ?? "" });
    expect(pr._unsafeUnwrap().status).toBe("draft_open");
  });
});
