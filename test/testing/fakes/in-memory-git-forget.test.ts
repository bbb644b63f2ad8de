import { describe, expect, it } from "vitest";
import { createOrchestrator, type Orchestrator } from "../../../src/index.js";
import { createInMemoryGit } from "../../../src/testing/fakes/in-memory-git.js";
import { mergeAsPerson } from "../../../src/testing/fakes/in-memory-pull-request-host.js";
import { createInMemoryStorage } from "../../../src/testing/fakes/in-memory-storage.js";
import type { ForgottenRun } from "../../../src/testing/fakes/run-retention.js";
import { fixtureId, policyFixture, runInputFixture } from "../../../src/testing/fixtures.js";
import { createInMemoryPorts, type InMemoryPorts } from "../../../src/testing/in-memory-ports.js";
import { expectOk } from "../../../src/testing/result-expectations.js";

const REPO = "https://example.invalid/acme/shop.git";

/** In-memory ports whose store keeps `retain` ended runs and has the git fake forget what it forgets. */
function wired(retain: number): InMemoryPorts & { readonly forgotten: ForgottenRun[] } {
  const base = createInMemoryPorts();
  const forgotten: ForgottenRun[] = [];
  const storage = createInMemoryStorage({
    clock: base.clock,
    retain_ended_runs: retain,
    onForget: (run) => {
      forgotten.push(run);
      base.git.forget(run);
    },
  });
  return { ...base, storage, forgotten };
}

function request(card: number) {
  const card_id = fixtureId(10_000 + card);
  const input = runInputFixture();
  return { ...input, card_id, cards: input.cards.map((c) => ({ ...c, card_id })), policy: policyFixture() };
}

/** Builds card `card` up to approval (a run that has not ended). */
async function build(orchestrator: Orchestrator, card: number) {
  return expectOk(await orchestrator.triggerBuild(request(card)));
}

type Built = Awaited<ReturnType<typeof build>>;

/** Approves, drafts, merges (a person) and observes the PR of a built card: its run completes. */
async function finish(
  p: InMemoryPorts,
  orchestrator: Orchestrator,
  built: Awaited<ReturnType<typeof build>>,
) {
  const [assignment] = built.assignments;
  const [approval] = built.approvals;
  if (!assignment || !approval) throw new Error("the build did not reach approval");
  const decision = { run_id: built.run.id, approval_id: approval.id, decision: "approve" as const };
  expectOk(await orchestrator.recordApprovalDecision({ ...decision, decided_by: "alice" }));
  const pr = expectOk(await orchestrator.createPullRequestCandidate({ assignment_id: assignment.id }));
  expectOk(mergeAsPerson(p.pullRequests, pr.pr_url ?? "", "bob"));
  expectOk(await orchestrator.observePullRequest({ assignment_id: assignment.id }));
  expect(expectOk(await p.storage.getRun(built.run.id)).phase).toBe("completed");
  return built;
}

async function lifecycle(p: InMemoryPorts, orchestrator: Orchestrator, card: number) {
  return finish(p, orchestrator, await build(orchestrator, card));
}

