import { randomUUID } from "node:crypto";
import { chmod, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { createSimpleGitAdapter } from "../../../src/adapters/simple-git/index.js";
import {
  commitFiles,
  createBareRemote,
  fails,
  gitIn,
  isolateGit,
  ok,
  removeTempDirs,
  tempDir,
} from "./git-helpers.js";

// Which git processes a card costs, counted through a logging git wrapper (no timing: what is asserted is
// the commands and what they printed). simple-git waits 50 ms after any process that printed nothing, so
// every command of a card must print something. Real git, all local; no network.

vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });
await isolateGit();
afterAll(removeTempDirs);

/** One logged git process: its subcommand (the `-c` settings skipped) and the bytes it printed. */
interface Logged {
  readonly command: string;
  readonly printed: number;
}

/** An adapter over a `/bin/sh` wrapper that logs every git process; `take()` returns those since last call. */
async function loggedAdapter() {
  const dir = await tempDir("rungate-git-procs-");
  const log = join(dir, "calls.log");
  const wrapper = join(dir, "git-logging");
  await writeFile(
    wrapper,
    `#!/bin/sh
out=$(mktemp); err=$(mktemp)
git "$@" >"$out" 2>"$err"; rc=$?
printf '%s %s\\n' "$(( $(wc -c <"$out") + $(wc -c <"$err") ))" "$*" >>"${log}"
cat "$out"; cat "$err" >&2; rm -f "$out" "$err"; exit $rc
`,
  );
  await chmod(wrapper, 0o755);
  const git = createSimpleGitAdapter({ root: join(dir, "repos"), git_binary: wrapper });
  let seen = 0;
  const take = async (): Promise<Logged[]> => {
    const lines = (await readFile(log, "utf8").catch(() => "")).split("\n").filter((l) => l !== "");
    const fresh = lines.slice(seen);
    seen = lines.length;
    return fresh.map((line) => {
      const [printed = "0", ...args] = line.split(" ");
      const command = args.join(" ").replace(/-c \S+ /g, "");
      return { command, printed: Number(printed) };
    });
  };
  const remote = await createBareRemote(dir, { "README.md": "# shop\n", "src/cart.ts": "export {};\n" });
  return { dir, git, take, remote };
}

const subcommands = (logged: readonly Logged[]) => logged.map((l) => l.command.split(" ")[0]);

describe("simple-git adapter: git processes of one card", () => {
  it("runs 17 git processes for a card, each printing something (the import reads the agent's repository as a stranger's)", async () => {
    const { git, take, remote } = await loggedAdapter();
    const branch = "rungate/card-1";
    const { clone_path } = await ok(git.ensureClone({ project_id: randomUUID(), repo_url: remote }));
    const clone = await take();
    const { base_sha } = await ok(git.createFeatureBranch({ clone_path, branch, base_branch: "main" }));
    const feature = await take();
    const { worktree_path } = await ok(git.createWorktree({ clone_path, branch, assignment_id: "a-1" }));
    const worktree = await take();
    const head = await commitFiles(worktree_path, { "src/new.ts": "export {};\n" }, "Add new");
    await take(); // the commit is plain git, not the adapter's
    const imported = await ok(git.importWork({ clone_path, worktree_path, branch, base_sha }));
    const landed = await take();
    const changed = await ok(git.changedFiles({ clone_path, base: base_sha, head: branch }));
    const diff = await take();

    expect(imported).toEqual({ head_sha: head, findings: [], remote_refs_moved: [] });
    expect(changed.map((c) => [c.path, c.status])).toEqual([["src/new.ts", "added"]]);
    expect(await ok(git.headSha({ clone_path, ref: branch }))).toBe(head);
    expect(subcommands(clone)).toEqual(["init", "fetch"]);
    expect(subcommands(feature)).toEqual(["for-each-ref", "update-ref"]);
    expect(subcommands(worktree)).toEqual(["for-each-ref", "init", "read-tree"]);
    expect(subcommands(landed)).toEqual([
      "ls-remote",
      "for-each-ref",
      "ls-remote",
      "fetch",
      "rev-parse",
      "merge-base",
      "read-tree",
      "status",
      "update-ref",
    ]);
    expect(subcommands(diff)).toEqual(["diff-tree"]);
    for (const call of [...clone, ...feature, ...worktree, ...landed, ...diff]) {
      expect({ command: call.command, printed: call.printed > 0 }).toEqual({
        command: call.command,
        printed: true,
      });
    }
  });

  it("asks git about a branch name only when it is outside the plain safe pattern", async () => {
    const { git, take, remote } = await loggedAdapter();
    const { clone_path } = await ok(git.ensureClone({ project_id: randomUUID(), repo_url: remote }));
    await take();
    await ok(git.createFeatureBranch({ clone_path, branch: "release/1.2", base_branch: "main" }));
    expect(subcommands(await take())).toEqual(["check-ref-format", "for-each-ref", "update-ref"]);
    expect((await gitIn(clone_path, "for-each-ref", "refs/heads/release/1.2")).trim()).not.toBe("");
  });

  it("removes and prunes worktrees with commands that print, so nothing waits", async () => {
    const { git, take, remote } = await loggedAdapter();
    const { clone_path } = await ok(git.ensureClone({ project_id: randomUUID(), repo_url: remote }));
    await ok(git.createFeatureBranch({ clone_path, branch: "rungate/r", base_branch: "main" }));
    const { worktree_path } = await ok(
      git.createWorktree({ clone_path, branch: "rungate/r", assignment_id: "r" }),
    );
    await take();
    await ok(git.removeWorktree({ clone_path, worktree_path }));
    await ok(git.prune({ clone_path }));
    const cleanup = await take();
    // The worktree is a directory of rungate's: removed without git; prune still clears legacy entries.
    expect(cleanup.map((c) => c.command.split(" ").slice(0, 2).join(" "))).toEqual(["worktree prune"]);
    for (const call of cleanup) expect(call.printed).toBeGreaterThan(0);
  });
});

