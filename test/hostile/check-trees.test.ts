import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { isolateGit, removeTempDirs } from "../adapters/simple-git/git-helpers.js";
import { hostileWorld, readBack } from "./hostile-world.js";

// Checks run the agent's code (its tests). They run in a tree rungate checked out at exactly the recorded
// head, never in the agent's worktree, and rungate looks at that tree again afterwards without running git in
// it: a check that rewrote the code it judged, or moved HEAD, cannot pass.

vi.setConfig({ testTimeout: 120_000 });
await isolateGit();
afterAll(removeTempDirs);

/** A unit check runner (test/run.mjs) committed by the agent, doing `body` and then passing. */
function runnerDoing(body: string): string {
  const script = [
    'import { execFileSync } from "node:child_process";',
    'import { writeFileSync, appendFileSync } from "node:fs";',
    body,
    "console.log('ok');",
  ].join("\n");
  return `cat > test/run.mjs <<'EOF'\n${script}\nEOF\ncommit "A test runner"`;
}

describe("hostile agent: checks run on exactly the recorded head, in a tree rungate owns", () => {
  it("runs the check outside the agent's worktree, on the committed code, and removes the tree afterwards", async () => {
    const world = await hostileWorld();
    const seen = join(world.dir, "check-cwd.txt");
    const run_id = await world.build(
      runnerDoing(`appendFileSync(${JSON.stringify(seen)}, process.cwd() + "\\n");`),
    );
    const { assignments, checks } = await readBack(world, run_id);
    expect(checks.find((c) => c.check_type === "unit")?.status).toBe("passed");
    const cwd = readFileSync(seen, "utf8").trim();
    expect(cwd).not.toBe(assignments[0]?.worktree_path);
    expect(existsSync(cwd)).toBe(false);
    expect(assignments[0]?.phase).toBe("awaiting_approval");
  });

  it("a check that rewrites the code it judges fails, naming the paths, and no approval is asked", async () => {
    const world = await hostileWorld();
    const run_id = await world.build(
      runnerDoing(`writeFileSync("src/cart.js", "export const total = () => 5;\\n");`),
    );
    const { checks, approvals, assignments } = await readBack(world, run_id);
    const unit = checks.find((c) => c.check_type === "unit");
    expect(unit?.status).toBe("failed");
    expect(unit?.output).toContain("the check changed the tree it ran in");
    expect(unit?.output).toContain("src/cart.js");
    expect(approvals).toEqual([]);
    expect(assignments[0]?.phase).toBe("checks_failed");
  });

  it("a check that moves HEAD to another commit fails", async () => {
    const world = await hostileWorld();
    const run_id = await world.build(
      runnerDoing(`execFileSync("git", ["checkout", "-q", "--detach", "HEAD~1"], { stdio: "ignore" });`),
    );
    const unit = (await readBack(world, run_id)).checks.find((c) => c.check_type === "unit");
    expect(unit?.status).toBe("failed");
    expect(unit?.output).toContain("HEAD moved");
  });

  it("a check that arms its tree's git config gets nothing run when rungate inspects the tree", async () => {
    const world = await hostileWorld();
    const evil = JSON.stringify(world.evil);
    const arm = [
      `execFileSync("git", ["config", "core.fsmonitor", ${evil}]);`,
      `execFileSync("git", ["config", "filter.evil.clean", ${evil}]);`,
      'execFileSync("mkdir", ["-p", ".git/info"]);',
      'writeFileSync(".git/info/attributes", "* filter=evil\\n");',
    ].join("\n");
    const run_id = await world.build(runnerDoing(arm));
    const { checks, assignments } = await readBack(world, run_id);
    expect(checks.find((c) => c.check_type === "unit")?.status).toBe("passed");
    expect(assignments[0]?.phase).toBe("awaiting_approval");
    expect(world.markerText()).toBeNull();
  });
});
