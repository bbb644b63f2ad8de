import { describe, expect, it } from "vitest";
import { cardRequest, setup } from "./helpers.js";

/** A card approved by alice, ready for a second head. */
async function approvedCard(decision: "approve" | "reject" = "approve") {
  const { ports, orchestrator } = setup();
  const built = (await orchestrator.triggerBuild(cardRequest()))._unsafeUnwrap();
  const a = built.assignments[0];
  const approval = built.approvals[0];
  if (!a?.worktree_path || !approval) throw new Error("missing records");
  (
    await orchestrator.recordApprovalDecision({
      run_id: built.run.id,
      approval_id: approval.id,
      decision,
      decided_by: "alice",
      notes: "checked by hand",
    })
  )._unsafeUnwrap();
  const changed = ports.git
    .changedFiles({
      clone_path: built.run.worktree_root ?? "",
      base: a.base_sha ?? "",
      head: a.head_sha ?? "",
    })
    .map((files) => files.map((f) => f.path));
  const paths = (await changed)._unsafeUnwrap();
  const agentFile = paths[0] ?? "";
  return { ports, orchestrator, built, a, approval, agentFile };
}

describe("approvals are bound to content, not to a commit id", () => {
  it("keeps a person's approval across a reworded commit (same content), and the card stays approved", async () => {
    const { ports, orchestrator, built, a, approval, agentFile } = await approvedCard();
    const content = (
      await ports.git.fileContent({
        clone_path: built.run.worktree_root ?? "",
        ref: a.head_sha ?? "",
        path: agentFile,
      })
    )._unsafeUnwrap();
    // Someone rewrites the commit without changing a byte: a new head with the same tree. (The fake git makes
    // no empty commits, so an edit and its undo stand in for the reword.)
    ports.git.commit({
      worktree_path: a.worktree_path ?? "",
      files: { [agentFile]: "undone\n" },
      message: "tmp",
    });
    const reworded = ports.git
      .commit({
        worktree_path: a.worktree_path ?? "",
        files: { [agentFile]: content ?? "" },
        message: "reworded",
      })
      ._unsafeUnwrap();
    expect(reworded).not.toBe(a.head_sha);
    const outcome = (await orchestrator.executeChecks({ assignment_id: a.id }))._unsafeUnwrap();
    expect(outcome.result).toBe("awaiting_approval");
    const card = (await ports.storage.getAssignment(a.id))._unsafeUnwrap();
    expect(card).toMatchObject({ phase: "approved", head_sha: reworded });
    const approvals = (await ports.storage.listApprovals(built.run.id))._unsafeUnwrap();
    const carried = approvals.find((x) => x.head_sha === reworded);
    expect(carried).toMatchObject({
      status: "approved",
      resolved_by: "user:alice",
      carried_from: approval.id,
      notes: "checked by hand",
    });
    expect(carried?.content_digest).toBe(approvals.find((x) => x.id === approval.id)?.content_digest);
    const events = (await ports.storage.listEvents(built.run.id))._unsafeUnwrap();
    expect(events.filter((e) => e.event_type === "approval.carried")).toHaveLength(1);
    // The PR gate opens for the new head without anyone deciding again.
    expect((await orchestrator.createPullRequestCandidate({ assignment_id: a.id })).isOk()).toBe(true);
    expect(ports.pullRequests.pullRequests[0]?.head_sha).toBe(reworded);
  });

  it("voids the approval when the content changes: a new request waits for a person", async () => {
    const { ports, orchestrator, built, a, approval } = await approvedCard();
    const changed = ports.git
      .commit({
        worktree_path: a.worktree_path ?? "",
        files: { "src/extra.ts": "one more line\n" },
        message: "more",
      })
      ._unsafeUnwrap();
    (await orchestrator.executeChecks({ assignment_id: a.id }))._unsafeUnwrap();
    const card = (await ports.storage.getAssignment(a.id))._unsafeUnwrap();
    expect(card).toMatchObject({ phase: "awaiting_approval", head_sha: changed });
    const fresh = (await ports.storage.listApprovals(built.run.id))
      ._unsafeUnwrap()
      .filter((x) => x.head_sha === changed);
    expect(fresh.map((x) => [x.status, x.carried_from])).toEqual([["pending", null]]);
    expect(fresh[0]?.content_digest).not.toBe(approval.content_digest);
    expect((await orchestrator.createPullRequestCandidate({ assignment_id: a.id })).isErr()).toBe(true);
  });

  it("never carries a rejection, even to identical content", async () => {
    const { ports, orchestrator, built, a, agentFile } = await approvedCard("reject");
    const content = (
      await ports.git.fileContent({
        clone_path: built.run.worktree_root ?? "",
        ref: a.head_sha ?? "",
        path: agentFile,
      })
    )._unsafeUnwrap();
    // The fake git makes no empty commits: an edit and its undo give a new head with the same tree.
    ports.git.commit({
      worktree_path: a.worktree_path ?? "",
      files: { [agentFile]: "undone\n" },
      message: "tmp",
    });
    const reworded = ports.git
      .commit({
        worktree_path: a.worktree_path ?? "",
        files: { [agentFile]: content ?? "" },
        message: "reworded after a rejection",
      })
      ._unsafeUnwrap();
    (await orchestrator.executeChecks({ assignment_id: a.id }))._unsafeUnwrap();
    const fresh = (await ports.storage.listApprovals(built.run.id))
      ._unsafeUnwrap()
      .filter((x) => x.head_sha === reworded);
    expect(fresh.map((x) => x.status)).toEqual(["pending"]);
  });
});
