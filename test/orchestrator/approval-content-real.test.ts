/**
 * Approvals bound to content on real git: a person's approval survives `git commit --amend` that only rewords
 * the message (a new commit id, the same tree), and is voided by an amend that changes a line.
 */
import { execFileSync } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { hostileWorld, readBack } from "../hostile/hostile-world.js";

const WORKS = 'echo "export const fee = 1;" > src/fee.js\ncommit "fee"';
const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: "Rita Reviewer",
  GIT_AUTHOR_EMAIL: "rita@example.invalid",
  GIT_COMMITTER_NAME: "Rita Reviewer",
  GIT_COMMITTER_EMAIL: "rita@example.invalid",
};

/** A real card approved by a person, with its worktree to amend. */
async function approvedCard() {
  const w = await hostileWorld();
  const run_id = await w.build(WORKS);
  const { assignments, approvals } = await readBack(w, run_id);
  const card = assignments[0];
  const asked = approvals[0];
  if (!card?.worktree_path || !asked) throw new Error("no card awaiting approval");
  (
    await w.orchestrator.recordApprovalDecision({
      run_id,
      approval_id: asked.id,
      decision: "approve",
      decided_by: "user:rita",
    })
  )._unsafeUnwrap();
  // A person (not the agent) rewrites the branch in rungate's clone, through a worktree of their own.
  const clone = (await readBack(w, run_id)).run.worktree_root ?? "";
  const tree = join(w.dir, `person-${card.id}`);
  execFileSync("git", ["-C", clone, "worktree", "add", "-f", tree, card.feature_branch], { env: GIT_ENV });
  const amend = (...args: string[]) =>
    execFileSync("git", ["-C", tree, "commit", "--amend", ...args], { env: GIT_ENV });
  return { w, run_id, card, asked, amend, tree };
}

describe("approvals on real git follow the content, not the commit id", () => {
  it("a reworded commit keeps the approval: the card is approved at the new head", async () => {
    const { w, run_id, card, asked, amend } = await approvedCard();
    amend("-m", "fee: reworded by a person");
    (await w.orchestrator.executeChecks({ assignment_id: card.id }))._unsafeUnwrap();
    const after = await readBack(w, run_id);
    const moved = after.assignments[0];
    expect(moved?.head_sha).not.toBe(card.head_sha);
    expect(moved?.phase).toBe("approved");
    const carried = after.approvals.find((a) => a.head_sha === moved?.head_sha);
    expect(carried).toMatchObject({ status: "approved", carried_from: asked.id, resolved_by: "user:rita" });
  }, 60_000);

  it("an amend that changes a line voids it: a new request waits for a person", async () => {
    const { w, run_id, card, amend, tree } = await approvedCard();
    await writeFile(join(tree, "src", "fee.js"), "export const fee = 2;\n");
    execFileSync("git", ["-C", tree, "add", "src/fee.js"], { env: GIT_ENV });
    amend("--no-edit");
    (await w.orchestrator.executeChecks({ assignment_id: card.id }))._unsafeUnwrap();
    const after = await readBack(w, run_id);
    const moved = after.assignments[0];
    expect(moved?.phase).toBe("awaiting_approval");
    expect(after.approvals.filter((a) => a.head_sha === moved?.head_sha).map((a) => a.status)).toEqual([
      "pending",
    ]);
  }, 60_000);
});
