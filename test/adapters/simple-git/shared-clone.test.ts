import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readdir, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { createSimpleGitAdapter } from "../../../src/adapters/simple-git/index.js";
import { ADDING_LOCK_PREFIX } from "../../../src/adapters/simple-git/worktree-entries.js";
import {
  commitFiles,
  createBareRemote,
  gitIn,
  isolateGit,
  ok,
  removeTempDirs,
  tempDir,
} from "./git-helpers.js";

// Several adapters (as several workers would) sharing one clone root, with real git. All local.

vi.setConfig({ testTimeout: 120_000, hookTimeout: 60_000 });
await isolateGit();
afterAll(removeTempDirs);

const PROJECT_ID = "3f1e9c7a-0000-4000-8000-000000000001";

/** A remote whose tree is big enough that a worktree checkout takes a while (the window races hit). */
async function setup() {
  const dir = await tempDir("rungate-shared-clone-");
  const files: Record<string, string> = {};
  for (let i = 0; i < 400; i++) files[`src/m${i}/file.txt`] = `${i}\n`.repeat(50);
  const repo_url = await createBareRemote(dir, files);
  const root = join(dir, "repos");
  return { dir, root, repo_url };
}

describe("simple-git adapter: one clone shared by several workers", () => {
  it("prepares 16 cards at once from 4 adapters (fetches, branches and worktree adds interleaved) without a git race", async () => {
    const { root, repo_url } = await setup();
    const adapters = [0, 1, 2, 3].map((i) => createSimpleGitAdapter({ root, name: `worker-${i}` }));
    const adapterOf = (i: number) => adapters[i % adapters.length] ?? createSimpleGitAdapter({ root });
    const first = await ok(adapterOf(0).ensureClone({ project_id: PROJECT_ID, repo_url }));
    const cards = Array.from({ length: 16 }, (_, i) => ({ id: randomUUID(), branch: `rungate/card-${i}` }));
    const prepared = await Promise.all(
      cards.map(async (card, i) => {
        const git = adapterOf(i);
        const { clone_path } = await ok(git.ensureClone({ project_id: PROJECT_ID, repo_url }));
        await ok(git.createFeatureBranch({ clone_path, branch: card.branch, base_branch: "main" }));
        return ok(git.createWorktree({ clone_path, branch: card.branch, assignment_id: card.id }));
      }),
    );
    expect(prepared.every((p) => p.created)).toBe(true);
    // Each card has a repository of its own on its branch; none is a linked worktree of the clone.
    for (const [i, card] of cards.entries()) {
      const path = prepared[i]?.worktree_path ?? "";
      expect((await gitIn(path, "symbolic-ref", "HEAD")).trim()).toBe(`refs/heads/${card.branch}`);
      expect(await gitIn(path, "status", "--porcelain")).toBe("");
    }
    expect(await gitIn(first.clone_path, "worktree", "list", "--porcelain")).not.toContain("branch ");
    expect(existsSync(join(first.clone_path, "rungate.lock"))).toBe(false);
    await Promise.all(
      prepared.map((p, i) => ok(adapterOf(i).removeWorktree({ clone_path: first.clone_path, ...p }))),
    );
    expect(await readdir(join(first.clone_path, "worktrees")).catch(() => [])).toEqual([]);
  });

  /**
   * A clone with the branch of a card whose worker was killed inside `git worktree add` (`leave` lays out
   * what the add left), then: another card's fetch clears it under the clone lock, and the victim's heir
   * makes the worktree again.
   */
  async function killedAddIsCleared(leave: (clone_path: string, worktree_path: string) => Promise<void>) {
    const { root, repo_url } = await setup();
    const git = createSimpleGitAdapter({ root });
    const { clone_path } = await ok(git.ensureClone({ project_id: PROJECT_ID, repo_url }));
    const victim = { id: randomUUID(), branch: "rungate/victim" };
    await ok(git.createFeatureBranch({ clone_path, branch: victim.branch, base_branch: "main" }));
    const worktree_path = join(`${clone_path}.worktrees`, victim.id);
    await leave(clone_path, worktree_path);

    expect((await git.ensureClone({ project_id: PROJECT_ID, repo_url })).isOk()).toBe(true);
    expect(existsSync(join(clone_path, "worktrees", victim.id))).toBe(false);
    expect(existsSync(worktree_path)).toBe(false);
    const again = await ok(
      git.createWorktree({ clone_path, branch: victim.branch, assignment_id: victim.id }),
    );
    expect(again).toEqual({ worktree_path, created: true });
    expect(await gitIn(worktree_path, "status", "--porcelain")).toBe("");
  }

  const DEAD_REASON = `${ADDING_LOCK_PREFIX}, pid 999999 on elsewhere`;

  it("clears what an add killed half-way left (HEAD not yet a commit), which made every fetch of the clone fail", async () => {
    await killedAddIsCleared(async (clone_path, worktree_path) => {
      // Killed right after it registered the entry: locked with rungate's reason, HEAD still the zero id.
      const add = ["worktree", "add", "--lock", "--reason", DEAD_REASON, worktree_path, "rungate/victim"];
      await gitIn(clone_path, ...add);
      await writeFile(join(clone_path, "worktrees", basename(worktree_path), "HEAD"), `${"0".repeat(40)}\n`);
      await expect(gitIn(clone_path, "fetch", "origin")).rejects.toThrow(/bad object/);
    });
  });

  it("clears an add killed after it made the worktree's directory but before it wrote the entry's gitdir", async () => {
    // Seen in the kill -9 soak: another card's fetch cleared the dead entry but not the empty directory
    // git had made, and the heir's add then answered worktree_path_occupied.
    await killedAddIsCleared(async (clone_path, worktree_path) => {
      // git's order: the entry and its `locked`, then the worktree's directory, then `gitdir`.
      const admin = join(clone_path, "worktrees", basename(worktree_path));
      await mkdir(admin, { recursive: true });
      await writeFile(join(admin, "locked"), DEAD_REASON);
      await mkdir(worktree_path, { recursive: true });
    });
  });

  it("clears the branch lock a git process killed while updating the branch left, when a step meets it", async () => {
    // Seen in the kill -9 soak: the heir's add failed "cannot lock ref 'HEAD'" on refs/heads/<branch>.lock.
    const { root, repo_url } = await setup();
    const git = createSimpleGitAdapter({ root });
    const { clone_path } = await ok(git.ensureClone({ project_id: PROJECT_ID, repo_url }));
    const lockOf = (branch: string) => join(clone_path, "refs", "heads", `${branch}.lock`);
    const leaveLock = async (branch: string) => {
      await mkdir(dirname(lockOf(branch)), { recursive: true });
      await writeFile(lockOf(branch), `${"1".repeat(40)}\n`);
    };
    // Killed while creating the branch: the next creation meets the lock and, once it stayed untouched,
    // removes it (stale-ref-locks.ts).
    await leaveLock("rungate/new");
    await ok(git.createFeatureBranch({ clone_path, branch: "rungate/new", base_branch: "main" }));
    expect(existsSync(lockOf("rungate/new"))).toBe(false);
    // A step that does not update the branch (a worktree made from it) leaves its lock alone.
    await leaveLock("rungate/new");
    const id = randomUUID();
    const made = await ok(git.createWorktree({ clone_path, branch: "rungate/new", assignment_id: id }));
    expect(made.created).toBe(true);
    expect(existsSync(lockOf("rungate/new"))).toBe(true);
    expect(await gitIn(made.worktree_path, "status", "--porcelain")).toBe("");
    // Killed while importing an agent's work: the next import meets the lock, clears it and lands.
    const base_sha = (await gitIn(clone_path, "rev-parse", "refs/heads/rungate/new")).trim();
    const head = await commitFiles(made.worktree_path, { "src/agent.ts": "export {};\n" }, "Agent");
    const input = { clone_path, worktree_path: made.worktree_path, branch: "rungate/new", base_sha };
    expect((await ok(git.importWork(input))).findings).toEqual([]);
    expect(existsSync(lockOf("rungate/new"))).toBe(false);
    expect((await gitIn(clone_path, "rev-parse", "refs/heads/rungate/new")).trim()).toBe(head);
  });

  it("leaves alone a worktree an agent or a person is adding (locked 'initializing', younger than 2 s)", async () => {
    const { root, repo_url } = await setup();
    const git = createSimpleGitAdapter({ root });
    const { clone_path } = await ok(git.ensureClone({ project_id: PROJECT_ID, repo_url }));
    const other = join(`${clone_path}.worktrees`, "by-hand");
    await gitIn(
      clone_path,
      "worktree",
      "add",
      "--lock",
      "--reason",
      "initializing",
      "--detach",
      other,
      "origin/main",
    );
    await ok(git.ensureClone({ project_id: PROJECT_ID, repo_url }));
    expect(existsSync(join(clone_path, "worktrees", "by-hand", "locked"))).toBe(true);
    expect(existsSync(join(other, "src", "m0", "file.txt"))).toBe(true);
  });
});
