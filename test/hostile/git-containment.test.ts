import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { fixtureId } from "../../src/testing/index.js";
import { isolateGit, removeTempDirs } from "../adapters/simple-git/git-helpers.js";
import { approveAndPropose, hostileWorld, readBack } from "./hostile-world.js";

// The agent is an adversary writing git configuration that names a program: in its own repository, in the
// clone by path (no sandbox here), in attributes and hooks. rungate's git must never run that program, for
// this card or any other of the project, through import, checks, a later card's steps, or the PR push.

vi.setConfig({ testTimeout: 120_000 });
await isolateGit();
afterAll(removeTempDirs);

/** A clean commit that passes the unit check. */
const GOOD_CHANGE = `printf 'export const discount = 0;\\n' > src/discount.js\ncommit "Add a discount"`;

/** Every way a repository's config or files can make git run a program, aimed at `$EVIL`. */
const ARM_OWN_REPOSITORY = `
git config core.fsmonitor "$EVIL"
git config core.hooksPath .git/evil-hooks
git config filter.evil.clean "$EVIL"
git config filter.evil.smudge "$EVIL"
git config filter.evil.required true
git config diff.evil.textconv "$EVIL"
git config uploadpack.packObjectsHook "$EVIL"
git config core.alternateRefsCommand "$EVIL"
git config core.sshCommand "$EVIL"
git config credential.helper "!$EVIL"
git config protocol.allow always
git config url."ext::$EVIL %S ".insteadOf "$REMOTE"
mkdir -p .git/info .git/evil-hooks .git/hooks
printf '* filter=evil diff=evil\\n' > .git/info/attributes
for hook in pre-commit post-checkout post-merge reference-transaction pre-push post-update; do
  printf '#!/bin/sh\\n"%s"\\n' "$EVIL" > .git/hooks/$hook; chmod +x .git/hooks/$hook
  cp .git/hooks/$hook .git/evil-hooks/$hook
done`;

