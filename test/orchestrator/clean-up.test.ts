import { describe, expect, it } from "vitest";
import { CARD, cardRequest, setup, workflowRequest } from "./helpers.js";

const FORBIDDEN = { commits: [{ files: { "secrets/key.txt": "k\n" } }] };
const WORK = { commits: [{ files: { "src/cart/total.ts": "1\n" }, message: "total" }] };

describe("cleanupRun", () => {
  it("refuses a run still going, naming the way on", async () => {
    const { orchestrator } = setup({ agent: { [CARD]: [WORK] } });
    const built = (await orchestrator.triggerBuild(cardRequest()))._unsafeUnwrap();
    const refused = (await orchestrator.cleanupRun({ run_id: built.run.id }))._unsafeUnwrapErr();
    expect(refused).toMatchObject({ kind: "conflict", code: "run_not_finished" });
    expect(refused.message).toContain("cancelRun");
  });

  it("removes a finished run's worktree and deletes its branch (tip kept), once", async () => {
    const { ports, orchestrator } = setup({ agent: { [CARD]: [FORBIDDEN] } });
    const built = (await orchestrator.triggerBuild(cardRequest()))._unsafeUnwrap();
    expect(built.run.phase).toBe("failed");
    const card = built.assignments[0];
    const clone_path = built.run.worktree_root ?? "";
    const tip = card?.head_sha ?? "";
    const report = (await orchestrator.cleanupRun({ run_id: built.run.id }))._unsafeUnwrap();
    expect(report).toEqual({
      removed_worktrees: [card?.worktree_path],
      deleted_branches: [{ branch: card?.feature_branch, sha: tip }],
      kept_branches: [],
    });
    expect((await ports.git.listWorkspaces({ clone_path }))._unsafeUnwrap()).toEqual([]);
    const branches = (await ports.git.listBranches({ clone_path }))._unsafeUnwrap().map((b) => b.branch);
    expect(branches).not.toContain(card?.feature_branch);
    const kept = `refs/rungate/removed/${card?.feature_branch}/${tip}`;
    expect((await ports.git.headSha({ clone_path, ref: kept }))._unsafeUnwrap()).toBe(tip);
    const events = (await ports.storage.listEvents(built.run.id))._unsafeUnwrap();
    expect(events.filter((e) => e.event_type === "run.cleaned_up")).toHaveLength(1);

    const again = (await orchestrator.cleanupRun({ run_id: built.run.id }))._unsafeUnwrap();
    expect(again).toEqual({ removed_worktrees: [], deleted_branches: [], kept_branches: [] });
    expect((await ports.storage.listEvents(built.run.id))._unsafeUnwrap()).toHaveLength(events.length);
  });

  it("keeps the branch of a draft PR that is still open, after the run was cancelled", async () => {
    const { ports, orchestrator } = setup({ agent: { [CARD]: [WORK] } });
    const built = (await orchestrator.triggerBuild(cardRequest()))._unsafeUnwrap();
    const card = built.assignments[0];
    await orchestrator.recordApprovalDecision({
      run_id: built.run.id,
      approval_id: built.approvals[0]?.id ?? "",
      decision: "approve",
      decided_by: "user:alice",
    });
    (await orchestrator.createPullRequestCandidate({ assignment_id: card?.id ?? "" }))._unsafeUnwrap();
    (await orchestrator.cancelRun({ run_id: built.run.id, cancelled_by: "user:alice" }))._unsafeUnwrap();
    const report = (await orchestrator.cleanupRun({ run_id: built.run.id }))._unsafeUnwrap();
    expect(report.removed_worktrees).toEqual([card?.worktree_path]);
    expect(report.deleted_branches).toEqual([]);
    expect(report.kept_branches).toEqual([
      { branch: card?.feature_branch, reason: expect.stringContaining("draft_open") },
    ]);
    const clone_path = built.run.worktree_root ?? "";
    const branches = (await ports.git.listBranches({ clone_path }))._unsafeUnwrap().map((b) => b.branch);
    expect(branches).toContain(card?.feature_branch);
  });
});

describe("pruneWorktrees", () => {
  it("cleans finished runs, reclaims orphans, and leaves a running run's workspace alone", async () => {
    // The workflow fails on its first card; the same card is then built again in a run of its own.
    const { ports, orchestrator } = setup({ agent: { [CARD]: [FORBIDDEN, WORK], "*": [WORK] } });
    const failed = (await orchestrator.triggerBuild(workflowRequest(2)))._unsafeUnwrap();
    expect(failed.run.phase).toBe("failed");
    const going = (await orchestrator.triggerBuild(cardRequest()))._unsafeUnwrap();
    expect(going.run.phase).toBe("awaiting_approval");
    const clone_path = failed.run.worktree_root ?? "";
    // An orphan workspace and branch, as a crashed host or a person could leave them.
    (
      await ports.git.createFeatureBranch({ clone_path, branch: "rungate/orphan", base_branch: "main" })
    )._unsafeUnwrap();
    (
      await ports.git.createWorktree({ clone_path, branch: "rungate/orphan", assignment_id: "lost-card" })
    )._unsafeUnwrap();
    (
      await ports.git.createFeatureBranch({ clone_path, branch: "stray", base_branch: "main" })
    )._unsafeUnwrap();

    const report = (await orchestrator.pruneWorktrees({ project_id: failed.run.project_id }))._unsafeUnwrap();
    expect(report.cleaned_runs).toContain(failed.run.id);
    expect(report.orphan_worktrees).toEqual([expect.stringContaining("lost-card")]);
    expect([...report.orphan_branches].sort()).toEqual(["rungate/orphan", "stray"]);
    const left = (await ports.git.listWorkspaces({ clone_path }))._unsafeUnwrap().map((w) => w.assignment_id);
    expect(left).toEqual([going.assignments[0]?.id]);
    const branches = (await ports.git.listBranches({ clone_path }))._unsafeUnwrap().map((b) => b.branch);
    // The rebuilt card's branch is the live run's; the workflow's other card's branch went.
    expect(branches).toContain(going.assignments[0]?.feature_branch);
    expect(branches).not.toContain(failed.assignments[1]?.feature_branch);
    expect(report.kept_branches).toEqual([
      { branch: going.assignments[0]?.feature_branch, reason: expect.stringContaining(going.run.id) },
    ]);
  });
});
