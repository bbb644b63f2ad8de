/**
 * A card built again after its earlier run's pull request was merged or closed: the remote branch still holds
 * that PR's head (a host that keeps merged branches, a squash merge), so the rebuilt branch is no
 * fast-forward of it. The PR step replaces exactly that head, by lease, and nothing else.
 */
import { describe, expect, it } from "vitest";
import { runCardLifecycle } from "../../bench/card-lifecycle.js";
import type { RunEvent } from "../../src/index.js";
import { closeAsPerson, mergeAsPerson } from "../../src/testing/index.js";
import { CARD, cardRequest, setup } from "./helpers.js";

const REPO = cardRequest().repo_url;
const WORK = { commits: [{ files: { "src/cart/total.ts": "1\n" }, message: "total" }] };
const WORK_AGAIN = { commits: [{ files: { "src/cart/total.ts": "2\n" }, message: "total again" }] };
const FORBIDDEN = { commits: [{ files: { "src/ok.ts": "1\n", "secrets/key.txt": "k\n" } }] };

type World = ReturnType<typeof setup>;

/** Triggers a run of the card, has a person approve it and asks for its draft PR (the result, unwrapped not). */
async function buildAndPropose(world: World) {
  const { orchestrator } = world;
  const built = (await orchestrator.triggerBuild(cardRequest()))._unsafeUnwrap();
  const card = built.assignments[0];
  const approval = built.approvals[0];
  if (card === undefined || approval === undefined) throw new Error("the run did not reach approval");
  const decision = { run_id: built.run.id, approval_id: approval.id, decision: "approve" as const };
  (await orchestrator.recordApprovalDecision({ ...decision, decided_by: "alice" }))._unsafeUnwrap();
  const pr = await orchestrator.createPullRequestCandidate({ assignment_id: card.id });
  return { run: built.run, card, pr };
}

/** A run of the card whose draft PR a person then merged or closed, recorded by `observePullRequest`. */
async function proposedAndEnded(world: World, end: "merge" | "close") {
  const first = await buildAndPropose(world);
  const pr = first.pr._unsafeUnwrap();
  const act = end === "merge" ? mergeAsPerson : closeAsPerson;
  act(world.ports.pullRequests, pr.pr_url ?? "", "bob")._unsafeUnwrap();
  (await world.orchestrator.observePullRequest({ assignment_id: first.card.id }))._unsafeUnwrap();
  return { ...first, pr };
}

async function eventsOf(world: World, run_id: string, type: string): Promise<RunEvent[]> {
  const events = (await world.ports.storage.listEvents(run_id))._unsafeUnwrap();
  return events.filter((e) => e.event_type === type);
}