describe("a store wired to the git fake (onForget → git.forget) forgets a run's git state with the run", () => {
  it("after 3×N lifecycles with a bound N, git holds the worktrees and branches of N cards, locally and on the remote", async () => {
    const N = 3;
    const p = wired(N);
    const orchestrator = createOrchestrator(p);
    const cards: Built[] = [];
    for (let card = 0; card < 3 * N; card++) cards.push(await lifecycle(p, orchestrator, card));
    const clone_path = cards[0]?.run.worktree_root ?? "";

    expect(p.forgotten.map((f) => f.run_id)).toEqual(cards.slice(0, 2 * N).map((c) => c.run.id));
    const branches = (b: Built) => b.assignments.map((a) => a.feature_branch);
    const workspaces = expectOk(await p.git.listWorkspaces({ clone_path }));
    expect(workspaces.map((w) => w.assignment_id).sort()).toEqual(
      cards
        .slice(-N)
        .flatMap((c) => c.assignments.map((a) => a.id))
        .sort(),
    );
    const local = expectOk(await p.git.listBranches({ clone_path })).map((b) => b.branch);
    expect(local.filter((b) => b !== "main").sort()).toEqual(cards.slice(-N).flatMap(branches).sort());
    for (const branch of cards.slice(0, 2 * N).flatMap(branches)) {
      expect(p.git.remoteBranchTip(REPO, branch)).toBeUndefined();
      expect((await p.git.headSha({ clone_path, ref: `origin/${branch}` })).isErr()).toBe(true);
    }
    for (const branch of cards.slice(-N).flatMap(branches)) {
      expect(p.git.remoteBranchTip(REPO, branch)).toBeDefined();
    }
    expect(p.git.remoteBranchTip(REPO, "main")).toBeDefined();
  });

  it("lets a card be built again after its earlier run was forgotten", async () => {
    const p = wired(1);
    const orchestrator = createOrchestrator(p);
    await lifecycle(p, orchestrator, 0);
    await lifecycle(p, orchestrator, 1);
    await lifecycle(p, orchestrator, 2);
    expect(p.forgotten).toHaveLength(2);
    const again = await build(orchestrator, 0);
    expect(again.run.phase).toBe("awaiting_approval");
    await finish(p, orchestrator, again);
  });

  it("never releases a branch a kept run of the same card still uses", async () => {
    const p = wired(1);
    const orchestrator = createOrchestrator(p);
    const first = await lifecycle(p, orchestrator, 0);
    const second = await build(orchestrator, 0);
    await lifecycle(p, orchestrator, 1);
    await lifecycle(p, orchestrator, 2);

    expect(p.forgotten.map((f) => f.run_id)).toContain(first.run.id);
    const released = p.forgotten.find((f) => f.run_id === first.run.id)?.released_branches;
    expect(released).toEqual([]);
    const branch = second.assignments[0]?.feature_branch ?? "";
    expect(p.git.branchTip(second.run.worktree_root ?? "", branch)).toBeDefined();
    expect(p.git.remoteBranchTip(REPO, branch)).toBeDefined();
    const workspaces = expectOk(await p.git.listWorkspaces({ clone_path: second.run.worktree_root ?? "" }));
    expect(workspaces.map((w) => w.assignment_id)).toContain(second.assignments[0]?.id);
    expect(expectOk(await p.storage.getRun(second.run.id)).phase).toBe("awaiting_approval");
  });

  it("keeps everything of a run awaiting approval while many others end, and it can still finish", async () => {
    const p = wired(2);
    const orchestrator = createOrchestrator(p);
    const waiting = await build(orchestrator, 999);
    for (let card = 0; card < 12; card++) await lifecycle(p, orchestrator, card);

    const clone_path = waiting.run.worktree_root ?? "";
    const workspaces = expectOk(await p.git.listWorkspaces({ clone_path }));
    expect(workspaces.map((w) => w.assignment_id)).toContain(waiting.assignments[0]?.id);
    await finish(p, orchestrator, waiting);
  });
});

describe("the git fake's forget helper", () => {
  it("keeps a branch a worktree holds, the remote's first branch, and ignores unknown paths", async () => {
    const git = createInMemoryGit();
    git.createRemote(REPO, { "a.txt": "a\n" });
    const { clone_path } = expectOk(await git.ensureClone({ project_id: fixtureId(1), repo_url: REPO }));
    expectOk(await git.createFeatureBranch({ clone_path, branch: "held", base_branch: "main" }));
    expectOk(await git.createWorktree({ clone_path, branch: "held", assignment_id: fixtureId(2) }));

    git.forget({ clone_path: "/nowhere", worktree_paths: ["/x"], released_branches: ["held"] });
    git.forget({ clone_path: null, worktree_paths: [], released_branches: ["held"] });
    git.forget({ clone_path, worktree_paths: [], released_branches: ["held", "main", "unknown"] });

    expect(git.branchTip(clone_path, "held")).toBeDefined();
    expect(git.remoteBranchTip(REPO, "main")).toBeDefined();
    expect(expectOk(await git.listWorkspaces({ clone_path }))).toHaveLength(1);
  });

  it("drops the commits no ref reaches any more, and answers for those it keeps", async () => {
    const git = createInMemoryGit();
    const main = git.createRemote(REPO, { "a.txt": "a\n" });
    const { clone_path } = expectOk(await git.ensureClone({ project_id: fixtureId(1), repo_url: REPO }));
    const shas: string[] = [];
    // Enough forgotten branches for a collection (they are collected in batches of at least 64).
    for (let n = 0; n < 70; n++) {
      const branch = `card-${n}`;
      expectOk(await git.createFeatureBranch({ clone_path, branch, base_branch: "main" }));
      const { worktree_path } = expectOk(
        await git.createWorktree({ clone_path, branch, assignment_id: fixtureId(100 + n) }),
      );
      shas.push(
        expectOk(git.commit({ worktree_path, files: { [`f${n}.txt`]: `${n}\n` }, message: `n${n}` })),
      );
      expectOk(await git.push({ clone_path, branch }));
      git.forget({ clone_path, worktree_paths: [worktree_path], released_branches: [branch] });
    }
    // The first collection ran once 64 branches were forgotten: their commits are gone.
    for (const sha of shas.slice(0, 64)) {
      expect((await git.headSha({ clone_path, ref: sha })).isErr()).toBe(true);
    }
    expect(expectOk(await git.headSha({ clone_path, ref: main }))).toBe(main);
    expect(expectOk(await git.fileContent({ clone_path, ref: "main", path: "a.txt" }))).toBe("a\n");
  });
});