describe("simple-git adapter: the short paths fall back to the careful ones", () => {
  it("diffs from refs whose first candidate does not exist, and answers not_found for unknown ones", async () => {
    const { git, remote } = await loggedAdapter();
    const { clone_path } = await ok(git.ensureClone({ project_id: randomUUID(), repo_url: remote }));
    const branch = "rungate/d";
    const { base_sha } = await ok(git.createFeatureBranch({ clone_path, branch, base_branch: "main" }));
    const { worktree_path } = await ok(git.createWorktree({ clone_path, branch, assignment_id: "d" }));
    await commitFiles(worktree_path, { "src/cart.ts": "export const x = 1;\n" }, "Edit");
    await ok(git.importWork({ clone_path, worktree_path, branch, base_sha }));
    // "main" is origin/main in a clone: its first candidate (refs/heads/main) is absent.
    const fromMain = await ok(git.changedFiles({ clone_path, base: "main", head: branch }));
    expect(fromMain.map((c) => [c.path, c.status])).toEqual([["src/cart.ts", "modified"]]);
    const fromSha = await ok(git.changedFiles({ clone_path, base: base_sha.slice(0, 12), head: branch }));
    expect(fromSha).toEqual(fromMain);
    const unknown = await fails(git.changedFiles({ clone_path, base: base_sha, head: "rungate/none" }));
    expect(unknown).toMatchObject({ kind: "not_found", code: "ref_not_found" });
    const tree = (await gitIn(clone_path, "rev-parse", `${base_sha}^{tree}`)).trim();
    const notCommit = await fails(git.changedFiles({ clone_path, base: tree, head: branch }));
    expect(notCommit).toMatchObject({ kind: "not_found", code: "ref_not_found" });
  });

  it("resolves a ref to an annotated tag to the tagged commit", async () => {
    const { git, remote } = await loggedAdapter();
    const { clone_path } = await ok(git.ensureClone({ project_id: randomUUID(), repo_url: remote }));
    const main = await ok(git.headSha({ clone_path, ref: "main" }));
    await gitIn(clone_path, "tag", "-a", "-m", "v1", "v1", main);
    // git refuses a non-commit under refs/heads/, not under refs/remotes/.
    await gitIn(clone_path, "update-ref", "refs/remotes/origin/tagged", "refs/tags/v1");
    expect(await ok(git.headSha({ clone_path, ref: "refs/tags/v1" }))).toBe(main);
    expect(await ok(git.headSha({ clone_path, ref: "tagged" }))).toBe(main);
  });

  it("creates a worktree again whose directory was deleted by hand, at its path or another", async () => {
    const { git, remote } = await loggedAdapter();
    const { clone_path } = await ok(git.ensureClone({ project_id: randomUUID(), repo_url: remote }));
    const branch = "rungate/p";
    await ok(git.createFeatureBranch({ clone_path, branch, base_branch: "main" }));
    const first = await ok(git.createWorktree({ clone_path, branch, assignment_id: "p-1" }));
    await rm(first.worktree_path, { recursive: true, force: true });
    // Same path: registered but gone; another path: the branch is still "checked out" in the gone one.
    const again = await ok(git.createWorktree({ clone_path, branch, assignment_id: "p-1" }));
    expect(again).toEqual({ worktree_path: first.worktree_path, created: true });
    await rm(again.worktree_path, { recursive: true, force: true });
    const moved = await ok(git.createWorktree({ clone_path, branch, assignment_id: "p-2" }));
    expect(moved.created).toBe(true);
  });

  it("creates the local branch from origin when a worktree is asked for a branch only the remote has", async () => {
    const { git, remote } = await loggedAdapter();
    const { clone_path } = await ok(git.ensureClone({ project_id: randomUUID(), repo_url: remote }));
    const main = await ok(git.headSha({ clone_path, ref: "main" }));
    await gitIn(clone_path, "update-ref", "refs/remotes/origin/rungate/remote-only", main);
    const made = await ok(
      git.createWorktree({ clone_path, branch: "rungate/remote-only", assignment_id: "o" }),
    );
    expect(made.created).toBe(true);
    expect(await ok(git.headSha({ clone_path, ref: "refs/heads/rungate/remote-only" }))).toBe(main);
  });
});
