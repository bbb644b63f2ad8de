import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { describeGitPortContract } from "../../../src/testing/contracts/git-port.js";
import { createInMemoryGit, type InMemoryGit } from "../../../src/testing/fakes/in-memory-git.js";

let remoteCounter = 0;
const nextUrl = () => {
  remoteCounter += 1;
  return `https://example.invalid/acme/repo-${remoteCounter}.git`;
};

describeGitPortContract({
  name: "in-memory",
  make: () => {
    const git = createInMemoryGit();
    return {
      port: git,
      createRemote: async (files) => {
        const url = nextUrl();
        git.createRemote(url, files);
        return url;
      },
      commit: async (worktree_path, files, message) =>
        git.commit({ worktree_path, files, message })._unsafeUnwrap(),
      write: async (tree_path, files) => git.writeUncommitted(tree_path, files)._unsafeUnwrap(),
    };
  },
});

const URL = "https://example.invalid/acme/shop.git";

/** A fake with one remote, a clone, a feature branch and its worktree. */
async function setup(files: Record<string, string> = { "src/a.ts": "a\n", "README.md": "# r\n" }) {
  const git = createInMemoryGit({ name: "fake-git" });
  const root = git.createRemote(URL, files);
  const { clone_path } = (await git.ensureClone({ project_id: "p1", repo_url: URL }))._unsafeUnwrap();
  const branch = "rungate/card-1";
  const { base_sha } = (
    await git.createFeatureBranch({ clone_path, branch, base_branch: "main" })
  )._unsafeUnwrap();
  const { worktree_path } = (
    await git.createWorktree({ clone_path, branch, assignment_id: "a1" })
  )._unsafeUnwrap();
  return { git, root, clone_path, branch, base_sha, worktree_path };
}

