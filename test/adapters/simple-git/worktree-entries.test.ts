import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  ADDING_LOCK_PREFIX,
  clearDeadWorktreeEntries,
  clearInterruptedWorktreeAdd,
} from "../../../src/adapters/simple-git/worktree-entries.js";

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

/**
 * What git leaves of an add at `<root>/p1.worktrees/a1`, in its order: the entry with `locked`, the
 * worktree's directory, the entry's `gitdir`, then files checked out.
 */
async function layout(lockReason: string | null, stage: "directory" | "gitdir" | "files" = "files") {
  const root = await mkdtemp(join(tmpdir(), "rungate-wt-"));
  dirs.push(root);
  const clone = join(root, "p1");
  const worktree = join(root, "p1.worktrees", "a1");
  const admin = join(clone, "worktrees", "a1");
  await mkdir(admin, { recursive: true });
  if (lockReason !== null) await writeFile(join(admin, "locked"), lockReason);
  await mkdir(worktree, { recursive: true });
  if (stage !== "directory") await writeFile(join(admin, "gitdir"), `${join(worktree, ".git")}\n`);
  if (stage === "files") await writeFile(join(worktree, "half-checked-out.txt"), "x");
  return { clone, worktree, admin };
}

describe("a worktree add killed half-way", () => {
  it("is cleared when its entry is still locked as initializing", async () => {
    const { clone, worktree, admin } = await layout("initializing");
    expect(await clearInterruptedWorktreeAdd(clone, worktree)).toBe(true);
    expect(existsSync(admin)).toBe(false);
    expect(existsSync(worktree)).toBe(false);
  });

  it("leaves a finished worktree alone, and one a person locked for another reason", async () => {
    for (const reason of [null, "kept by ana"]) {
      const { clone, worktree } = await layout(reason);
      expect(await clearInterruptedWorktreeAdd(clone, worktree)).toBe(false);
      expect(await clearDeadWorktreeEntries(clone, 0)).toBe(0);
      expect(await readFile(join(worktree, "half-checked-out.txt"), "utf8")).toBe("x");
    }
  });

  it("removes the empty directory of an add killed before it wrote gitdir, from any card", async () => {
    const { clone, worktree, admin } = await layout(`${ADDING_LOCK_PREFIX}, pid 1 on h`, "directory");
    expect(await clearDeadWorktreeEntries(clone)).toBe(1);
    expect(existsSync(admin)).toBe(false);
    expect(existsSync(worktree)).toBe(false);
  });

  it("keeps files at the worktree path of an entry without gitdir: they are not the add's", async () => {
    const { clone, worktree, admin } = await layout(`${ADDING_LOCK_PREFIX}, pid 1 on h`, "directory");
    await writeFile(join(worktree, "notes.txt"), "someone's");
    expect(await clearInterruptedWorktreeAdd(clone, worktree)).toBe(true);
    expect(existsSync(admin)).toBe(false);
    expect(await readFile(join(worktree, "notes.txt"), "utf8")).toBe("someone's");
  });
});
