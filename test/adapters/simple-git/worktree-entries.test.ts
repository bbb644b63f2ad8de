import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { clearInterruptedWorktreeAdd } from "../../../src/adapters/simple-git/worktree-entries.js";

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function layout(lockReason: string | null) {
  const root = await mkdtemp(join(tmpdir(), "rungate-wt-"));
  dirs.push(root);
  const clone = join(root, "p1");
  const worktree = join(root, "p1.worktrees", "a1");
  const admin = join(clone, "worktrees", "a1");
  await import("node:fs/promises").then(async (fs) => {
    await fs.mkdir(admin, { recursive: true });
    await fs.mkdir(worktree, { recursive: true });
    await writeFile(join(admin, "commondir"), "");
    await writeFile(join(worktree, "half-checked-out.txt"), "x");
    if (lockReason !== null) await writeFile(join(admin, "locked"), lockReason);
  });
  return { clone, worktree, admin };
}

describe("a worktree add killed half-way", () => {
  it("is cleared when its entry is still locked as initializing", async () => {
    const { clone, worktree, admin } = await layout("initializing");
    expect(await clearInterruptedWorktreeAdd(clone, worktree)).toBe(true);
    await expect(readFile(join(admin, "commondir"))).rejects.toThrow();
    await expect(readFile(join(worktree, "half-checked-out.txt"))).rejects.toThrow();
  });

  it("leaves a finished worktree alone, and one a person locked for another reason", async () => {
    for (const reason of [null, "kept by ana"]) {
      const { clone, worktree } = await layout(reason);
      expect(await clearInterruptedWorktreeAdd(clone, worktree)).toBe(false);
      expect(await readFile(join(worktree, "half-checked-out.txt"), "utf8")).toBe("x");
    }
  });
});