describe("in-memory git", () => {
  it("names clones and worktrees after the project and the assignment", async () => {
    const { clone_path, worktree_path, root, base_sha } = await setup();
    expect(clone_path).toBe("/fake/repos/p1");
    expect(worktree_path).toBe("/fake/repos/p1/.worktrees/a1");
    expect(base_sha).toBe(root);
  });

  it("gives deterministic 40-hex shas, unique per instance even for identical commits", async () => {
    const first = createInMemoryGit();
    const second = createInMemoryGit();
    const a = first.createRemote("u1", { x: "1" });
    const b = first.createRemote("u2", { x: "1" });
    expect(a).toMatch(/^[0-9a-f]{40}$/);
    expect(a).not.toBe(b);
    expect(second.createRemote("u1", { x: "1" })).toBe(a);
  });

  it("stamps commits with the injected clock", async () => {
    const git = createInMemoryGit({ now: () => "2030-05-05T05:05:05.000Z" });
    const root = git.createRemote(URL, { a: "1" });
    const sha = git.commitToRemote(URL, "main", { b: "2" }, "Add b")._unsafeUnwrap();
    const { clone_path } = (await git.ensureClone({ project_id: "p", repo_url: URL }))._unsafeUnwrap();
    expect((await git.commitsSince({ clone_path, base: root, head: "main" }))._unsafeUnwrap()).toEqual([
      { sha, message: "Add b", committed_at: "2030-05-05T05:05:05.000Z" },
    ]);
  });

  it("resolves branches, remote-tracking names and abbreviated shas; rejects short or unknown ones", async () => {
    const { git, clone_path, branch, base_sha } = await setup();
    const head = (ref: string) => git.headSha({ clone_path, ref });
    expect((await head(branch))._unsafeUnwrap()).toBe(base_sha);
    expect((await head(`refs/heads/${branch}`))._unsafeUnwrap()).toBe(base_sha);
    expect((await head("origin/main"))._unsafeUnwrap()).toBe(base_sha);
    expect((await head("refs/remotes/origin/main"))._unsafeUnwrap()).toBe(base_sha);
    expect((await head(base_sha.slice(0, 4)))._unsafeUnwrap()).toBe(base_sha);
    expect((await head(base_sha.slice(0, 3)))._unsafeUnwrapErr().kind).toBe("not_found");
    expect((await head("nope"))._unsafeUnwrapErr()).toMatchObject({
      kind: "not_found",
      detail: { entity: "ref", id: "nope" },
    });
  });

  describe("agents on the wrong branch", () => {
    it("commits on another branch of the clone and leaves the worktree's branch alone", async () => {
      const { git, clone_path, branch, base_sha, worktree_path } = await setup();
      const sha = git
        .commit({ worktree_path, files: { "src/a.ts": "oops\n" }, message: "Oops", branch: "main" })
        ._unsafeUnwrap();
      expect(git.branchTip(clone_path, "main")).toBe(sha);
      expect(git.branchTip(clone_path, branch)).toBe(base_sha);
      expect((await git.headSha({ clone_path, ref: "main" }))._unsafeUnwrap()).toBe(sha);
      expect((await git.changedFiles({ clone_path, base: base_sha, head: branch }))._unsafeUnwrap()).toEqual(
        [],
      );
      // The remote's main did not move, and new branches still start from it.
      expect(git.remoteBranchTip(URL, "main")).toBe(base_sha);
      const next = (
        await git.createFeatureBranch({ clone_path, branch: "rungate/card-2", base_branch: "main" })
      )._unsafeUnwrap();
      expect(next).toEqual({ base_sha, created: true });
    });
  });

  describe("uncommitted changes", () => {
    it("lists dirty files, includes them in the next commit, and is clean afterwards", async () => {
      const { git, clone_path, base_sha, branch, worktree_path } = await setup();
      git
        .writeUncommitted(worktree_path, { "src/b.ts": "b\n", "README.md": null, "src/a.ts": "a\n" })
        ._unsafeUnwrap();
      // src/a.ts was rewritten with its committed content: not dirty.
      expect(git.uncommittedChanges(worktree_path)).toEqual(["README.md", "src/b.ts"]);
      expect(git.branchTip(clone_path, branch)).toBe(base_sha);
      const sha = git.commit({ worktree_path, files: { "src/c.ts": "c\n" }, message: "All" })._unsafeUnwrap();
      expect(git.uncommittedChanges(worktree_path)).toEqual([]);
      expect((await git.changedFiles({ clone_path, base: base_sha, head: sha }))._unsafeUnwrap()).toEqual([
        {
          path: "README.md",
          status: "deleted",
          previous_path: null,
          mode: null,
          previous_mode: null,
          symlink_target: null,
          path_bytes: null,
          previous_path_bytes: null,
        },
        {
          path: "src/b.ts",
          status: "added",
          previous_path: null,
          mode: null,
          previous_mode: null,
          symlink_target: null,
          path_bytes: null,
          previous_path_bytes: null,
        },
        {
          path: "src/c.ts",
          status: "added",
          previous_path: null,
          mode: null,
          previous_mode: null,
          symlink_target: null,
          path_bytes: null,
          previous_path_bytes: null,
        },
      ]);
    });

    it("refuses an empty commit, an unknown worktree and an invalid path", async () => {
      const { git, worktree_path } = await setup();
      expect(
        git.commit({ worktree_path, files: { "src/a.ts": "a\n" }, message: "same" })._unsafeUnwrapErr(),
      ).toMatchObject({ kind: "port_failure", code: "nothing_to_commit" });
      expect(
        git.commit({ worktree_path: "/nowhere", files: { x: "1" }, message: "m" })._unsafeUnwrapErr().kind,
      ).toBe("not_found");
      for (const path of ["/abs", "../up", "a//b", ".git/config", ""]) {
        expect(
          git.commit({ worktree_path, files: { [path]: "x" }, message: "m" })._unsafeUnwrapErr().kind,
        ).toBe("validation");
      }
      expect(
        git.commit({ worktree_path, files: { "src/a.ts/inner": "x" }, message: "m" })._unsafeUnwrapErr().code,
      ).toBe("path_conflict");
      expect(git.uncommittedChanges("/nowhere")).toEqual([]);
    });
  });

  describe("when the remote moves", () => {
    it("fetches on reuse; a branch that lacks the new base tip has diverged", async () => {
      const { git, clone_path, branch, base_sha, worktree_path } = await setup();
      git.commit({ worktree_path, files: { "src/a.ts": "mine\n" }, message: "Mine" })._unsafeUnwrap();
      const moved = git.commitToRemote(URL, "main", { "src/other.ts": "theirs\n" }, "Theirs")._unsafeUnwrap();
      expect(git.remoteBranchTip(URL, "main")).toBe(moved);

      // Before the fetch the clone still sees the old base.
      expect(
        (await git.createFeatureBranch({ clone_path, branch, base_branch: "main" }))._unsafeUnwrap(),
      ).toEqual({ base_sha, created: false });
      expect((await git.headSha({ clone_path, ref: "origin/main" }))._unsafeUnwrap()).toBe(base_sha);

      expect((await git.ensureClone({ project_id: "p1", repo_url: URL }))._unsafeUnwrap().reused).toBe(true);
      expect((await git.headSha({ clone_path, ref: "origin/main" }))._unsafeUnwrap()).toBe(moved);
      expect(
        (await git.createFeatureBranch({ clone_path, branch, base_branch: "main" }))._unsafeUnwrapErr(),
      ).toMatchObject({
        kind: "conflict",
        code: "branch_diverged",
        detail: { entity: "branch", id: branch },
      });

      // A new branch starts from the fetched tip.
      expect(
        (
          await git.createFeatureBranch({ clone_path, branch: "rungate/card-2", base_branch: "main" })
        )._unsafeUnwrap(),
      ).toEqual({ base_sha: moved, created: true });
    });

    it("accepts fast-forward pushes and refuses a non-fast-forward one", async () => {
      const { git, clone_path, branch, worktree_path } = await setup();
      const first = git.commit({ worktree_path, files: { "x.txt": "1\n" }, message: "1" })._unsafeUnwrap();
      (await git.push({ clone_path, branch }))._unsafeUnwrap();
      expect(git.remoteBranchTip(URL, branch)).toBe(first);
      const second = git.commit({ worktree_path, files: { "x.txt": "2\n" }, message: "2" })._unsafeUnwrap();
      (await git.push({ clone_path, branch }))._unsafeUnwrap();
      expect(git.remoteBranchTip(URL, branch)).toBe(second);

      // Someone else pushes on the same branch; our next commit no longer contains the remote tip.
      const theirs = git.commitToRemote(URL, branch, { "y.txt": "2\n" }, "theirs")._unsafeUnwrap();
      git.commit({ worktree_path, files: { "x.txt": "3\n" }, message: "3" })._unsafeUnwrap();
      expect((await git.push({ clone_path, branch }))._unsafeUnwrapErr()).toMatchObject({
        kind: "conflict",
        code: "non_fast_forward",
        detail: { entity: "branch", id: branch },
      });
      expect(git.remoteBranchTip(URL, branch)).toBe(theirs);
      expect((await git.push({ clone_path, branch: "no-such" }))._unsafeUnwrapErr().kind).toBe("not_found");
    });
  });

  describe("clones", () => {
    it("answers port_failure for an unknown remote and conflict for another remote", async () => {
      const git = createInMemoryGit({ name: "fake-git" });
      expect(
        (
          await git.ensureClone({ project_id: "p", repo_url: "https://nowhere.invalid/x.git" })
        )._unsafeUnwrapErr(),
      ).toMatchObject({
        kind: "port_failure",
        detail: { port: "GitPort", adapter: "fake-git", operation: "clone", retryable: false },
      });
      git.createRemote(URL, { a: "1" });
      git.createRemote("https://example.invalid/other.git", { a: "1" });
      (await git.ensureClone({ project_id: "p", repo_url: URL }))._unsafeUnwrap();
      expect(
        (
          await git.ensureClone({ project_id: "p", repo_url: "https://example.invalid/other.git" })
        )._unsafeUnwrapErr(),
      ).toMatchObject({ kind: "conflict", code: "clone_remote_mismatch" });
    });

    it("adopts a branch pushed from another clone when it descends from the base", async () => {
      const { git, branch, worktree_path, clone_path } = await setup();
      const tip = git.commit({ worktree_path, files: { "x.txt": "1\n" }, message: "1" })._unsafeUnwrap();
      (await git.push({ clone_path, branch }))._unsafeUnwrap();
      const other = (await git.ensureClone({ project_id: "p2", repo_url: URL }))._unsafeUnwrap().clone_path;
      const again = (
        await git.createFeatureBranch({ clone_path: other, branch, base_branch: "main" })
      )._unsafeUnwrap();
      expect(again.created).toBe(false);
      expect(git.branchTip(other, branch)).toBe(tip);
    });
  });

  describe("worktrees", () => {
    it("refuses a branch checked out elsewhere and a path taken by another branch", async () => {
      const { git, clone_path, branch } = await setup();
      expect(
        (await git.createWorktree({ clone_path, branch, assignment_id: "a2" }))._unsafeUnwrapErr(),
      ).toMatchObject({ kind: "conflict", code: "branch_checked_out" });
      (
        await git.createFeatureBranch({ clone_path, branch: "rungate/card-2", base_branch: "main" })
      )._unsafeUnwrap();
      expect(
        (
          await git.createWorktree({ clone_path, branch: "rungate/card-2", assignment_id: "a1" })
        )._unsafeUnwrapErr(),
      ).toMatchObject({ kind: "conflict", code: "worktree_branch_mismatch" });
      expect(
        (await git.createWorktree({ clone_path, branch: "missing", assignment_id: "a3" }))._unsafeUnwrapErr()
          .kind,
      ).toBe("not_found");
    });

    it("frees the branch when its worktree is removed", async () => {
      const { git, clone_path, branch, worktree_path } = await setup();
      (await git.removeWorktree({ clone_path, worktree_path }))._unsafeUnwrap();
      const again = (await git.createWorktree({ clone_path, branch, assignment_id: "a2" }))._unsafeUnwrap();
      expect(again).toEqual({ worktree_path: "/fake/repos/p1/.worktrees/a2", created: true });
    });
  });

  describe("history", () => {
    it("lists the commits of the branch only, oldest first", async () => {
      const { git, clone_path, branch, base_sha, worktree_path } = await setup();
      const a = git.commit({ worktree_path, files: { "a.txt": "a\n" }, message: "A" })._unsafeUnwrap();
      const b = git.commit({ worktree_path, files: { "b.txt": "b\n" }, message: "B" })._unsafeUnwrap();
      const listed = (await git.commitsSince({ clone_path, base: base_sha, head: branch }))._unsafeUnwrap();
      expect(listed.map((c) => c.message)).toEqual(["A", "B"]);
      expect(listed.map((c) => c.sha)).toEqual([a, b]);
      expect((await git.commitsSince({ clone_path, base: b, head: base_sha }))._unsafeUnwrap()).toEqual([]);
    });
  });

  describe("diffs", () => {
    it("renders a unified diff with context, removals and additions", async () => {
      const { git, clone_path, base_sha, worktree_path } = await setup({ "f.txt": "one\ntwo\nthree\n" });
      const head = git
        .commit({ worktree_path, files: { "f.txt": "one\n2\nthree", "g.txt": "new\n" }, message: "m" })
        ._unsafeUnwrap();
      const diff = (path: string) =>
        git.fileDiff({ clone_path, base: base_sha, head, path }).then((r) => r._unsafeUnwrap());
      expect(await diff("f.txt")).toBe(
        [
          "diff --git a/f.txt b/f.txt",
          "--- a/f.txt",
          "+++ b/f.txt",
          "@@ -1,3 +1,3 @@",
          " one",
          "-two",
          "-three",
          "+2",
          "+three",
          "\\ No newline at end of file",
          "",
        ].join("\n"),
      );
      expect(await diff("g.txt")).toBe(
        ["diff --git a/g.txt b/g.txt", "--- /dev/null", "+++ b/g.txt", "@@ -0,0 +1,1 @@", "+new", ""].join(
          "\n",
        ),
      );
      expect(await diff("absent.txt")).toBe("");
    });
  });

  describe("rename detection", () => {
    it("pairs deletions and additions of identical content deterministically, by path", async () => {
      const { git, clone_path, base_sha, worktree_path } = await setup({
        "old/a.txt": "same\n",
        "old/b.txt": "same\n",
        "empty.txt": "",
        "keep.txt": "k\n",
      });
      const head = git
        .commit({
          worktree_path,
          files: {
            "old/a.txt": null,
            "old/b.txt": null,
            "empty.txt": null,
            "new/y.txt": "same\n",
            "new/x.txt": "same\n",
            "new/empty.txt": "",
          },
          message: "move",
        })
        ._unsafeUnwrap();
      expect((await git.changedFiles({ clone_path, base: base_sha, head }))._unsafeUnwrap()).toEqual([
        {
          path: "empty.txt",
          status: "deleted",
          previous_path: null,
          mode: null,
          previous_mode: null,
          symlink_target: null,
          path_bytes: null,
          previous_path_bytes: null,
        },
        {
          path: "new/empty.txt",
          status: "added",
          previous_path: null,
          mode: null,
          previous_mode: null,
          symlink_target: null,
          path_bytes: null,
          previous_path_bytes: null,
        },
        {
          path: "new/x.txt",
          status: "renamed",
          previous_path: "old/a.txt",
          mode: null,
          previous_mode: null,
          symlink_target: null,
          path_bytes: null,
          previous_path_bytes: null,
        },
        {
          path: "new/y.txt",
          status: "renamed",
          previous_path: "old/b.txt",
          mode: null,
          previous_mode: null,
          symlink_target: null,
          path_bytes: null,
          previous_path_bytes: null,
        },
      ]);
    });
  });

  describe("operations log and cancellation", () => {
    it("records every port call in order, aborted ones included, but not the helpers", async () => {
      const { git, clone_path, worktree_path } = await setup();
      git.commit({ worktree_path, files: { "x.txt": "x\n" }, message: "x" })._unsafeUnwrap();
      const aborted = await git.headSha({ clone_path, ref: "main" }, { signal: AbortSignal.abort() });
      expect(aborted._unsafeUnwrapErr()).toMatchObject({
        kind: "cancelled",
        code: "aborted",
        detail: { operation: "headSha" },
      });
      expect(git.operations.map((o) => o.op)).toEqual([
        "ensureClone",
        "createFeatureBranch",
        "createWorktree",
        "headSha",
      ]);
      expect(git.operations[0]?.args).toEqual({ project_id: "p1", repo_url: URL });
    });

    it("cancels every method when the signal is already aborted", async () => {
      const { git, clone_path, branch, base_sha, worktree_path } = await setup();
      const signal = AbortSignal.abort();
      const o = { signal };
      const calls = [
        git.ensureClone({ project_id: "p1", repo_url: URL }, o),
        git.createFeatureBranch({ clone_path, branch: "b2", base_branch: "main" }, o),
        git.createWorktree({ clone_path, branch, assignment_id: "a9" }, o),
        git.removeWorktree({ clone_path, worktree_path }, o),
        git.headSha({ clone_path, ref: "main" }, o),
        git.changedFiles({ clone_path, base: base_sha, head: branch }, o),
        git.fileDiff({ clone_path, base: base_sha, head: branch, path: "x" }, o),
        git.fileContent({ clone_path, ref: branch, path: "x" }, o),
        git.commitsSince({ clone_path, base: base_sha, head: branch }, o),
        git.push({ clone_path, branch }, o),
      ];
      for (const call of calls) expect((await call)._unsafeUnwrapErr().kind).toBe("cancelled");
      // Nothing happened.
      expect(git.branchTip(clone_path, "b2")).toBeUndefined();
      expect(git.remoteBranchTip(URL, branch)).toBeUndefined();
    });
  });
});