describe("hostile agent: git configuration never reaches rungate's git", () => {
  it("arms its own repository with fsmonitor, filters, hooks, helpers and an ext:: rewrite: nothing runs, the card and the next one pass", async () => {
    const world = await hostileWorld();
    const main = world.remoteTip("main");
    const armed = await world.build(`${GOOD_CHANGE}\n${ARM_OWN_REPOSITORY}`);
    const { run, assignments } = await readBack(world, armed);
    expect(assignments[0]?.phase).toBe("awaiting_approval");
    expect(run.phase).toBe("awaiting_approval");
    // Another card of the same project, through the same clone: fetch, branch, worktree, import, checks.
    const next = await world.build(GOOD_CHANGE.replace("discount", "coupon").replace("discount", "coupon"));
    expect((await readBack(world, next)).assignments[0]?.phase).toBe("awaiting_approval");
    // The PR push of the armed card, after a person's approval.
    const pr = await approveAndPropose(world, armed);
    expect(pr.head_sha).toBe(world.remoteTip(pr.head_branch));
    expect(world.markerText()).toBeNull();
    expect(world.remoteTip("main")).toBe(main);
    // The control: the trap is real. A git that obeys the agent's repository (here, a plain status in its
    // worktree, as the dispatcher ran before) runs the program at once.
    const worktree = (await readBack(world, armed)).assignments[0]?.worktree_path ?? "";
    execFileSync("git", ["status", "--porcelain"], { cwd: worktree, stdio: "ignore" });
    expect(world.markerText()).toContain("ran:");
  });

  it("commits attributes naming a filter its config defines: no checkout of rungate's runs it", async () => {
    const world = await hostileWorld();
    const run = await world.build(
      [
        'git config filter.evil.smudge "$EVIL"',
        'git config filter.evil.clean "$EVIL"',
        "printf '*.js filter=evil\\n' > src/.gitattributes",
        // The agent's own commit runs its clean filter: that is its own process, so the marker starts after.
        'printf "export const x = 1;\\n" > src/x.js',
        'commit "Attributes"',
        'rm -f "$MARKER"',
      ].join("\n"),
    );
    const { assignments, checks } = await readBack(world, run);
    expect(assignments[0]?.phase).toBe("awaiting_approval");
    expect(checks.find((c) => c.check_type === "unit")?.status).toBe("passed");
    expect(world.markerText()).toBeNull();
  });

  it("writes the clone's config and attributes by path (no sandbox): they are put back before rungate's next step", async () => {
    const world = await hostileWorld();
    const run = await world.build(
      [
        GOOD_CHANGE,
        'git config --file "$CLONE/config" core.fsmonitor "$EVIL"',
        'git config --file "$CLONE/config" filter.evil.smudge "$EVIL"',
        'git config --file "$CLONE/config" include.path "$CLONE/evil.inc"',
        'printf "[core]\\n\\tsshCommand = %s\\n" "$EVIL" > "$CLONE/evil.inc"',
        'mkdir -p "$CLONE/info" && printf "* filter=evil\\n" > "$CLONE/info/attributes"',
      ].join("\n"),
    );
    expect((await readBack(world, run)).assignments[0]?.phase).toBe("awaiting_approval");
    const next = await world.build(GOOD_CHANGE.replaceAll("discount", "coupon"));
    expect((await readBack(world, next)).assignments[0]?.phase).toBe("awaiting_approval");
    const config = await readFile(join(world.git_root, fixtureId(1), "config"), "utf8");
    expect(config).not.toContain("fsmonitor");
    expect(config).not.toContain("include");
    expect(world.markerText()).toBeNull();
  });

  it("moves the card's branch in the clone by path after the approval: the moved head is never proposed", async () => {
    const world = await hostileWorld();
    const run_id = await world.build(GOOD_CHANGE);
    const { assignments, approvals } = await readBack(world, run_id);
    const card = assignments[0];
    if (!card || !approvals[0]) throw new Error("the card did not reach its approval");
    const decided = await world.orchestrator.recordApprovalDecision({
      run_id,
      approval_id: approvals[0].id,
      decision: "approve",
      decided_by: "ana",
    });
    expect(decided.isOk()).toBe(true);
    // What another card's agent outside a sandbox could do: point the branch at the bare base commit.
    const clone = join(world.git_root, fixtureId(1));
    execFileSync("git", ["update-ref", `refs/heads/${card.feature_branch}`, card.base_sha ?? ""], {
      cwd: clone,
    });
    const proposed = await world.orchestrator.createPullRequestCandidate({ assignment_id: card.id });
    // The head rungate did not import is treated as new work: back to checking, nothing pushed.
    expect(proposed.isErr()).toBe(true);
    expect(() => world.remoteTip(card.feature_branch)).toThrow();
    expect((await readBack(world, run_id)).assignments[0]?.phase).toBe("checking");
  });

  it("a card asking for main as its branch (any spelling) is refused before any git runs; main never moves", async () => {
    const world = await hostileWorld();
    const main = world.remoteTip("main");
    for (const feature_branch of ["main", "refs/heads/main", "Main"]) {
      await expect(world.build(GOOD_CHANGE, { feature_branch })).rejects.toThrow(/run_input_rejected/);
    }
    expect(world.remoteTip("main")).toBe(main);
    expect(existsSync(world.git_root)).toBe(false);
  });

  it("pushes to the remote itself (no sandbox): the move of another branch is recorded on the run", async () => {
    const world = await hostileWorld();
    const main = world.remoteTip("main");
    const run = await world.build(`${GOOD_CHANGE}\ngit push -q "$REMOTE" HEAD:refs/heads/sneaky`);
    const { events } = await readBack(world, run);
    const moved = events.find((e) => e.event_type === "remote.refs_moved");
    expect(moved?.payload).toMatchObject({ refs: ["refs/heads/sneaky"] });
    expect(world.remoteTip("main")).toBe(main);
  });

  describe("in a bubblewrap sandbox, the same attacks fail where they start", () => {
    it("cannot push to the remote, write the clone's config, or read its parent's environment; its card still passes", async () => {
      const world = await hostileWorld({ sandboxed: true });
      const clone = join(world.git_root, fixtureId(1));
      const main = world.remoteTip("main");
      const token = process.env.RUNGATE_TEST_HOST_DEPLOY_TOKEN ?? "";
      const attempts = [
        GOOD_CHANGE,
        'git push -q "$REMOTE" HEAD:refs/heads/main 2>/dev/null || true',
        'git push -q "$REMOTE" HEAD:refs/heads/sneaky 2>/dev/null || true',
        'git config --file "$CLONE/config" core.fsmonitor "$EVIL" 2>/dev/null || true',
        'echo "* filter=evil" > "$CLONE/info/attributes" 2>/dev/null || true',
        'for f in /proc/[0-9]*/environ; do tr "\\0" "\\n" < $f; done 2>/dev/null | grep RUNGATE_TEST_HOST_DEPLOY_TOKEN > src/stolen.txt || true',
        'git add -A && git -c user.name=a -c user.email=a@x commit -q -m "stolen" || true',
      ].join("\n");
      const run_id = await world.build(attempts);
      const { assignments, events } = await readBack(world, run_id);
      expect(assignments[0]?.phase).toBe("awaiting_approval");
      expect(world.markerText()).toBeNull();
      expect(await readFile(join(clone, "config"), "utf8")).not.toContain("fsmonitor");
      expect(existsSync(join(clone, "info", "attributes"))).toBe(false);
      expect(world.remoteTip("main")).toBe(main);
      expect(() => world.remoteTip("sneaky")).toThrow();
      expect(events.find((e) => e.event_type === "remote.refs_moved")).toBeUndefined();
      expect(await world.dump(run_id)).not.toContain(token);
    });
  });
});
