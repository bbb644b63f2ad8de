import { afterAll, describe, expect, it, vi } from "vitest";
import { isolateGit, removeTempDirs } from "../adapters/simple-git/git-helpers.js";
import { hostileWorld, readBack } from "./hostile-world.js";

// An agent that leaves anything but clean commits on its card's branch fails its attempt with a reason that
// names what it did, whatever it committed: no check runs on that head, no approval is asked for it.

vi.setConfig({ testTimeout: 120_000 });
await isolateGit();
afterAll(removeTempDirs);

/** A change that breaks the unit check (total adds one too many). */
const BUGGY = `printf 'export const total = (p) => p.reduce((a, b) => a + b, 1);\\n' > src/cart.js\ncommit "Buggy total"`;
/** The same file, fixed. */
const FIX = `printf 'export const total = (p) => p.reduce((a, b) => a + b, 0);\\n' > src/cart.js`;

const attacks: readonly { title: string; script: string; outcome: string; reason: RegExp }[] = [
  {
    title: "commits a bug, then switches the worktree to another branch holding a fix",
    script: `${BUGGY}\ngit checkout -q -b side\n${FIX}\ncommit "Fix on the side"`,
    outcome: "wrong_branch",
    reason: /HEAD on refs\/heads\/side/,
  },
  {
    title: "commits a bug, then leaves the fix uncommitted",
    script: `${BUGGY}\n${FIX}`,
    outcome: "uncommitted_changes",
    reason: /src\/cart\.js/,
  },
  {
    title: "commits a bug, then leaves an untracked file",
    script: `${BUGGY}\nprintf 'x\\n' > src/extra.js`,
    outcome: "uncommitted_changes",
    reason: /src\/extra\.js/,
  },
  {
    title: "commits, then detaches HEAD",
    script: `${BUGGY}\ngit checkout -q --detach HEAD`,
    outcome: "detached_head",
    reason: /detached/,
  },
  {
    title: "creates a tag",
    script: `${BUGGY}\ngit tag v9`,
    outcome: "foreign_refs",
    reason: /refs\/tags\/v9/,
  },
  {
    title: "commits on a second branch",
    script: `${BUGGY}\ngit branch other`,
    outcome: "foreign_refs",
    reason: /refs\/heads\/other/,
  },
  {
    title: "hides work in a stash",
    script: `${BUGGY}\n${FIX}\ngit stash -q`,
    outcome: "foreign_refs",
    reason: /refs\/stash/,
  },
  {
    title: "rewrites the branch's history to an unrelated root",
    script: `git checkout -q --orphan fresh\n${FIX}\ncommit "From nothing"\nbr=$(git for-each-ref --format='%(refname)' refs/heads | grep -v fresh)\ngit update-ref "$br" HEAD\ngit symbolic-ref HEAD "$br"\ngit update-ref -d refs/heads/fresh`,
    outcome: "diverged_from_base",
    reason: /no longer contains the base commit/,
  },
  {
    title: "replaces its repository with a pointer to another one",
    script: `${BUGGY}\nrm -rf .git\nprintf 'gitdir: %s\\n' "$REMOTE" > .git`,
    outcome: "repository_replaced",
    reason: /no \.git directory/,
  },
  {
    title: "replaces its .git with a link to rungate's clone",
    script: `${BUGGY}\nrm -rf .git\nln -s "$CLONE" .git`,
    outcome: "repository_replaced",
    reason: /replaced by a link/,
  },
  {
    title: "leaves a nested repository whose config names an fsmonitor",
    script: `${BUGGY}\nmkdir -p src/nested\ngit -C src/nested init -q\ngit -C src/nested config core.fsmonitor "$EVIL"`,
    outcome: "uncommitted_changes",
    reason: /src\/nested/,
  },
];

describe("hostile agent: only clean commits on the card's branch are an attempt that counts", () => {
  it.each(attacks)(
    "$title: fails as $outcome, no check runs, no approval",
    async ({ script, outcome, reason }) => {
      const world = await hostileWorld();
      const run_id = await world.build(script);
      const { assignments, checks, approvals, executions, events, run } = await readBack(world, run_id);
      expect(assignments[0]?.phase).toBe("failed");
      expect(run.phase).toBe("failed");
      expect(executions[0]?.outcome).toBe(outcome);
      expect(executions[0]?.summary ?? "").toMatch(reason);
      expect(checks).toEqual([]);
      expect(approvals).toEqual([]);
      const collected = events.find((e) => e.event_type === "assignment.changes_collected");
      expect(collected?.payload).toMatchObject({ outcome });
      // The clone's branch never moved to what the agent left.
      expect(collected?.payload).toMatchObject({ commits: [] });
    },
  );

  it("the same bug committed cleanly reaches the unit check, which fails it on exactly that head", async () => {
    const world = await hostileWorld();
    const run_id = await world.build(BUGGY);
    const { assignments, checks, approvals } = await readBack(world, run_id);
    const unit = checks.find((c) => c.check_type === "unit");
    expect(unit).toMatchObject({ status: "failed", head_sha: assignments[0]?.head_sha });
    expect(approvals).toEqual([]);
  });
});