describe("in-memory git: changedFiles as a patch (property)", () => {
  const path = fc.constantFrom("a", "b", "c", "d/e", "d/f", "g/h/i", "g/j");
  const content = fc.constantFrom("", "1", "2", "x\n", "x\ny\n");
  const tree = fc.dictionary(path, content, { maxKeys: 7 });

  async function replay(git: InMemoryGit, a: Record<string, string>, b: Record<string, string>) {
    git.createRemote(URL, a);
    const { clone_path } = (await git.ensureClone({ project_id: "p", repo_url: URL }))._unsafeUnwrap();
    const { base_sha } = (
      await git.createFeatureBranch({ clone_path, branch: "f", base_branch: "main" })
    )._unsafeUnwrap();
    const { worktree_path } = (
      await git.createWorktree({ clone_path, branch: "f", assignment_id: "w" })
    )._unsafeUnwrap();
    const files: Record<string, string | null> = { ...b };
    for (const p of Object.keys(a)) if (!(p in b)) files[p] = null;
    const committed = git.commit({ worktree_path, files, message: "B" });
    const head = committed.isOk() ? committed.value : base_sha;
    return { clone_path, base_sha, head };
  }

  it("applying changedFiles(A→B) to A reproduces B", async () => {
    await fc.assert(
      fc.asyncProperty(tree, tree, async (a, b) => {
        const git = createInMemoryGit();
        const { clone_path, base_sha, head } = await replay(git, a, b);
        const changes = (await git.changedFiles({ clone_path, base: base_sha, head }))._unsafeUnwrap();
        const result = new Map<string, string>(Object.entries(a));
        for (const change of changes) {
          const at = async (p: string) =>
            (await git.fileContent({ clone_path, ref: head, path: p }))._unsafeUnwrap();
          switch (change.status) {
            case "added":
              expect(result.has(change.path)).toBe(false);
              result.set(change.path, (await at(change.path)) ?? "<missing>");
              break;
            case "modified":
              expect(result.has(change.path)).toBe(true);
              result.set(change.path, (await at(change.path)) ?? "<missing>");
              break;
            case "deleted":
              expect(result.delete(change.path)).toBe(true);
              break;
            case "renamed": {
              // A rename moves the old content unchanged: take it from A, not from the head.
              const previous = change.previous_path ?? "<none>";
              const moved = result.get(previous);
              expect(result.delete(previous)).toBe(true);
              result.set(change.path, moved ?? "<missing>");
              break;
            }
            default:
              throw new Error(`unexpected status ${change.status}`);
          }
        }
        expect(Object.fromEntries([...result].sort())).toEqual(Object.fromEntries(Object.entries(b).sort()));
        const sorted = changes.map((c) => c.path);
        expect(sorted).toEqual([...sorted].sort());
        expect(new Set(sorted).size).toBe(sorted.length);
      }),
      { numRuns: 300 },
    );
  });
});