describe("building a card again after its pull request was decided", () => {
  it("runs the whole card lifecycle twice on the in-memory ports", async () => {
    const { ports, orchestrator } = setup();
    const request = cardRequest();
    await runCardLifecycle(orchestrator, ports.pullRequests, request);
    await runCardLifecycle(orchestrator, ports.pullRequests, request);
    expect(ports.pullRequests.pullRequests.map((p) => p.status)).toEqual(["merged", "merged"]);
  });

  it("pushes the rebuilt head over exactly the merged PR's head, proposes it, and records the replacement", async () => {
    const world = setup({ agent: { [CARD]: [WORK, WORK_AGAIN] } });
    const first = await proposedAndEnded(world, "merge");
    const branch = first.card.feature_branch;
    expect(world.ports.git.remoteBranchTip(REPO, branch)).toBe(first.pr.head_sha);

    const second = await buildAndPropose(world);
    const pr = second.pr._unsafeUnwrap();
    const head = (await world.orchestrator.getRun(second.run.id))._unsafeUnwrap().assignments[0]?.head_sha;
    expect(pr).toMatchObject({ status: "draft_open", head_sha: head });
    expect(head).not.toBe(first.pr.head_sha);
    expect(world.ports.git.remoteBranchTip(REPO, branch)).toBe(head);
    expect(world.ports.pullRequests.pullRequests.at(-1)).toMatchObject({ url: pr.pr_url, head_sha: head });
    const [replaced, ...more] = await eventsOf(world, second.run.id, "assignment.remote_branch_replaced");
    expect(more).toEqual([]);
    expect(replaced?.payload).toEqual({
      assignment_id: second.card.id,
      feature_branch: branch,
      replaced_sha: first.pr.head_sha,
      head_sha: head,
      earlier_run_id: first.run.id,
      earlier_pull_request_id: first.pr.id,
      earlier_pr_url: first.pr.pr_url,
      earlier_status: "merged",
    });
    // Asked again, the step answers the stored candidate: no second push, no second event.
    const again = (
      await world.orchestrator.createPullRequestCandidate({ assignment_id: second.card.id })
    )._unsafeUnwrap();
    expect(again.id).toBe(pr.id);
    expect(await eventsOf(world, second.run.id, "assignment.remote_branch_replaced")).toHaveLength(1);
  });

  it("treats a PR a person closed without merging like a merged one", async () => {
    const world = setup({ agent: { [CARD]: [WORK, WORK_AGAIN] } });
    const first = await proposedAndEnded(world, "close");
    const second = await buildAndPropose(world);
    const pr = second.pr._unsafeUnwrap();
    expect(world.ports.git.remoteBranchTip(REPO, first.card.feature_branch)).toBe(pr.head_sha);
    const [replaced] = await eventsOf(world, second.run.id, "assignment.remote_branch_replaced");
    expect(replaced?.payload).toMatchObject({ replaced_sha: first.pr.head_sha, earlier_status: "closed" });
  });

  it("refuses, overwriting nothing, once someone moved the remote branch after the earlier PR was merged", async () => {
    const world = setup({ agent: { [CARD]: [WORK, WORK_AGAIN] } });
    const { git, pullRequests } = world.ports;
    const first = await proposedAndEnded(world, "merge");
    const branch = first.card.feature_branch;
    // Someone who can push to the remote (a reviewer, or an agent that reached it) adds a commit to the
    // merged PR's branch: the lease on the head rungate pushed no longer holds.
    const moved = git.commitToRemote(REPO, branch, { "src/cart/late.ts": "late\n" }, "late")._unsafeUnwrap();
    const drafts = pullRequests.pullRequests.length;

    const second = await buildAndPropose(world);
    expect(second.pr._unsafeUnwrapErr()).toMatchObject({ kind: "conflict", code: "non_fast_forward" });
    // The refusal says what happened and the way on, for a person.
    expect(second.pr._unsafeUnwrapErr().message).toContain(`someone pushed to the remote branch ${branch}`);
    expect(second.pr._unsafeUnwrapErr().message).toContain("delete the remote branch");
    expect(git.remoteBranchTip(REPO, branch)).toBe(moved);
    expect(pullRequests.pullRequests).toHaveLength(drafts);
    expect((await world.ports.storage.listPullRequests(second.run.id))._unsafeUnwrap()).toEqual([]);
    expect(await eventsOf(world, second.run.id, "assignment.remote_branch_replaced")).toEqual([]);
    const stays = (await world.orchestrator.getRun(second.run.id))._unsafeUnwrap().assignments[0];
    expect(stays?.phase).toBe("approved");
    // The one lease tried was the merged PR's head, never what the remote held then.
    const pushes = git.operations.filter((o) => o.op === "push").map((o) => o.args);
    expect(pushes.at(-1)).toMatchObject({ branch, replaces_sha: first.pr.head_sha });
  });

  it("keeps the refusal when no earlier run of the card proposed a PR (what the remote holds is not rungate's)", async () => {
    const world = setup({ agent: { [CARD]: [FORBIDDEN, WORK_AGAIN] } });
    const { git, pullRequests } = world.ports;
    const failed = (await world.orchestrator.triggerBuild(cardRequest()))._unsafeUnwrap();
    expect(failed.run.phase).toBe("failed");
    const card = failed.assignments[0];
    const branch = card?.feature_branch ?? "";
    // The agent of the failed attempt pushed its branch itself.
    const clone_path = failed.run.worktree_root ?? "";
    (await git.push({ clone_path, branch, head_sha: card?.head_sha ?? "" }))._unsafeUnwrap();
    const pushed = git.remoteBranchTip(REPO, branch);

    const second = await buildAndPropose(world);
    expect(second.pr._unsafeUnwrapErr()).toMatchObject({ kind: "conflict", code: "non_fast_forward" });
    expect(second.pr._unsafeUnwrapErr().message).toContain("no pull request of this card");
    expect(second.pr._unsafeUnwrapErr().message).toContain("delete the remote branch");
    expect(git.remoteBranchTip(REPO, branch)).toBe(pushed);
    expect(pullRequests.pullRequests).toEqual([]);
    const pushes = git.operations.filter((o) => o.op === "push").map((o) => o.args);
    expect(pushes.filter((args) => (args as { replaces_sha?: string }).replaces_sha !== undefined)).toEqual(
      [],
    );
  });
});
