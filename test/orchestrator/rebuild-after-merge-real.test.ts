/**
 * A card built again after its pull request was squash-merged, on the real adapters: real git (simple-git, a
 * local bare remote that keeps merged branches), real agent and check processes, the local PR host. The
 * rebuilt branch is pushed with git's --force-with-lease on exactly the merged PR's head, or not at all.
 */
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { recordLocalMerge } from "../../src/adapters/local-pr-host/index.js";
import { fixtureId } from "../../src/testing/index.js";
import { isolateGit, pushAsSomeoneElse, removeTempDirs } from "../adapters/simple-git/git-helpers.js";
import { approveAndPropose, type HostileWorld, hostileWorld, readBack } from "../hostile/hostile-world.js";

await isolateGit();
afterAll(removeTempDirs);

/** The agent's script: sets the fee in src/fee.js and commits. */
const setsFee = (fee: number) => `printf 'export const fee = ${fee};\\n' > src/fee.js\ncommit "fee ${fee}"`;

/**
 * A first run of `card` proposed and then squash-merged by a person: `main` gets the change as a new commit,
 * the card's branch stays on the remote at the PR's head. Returns that run's PR.
 */
async function proposedAndSquashMerged(w: HostileWorld, card: string) {
  await w.setScript(card, setsFee(1));
  const first = (await w.orchestrator.triggerBuild(w.request(card)))._unsafeUnwrap();
  const pr = await approveAndPropose(w, first.run.id);
  await pushAsSomeoneElse(
    w.remote,
    "main",
    { "src/fee.js": "export const fee = 1;\n" },
    "Add fee (squashed)",
  );
  (await recordLocalMerge(join(w.dir, "pull-requests"), pr.pr_url ?? "", "bob"))._unsafeUnwrap();
  const assignment_id = first.assignments[0]?.id ?? "";
  expect((await w.orchestrator.observePullRequest({ assignment_id }))._unsafeUnwrap().status).toBe("merged");
  return { run: first.run, pr, branch: first.assignments[0]?.feature_branch ?? "" };
}

/** The card built again with another change, approved; the draft PR step's result. */
async function builtAgainAndProposed(w: HostileWorld, card: string) {
  await w.setScript(card, setsFee(2));
  const again = (await w.orchestrator.triggerBuild(w.request(card)))._unsafeUnwrap();
  expect(again.run.phase).toBe("awaiting_approval");
  (
    await w.orchestrator.recordApprovalDecision({
      run_id: again.run.id,
      approval_id: again.approvals[0]?.id ?? "",
      decision: "approve",
      decided_by: "ana",
    })
  )._unsafeUnwrap();
  const assignment_id = again.assignments[0]?.id ?? "";
  return { run: again.run, pr: await w.orchestrator.createPullRequestCandidate({ assignment_id }) };
}

describe("building a card again after a squash merge, on real git", () => {
  it("replaces the merged PR's head on the remote with the rebuilt head and opens a new draft", async () => {
    const w = await hostileWorld();
    const card = fixtureId(62_001);
    const first = await proposedAndSquashMerged(w, card);
    expect(w.remoteTip(first.branch)).toBe(first.pr.head_sha);

    const second = await builtAgainAndProposed(w, card);
    const pr = second.pr._unsafeUnwrap();
    expect(pr.status).toBe("draft_open");
    expect(pr.head_sha).not.toBe(first.pr.head_sha);
    expect(w.remoteTip(first.branch)).toBe(pr.head_sha);
    const { events } = await readBack(w, second.run.id);
    const replaced = events.filter((e) => e.event_type === "assignment.remote_branch_replaced");
    expect(replaced.map((e) => e.payload)).toEqual([
      expect.objectContaining({
        replaced_sha: first.pr.head_sha,
        head_sha: pr.head_sha,
        earlier_status: "merged",
      }),
    ]);
  }, 60_000);

  it("refuses, keeping their commit, when someone pushed to the branch after the merge", async () => {
    const w = await hostileWorld();
    const card = fixtureId(62_002);
    const first = await proposedAndSquashMerged(w, card);
    const theirs = await pushAsSomeoneElse(w.remote, first.branch, { "src/late.js": "late\n" }, "Late");

    const second = await builtAgainAndProposed(w, card);
    expect(second.pr._unsafeUnwrapErr()).toMatchObject({ kind: "conflict", code: "non_fast_forward" });
    expect(w.remoteTip(first.branch)).toBe(theirs);
    const { events } = await readBack(w, second.run.id);
    expect(events.filter((e) => e.event_type === "assignment.remote_branch_replaced")).toEqual([]);
  }, 60_000);
});
