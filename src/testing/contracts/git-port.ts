import { describe, expect, it } from "vitest";
import type { GitPort } from "../../ports/git-port.js";
import { errOf, okOf, tracePortCalls } from "./port-calls.js";

/**
 * What {@link describeGitPortContract} needs to exercise a {@link GitPort}: the adapter plus the two things
 * the port itself cannot do — make a remote repository, and commit in a worktree the way an agent would.
 */
export interface GitPortHarness {
  /** The adapter under test. */
  readonly port: GitPort;
  /**
   * Creates a fresh remote repository whose branch `main` holds `files` in one commit and returns the url to
   * pass to `ensureClone`. Each call returns a new, unused url.
   */
  createRemote(files: Readonly<Record<string, string>>): Promise<string>;
  /**
   * Writes `files` (`null` deletes) in the worktree at `worktree_path` and commits everything on its branch
   * with `message`. Returns the new commit's full sha.
   */
  commit(
    worktree_path: string,
    files: Readonly<Record<string, string | null>>,
    message: string,
  ): Promise<string>;
  /**
   * Writes `files` (`null` deletes) in a tree the adapter made (a worktree, or a check tree from
   * `prepareCheckTree`) without committing, the way a careless agent or a check would.
   */
  write(tree_path: string, files: Readonly<Record<string, string | null>>): Promise<void>;
  /** Releases what the harness created (temporary directories, servers). Called after each test. */
  cleanup?(): Promise<void>;
}

/** Options of {@link describeGitPortContract}. */
export interface GitPortContractOptions {
  /** Adapter name, shown in the suite title so a failure says which implementation broke. */
  readonly name: string;
  /** Builds a fresh harness; called once per test. */
  readonly make: () => Promise<GitPortHarness> | GitPortHarness;
}

/** Run-unique prefix so adapters that share a root directory never see another run's projects. */
const RUN_TOKEN = Math.floor(Math.random() * 0xffffff)
  .toString(16)
  .padStart(6, "0");
let projectCounter = 0;

/** A unique project id per call, shaped as a UUID (a safe path segment for any adapter). */
function nextProjectId(): string {
  projectCounter += 1;
  return `00000000-0000-4000-8000-${RUN_TOKEN}${projectCounter.toString(16).padStart(6, "0")}`;
}

const BASE_FILES = {
  "README.md": "# shop\n",
  "src/cart.ts": "export const total = 0;\n",
  "src/legacy.ts": "export const legacy = true;\n",
  "docs/guide.md": "# Guide\n\nHow to use the shop.\nIt has a cart.\n",
} as const;

/**
 * The behaviour rungate's orchestrator relies on from any {@link GitPort}, as a vitest suite. Call it from a
 * test file with a factory for your adapter; every test gets a fresh harness, its own remote and its own
 * project id.
 *
 * @example
 * ```ts
 * import { describeGitPortContract } from "rungate/testing/contracts";
 * describeGitPortContract({ name: "my-git", make: () => makeMyGitHarness() });
 * ```
 */
export function describeGitPortContract(options: GitPortContractOptions): void {
  describe(`GitPort contract: ${options.name}`, () => {
    /** Runs `body` with a fresh harness and always cleans up. */
    function withHarness(body: (harness: GitPortHarness) => Promise<void>): () => Promise<void> {
      return async () => {
        const harness = await options.make();
        try {
          // The harness itself stays the user's object (its methods see it); only `port` is traced.
          const traced: GitPortHarness = Object.create(harness, {
            port: { value: tracePortCalls(harness.port, "git"), enumerable: true },
          });
          await body(traced);
        } finally {
          await harness.cleanup?.();
        }
      };
    }

    /** Clone of a fresh remote holding {@link BASE_FILES}. */
    async function freshClone(harness: GitPortHarness) {
      const repo_url = await harness.createRemote(BASE_FILES);
      const project_id = nextProjectId();
      const clone = await okOf(harness.port.ensureClone({ project_id, repo_url }));
      return { repo_url, project_id, clone_path: clone.clone_path };
    }

    /** A feature branch off main with a worktree. */
    async function freshWorktree(harness: GitPortHarness, branch = "rungate/feature-1", assignment = "a-1") {
      const { port } = harness;
      const cloned = await freshClone(harness);
      const { clone_path } = cloned;
      const { base_sha } = await okOf(port.createFeatureBranch({ clone_path, branch, base_branch: "main" }));
      const { worktree_path } = await okOf(
        port.createWorktree({ clone_path, branch, assignment_id: assignment }),
      );
      return { ...cloned, branch, base_sha, worktree_path };
    }

    /**
     * Commits in the agent's worktree as an agent would, then reads the work back as the orchestrator does
     * (`importWork`): clean, so the branch moves to the commit. Returns the commit's sha.
     */
    async function agentCommit(
      harness: GitPortHarness,
      card: { clone_path: string; branch: string; base_sha: string; worktree_path: string },
      files: Readonly<Record<string, string | null>>,
      message: string,
    ): Promise<string> {
      const sha = await harness.commit(card.worktree_path, files, message);
      const imported = await okOf(harness.port.importWork(card));
      expect(imported.findings).toEqual([]);
      expect(imported.head_sha).toBe(sha);
      return sha;
    }

    describe("clones", () => {
      it(
        "clones once and reuses the clone of the same remote",
        withHarness(async (harness) => {
          const repo_url = await harness.createRemote(BASE_FILES);
          const project_id = nextProjectId();
          const first = await okOf(harness.port.ensureClone({ project_id, repo_url }));
          const second = await okOf(harness.port.ensureClone({ project_id, repo_url }));
          expect(first.reused).toBe(false);
          expect(second).toEqual({ clone_path: first.clone_path, reused: true });
        }),
      );

      it(
        "refuses to reuse a project's clone for another remote",
        withHarness(async (harness) => {
          const { project_id } = await freshClone(harness);
          const other = await harness.createRemote({ "other.txt": "other\n" });
          const error = await errOf(harness.port.ensureClone({ project_id, repo_url: other }));
          expect(error.kind).toBe("conflict");
        }),
      );
    });

    describe("feature branches", () => {
      it(
        "creates a branch from the base and returns the base's head as base_sha",
        withHarness(async (harness) => {
          const { port } = harness;
          const { clone_path } = await freshClone(harness);
          const main = await okOf(port.headSha({ clone_path, ref: "main" }));
          const created = await okOf(
            port.createFeatureBranch({ clone_path, branch: "rungate/card-1", base_branch: "main" }),
          );
          expect(created).toEqual({ base_sha: main, created: true });
          expect(main).toMatch(/^[0-9a-f]{40}$/);
          expect(await okOf(port.headSha({ clone_path, ref: "rungate/card-1" }))).toBe(main);
        }),
      );

      it(
        "reuses an existing branch with the same base (created: false)",
        withHarness(async (harness) => {
          const { port } = harness;
          const { clone_path } = await freshClone(harness);
          const input = { clone_path, branch: "rungate/card-1", base_branch: "main" };
          const first = await okOf(port.createFeatureBranch(input));
          const second = await okOf(port.createFeatureBranch(input));
          expect(second).toEqual({ base_sha: first.base_sha, created: false });
        }),
      );

      it(
        "still reuses the branch after an agent committed on it",
        withHarness(async (harness) => {
          const { port } = harness;
          const card = await freshWorktree(harness);
          const { clone_path, branch, base_sha } = card;
          await agentCommit(harness, card, { "src/new.ts": "export {};\n" }, "Add new");
          const again = await okOf(port.createFeatureBranch({ clone_path, branch, base_branch: "main" }));
          expect(again).toEqual({ base_sha, created: false });
        }),
      );

      it(
        "replaces a branch on request: back to the base tip, its former tip kept under refs/rungate/replaced/",
        withHarness(async (harness) => {
          const { port } = harness;
          const card = await freshWorktree(harness);
          const { clone_path, branch, base_sha, worktree_path } = card;
          const tip = await agentCommit(harness, card, { "src/new.ts": "export {};\n" }, "Add new");
          await okOf(port.removeWorktree({ clone_path, worktree_path }));
          const replaced = await okOf(
            port.createFeatureBranch({ clone_path, branch, base_branch: "main", replace: true }),
          );
          expect(replaced).toEqual({ base_sha, created: false, replaced_sha: tip });
          expect(await okOf(port.headSha({ clone_path, ref: branch }))).toBe(base_sha);
          const kept = `refs/rungate/replaced/${branch}/${tip}`;
          expect(await okOf(port.headSha({ clone_path, ref: kept }))).toBe(tip);
          // A branch already at the base is left as it is; nothing is kept for it.
          const again = await okOf(
            port.createFeatureBranch({ clone_path, branch, base_branch: "main", replace: true }),
          );
          expect(again).toEqual({ base_sha, created: false });
        }),
      );

      it(
        "answers not_found for a missing base branch",
        withHarness(async (harness) => {
          const { clone_path } = await freshClone(harness);
          const error = await errOf(
            harness.port.createFeatureBranch({
              clone_path,
              branch: "rungate/x",
              base_branch: "no-such-base",
            }),
          );
          expect(error.kind).toBe("not_found");
        }),
      );
    });

    describe("workspaces and branches: listing and clean-up", () => {
      it(
        "lists each card's workspace with its branch until it is removed",
        withHarness(async (harness) => {
          const card = await freshWorktree(harness, "rungate/listed", "a-listed");
          const { clone_path, worktree_path } = card;
          const listed = await okOf(harness.port.listWorkspaces({ clone_path }));
          expect(listed).toContainEqual({
            assignment_id: "a-listed",
            worktree_path,
            branch: "rungate/listed",
          });
          await okOf(harness.port.removeWorktree({ clone_path, worktree_path }));
          const after = await okOf(harness.port.listWorkspaces({ clone_path }));
          expect(after.map((w) => w.assignment_id)).not.toContain("a-listed");
        }),
      );

      it(
        "lists local branches with their tips, and deletes one only once no workspace holds it, keeping its tip",
        withHarness(async (harness) => {
          const { port } = harness;
          const card = await freshWorktree(harness, "rungate/doomed", "a-doomed");
          const { clone_path, branch, worktree_path } = card;
          const tip = await agentCommit(harness, card, { "src/doomed.ts": "export {};\n" }, "Doomed");
          expect(await okOf(port.listBranches({ clone_path }))).toContainEqual({ branch, sha: tip });
          const held = await errOf(port.deleteBranch({ clone_path, branch }));
          expect(held).toMatchObject({ kind: "conflict", code: "branch_checked_out" });
          await okOf(port.removeWorktree({ clone_path, worktree_path }));
          expect(await okOf(port.deleteBranch({ clone_path, branch }))).toEqual({ deleted_sha: tip });
          const gone = await okOf(port.listBranches({ clone_path }));
          expect(gone.map((b) => b.branch)).not.toContain(branch);
          expect((await errOf(port.headSha({ clone_path, ref: `refs/heads/${branch}` }))).kind).toBe(
            "not_found",
          );
          const kept = `refs/rungate/removed/${branch}/${tip}`;
          expect(await okOf(port.headSha({ clone_path, ref: kept }))).toBe(tip);
          expect(await okOf(port.deleteBranch({ clone_path, branch }))).toEqual({ deleted_sha: null });
        }),
      );
    });

    describe("worktrees", () => {
      it(
        "creates a worktree once and reuses it for the same branch",
        withHarness(async (harness) => {
          const { port } = harness;
          const { clone_path } = await freshClone(harness);
          await okOf(port.createFeatureBranch({ clone_path, branch: "rungate/a", base_branch: "main" }));
          const input = { clone_path, branch: "rungate/a", assignment_id: "assignment-a" };
          const first = await okOf(port.createWorktree(input));
          const second = await okOf(port.createWorktree(input));
          expect(first.created).toBe(true);
          expect(second).toEqual({ worktree_path: first.worktree_path, created: false });
        }),
      );

      it(
        "gives two branches two distinct worktrees",
        withHarness(async (harness) => {
          const { port } = harness;
          const { clone_path } = await freshClone(harness);
          for (const branch of ["rungate/a", "rungate/b"]) {
            await okOf(port.createFeatureBranch({ clone_path, branch, base_branch: "main" }));
          }
          const a = await okOf(
            port.createWorktree({ clone_path, branch: "rungate/a", assignment_id: "assignment-a" }),
          );
          const b = await okOf(
            port.createWorktree({ clone_path, branch: "rungate/b", assignment_id: "assignment-b" }),
          );
          expect(a.worktree_path).not.toBe(b.worktree_path);
        }),
      );

      it(
        "removes a worktree, and removing it again succeeds",
        withHarness(async (harness) => {
          const { port } = harness;
          const { clone_path, worktree_path, branch, base_sha } = await freshWorktree(harness);
          await okOf(port.removeWorktree({ clone_path, worktree_path }));
          await okOf(port.removeWorktree({ clone_path, worktree_path }));
          expect(await okOf(port.headSha({ clone_path, ref: branch }))).toBe(base_sha);
        }),
      );
    });

    describe("reading what an agent did", () => {
      it(
        "moves the branch head when a commit is made in its worktree, and leaves main alone",
        withHarness(async (harness) => {
          const { port } = harness;
          const card = await freshWorktree(harness);
          const { clone_path, branch, base_sha } = card;
          const sha = await agentCommit(harness, card, { "src/cart.ts": "export const total = 1;\n" }, "Tot");
          expect(sha).not.toBe(base_sha);
          expect(await okOf(port.headSha({ clone_path, ref: branch }))).toBe(sha);
          expect(await okOf(port.headSha({ clone_path, ref: "main" }))).toBe(base_sha);
        }),
      );

      it(
        "reports added, modified, deleted and renamed files, sorted by path",
        withHarness(async (harness) => {
          const { port } = harness;
          const card = await freshWorktree(harness);
          const { clone_path, base_sha } = card;
          const head = await agentCommit(
            harness,
            card,
            {
              "src/cart.ts": "export const total = 42;\n",
              "src/legacy.ts": null,
              "src/new.ts": "export const fresh = true;\n",
              "docs/guide.md": null,
              "docs/manual.md": BASE_FILES["docs/guide.md"],
            },
            "Change things",
          );
          const changes = await okOf(port.changedFiles({ clone_path, base: base_sha, head }));
          // Modes and symlink targets are adapter-specific detail (a fake may not know them): compare the rest.
          expect(changes.map(({ path, status, previous_path }) => ({ path, status, previous_path }))).toEqual(
            [
              { path: "docs/manual.md", status: "renamed", previous_path: "docs/guide.md" },
              { path: "src/cart.ts", status: "modified", previous_path: null },
              { path: "src/legacy.ts", status: "deleted", previous_path: null },
              { path: "src/new.ts", status: "added", previous_path: null },
            ],
          );
        }),
      );

      it(
        "reads file content at base and head, null when the path is absent",
        withHarness(async (harness) => {
          const { port } = harness;
          const card = await freshWorktree(harness);
          const { clone_path, base_sha } = card;
          const head = await agentCommit(
            harness,
            card,
            { "src/cart.ts": "export const total = 2;\n", "src/legacy.ts": null },
            "Edit",
          );
          const read = (ref: string, path: string) => okOf(port.fileContent({ clone_path, ref, path }));
          expect(await read(base_sha, "src/cart.ts")).toBe(BASE_FILES["src/cart.ts"]);
          expect(await read(head, "src/cart.ts")).toBe("export const total = 2;\n");
          expect(await read(base_sha, "src/legacy.ts")).toBe(BASE_FILES["src/legacy.ts"]);
          expect(await read(head, "src/legacy.ts")).toBeNull();
          expect(await read(head, "no/such/file.txt")).toBeNull();
        }),
      );

      it(
        "diffs a modified file and gives an empty diff for an untouched one",
        withHarness(async (harness) => {
          const { port } = harness;
          const card = await freshWorktree(harness);
          const { clone_path, base_sha } = card;
          const head = await agentCommit(harness, card, { "src/cart.ts": "export const total = 3;\n" }, "3");
          const diff = (path: string) => okOf(port.fileDiff({ clone_path, base: base_sha, head, path }));
          const modified = await diff("src/cart.ts");
          expect(modified).toContain("-export const total = 0;");
          expect(modified).toContain("+export const total = 3;");
          expect(modified).toContain("src/cart.ts");
          expect(await diff("README.md")).toBe("");
        }),
      );

      it(
        "diffs a file with a NUL byte as text when asked (text: true), so its added lines can be read",
        withHarness(async (harness) => {
          const { port } = harness;
          const card = await freshWorktree(harness);
          const { clone_path, base_sha } = card;
          const head = await agentCommit(
            harness,
            card,
            { "src/blob.ts": "\u0000\nconst hidden = 1;\n" },
            "nul",
          );
          const diff = await okOf(
            port.fileDiff({ clone_path, base: base_sha, head, path: "src/blob.ts", text: true }),
          );
          expect(diff).toContain("+const hidden = 1;");
        }),
      );

      it(
        "lists exactly the new commits, oldest first",
        withHarness(async (harness) => {
          const { port } = harness;
          const card = await freshWorktree(harness);
          const { clone_path, branch, base_sha } = card;
          const first = await agentCommit(harness, card, { "a.txt": "a\n" }, "First");
          const second = await agentCommit(harness, card, { "b.txt": "b\n" }, "Second");
          const commits = await okOf(port.commitsSince({ clone_path, base: base_sha, head: branch }));
          expect(commits.map((c) => [c.sha, c.message.trim()])).toEqual([
            [first, "First"],
            [second, "Second"],
          ]);
          for (const commit of commits) expect(Number.isNaN(Date.parse(commit.committed_at))).toBe(false);
          expect(await okOf(port.commitsSince({ clone_path, base: second, head: second }))).toEqual([]);
        }),
      );

      it(
        "answers not_found for an unknown ref",
        withHarness(async (harness) => {
          const { clone_path } = await freshClone(harness);
          const error = await errOf(harness.port.headSha({ clone_path, ref: "no-such-branch" }));
          expect(error.kind).toBe("not_found");
        }),
      );
    });

    describe("importing an agent's work", () => {
      it(
        "imports nothing new when the agent committed nothing: the head stays the base, no findings",
        withHarness(async (harness) => {
          const card = await freshWorktree(harness);
          const imported = await okOf(harness.port.importWork(card));
          expect(imported.head_sha).toBe(card.base_sha);
          expect(imported.findings).toEqual([]);
        }),
      );

      it(
        "names uncommitted files as a finding, even after a commit",
        withHarness(async (harness) => {
          const card = await freshWorktree(harness);
          await harness.commit(card.worktree_path, { "src/a.ts": "export const a = 1;\n" }, "A");
          await harness.write(card.worktree_path, { "src/cart.ts": "export const total = 99;\n" });
          const imported = await okOf(harness.port.importWork(card));
          expect(imported.findings.map((f) => f.code)).toEqual(["uncommitted_changes"]);
          expect(imported.findings[0]?.message).toContain("src/cart.ts");
        }),
      );

      it(
        "reports remote branches other than the card's that moved since the clone fetched",
        withHarness(async (harness) => {
          const card = await freshWorktree(harness);
          const imported = await okOf(harness.port.importWork(card));
          expect(imported.remote_refs_moved).toEqual([]);
        }),
      );
    });

    describe("check trees", () => {
      it(
        "checks out exactly the head, reports tracked files a check changed, and removes the tree",
        withHarness(async (harness) => {
          const { port } = harness;
          const card = await freshWorktree(harness);
          const head = await agentCommit(harness, card, { "src/cart.ts": "export const total = 7;\n" }, "7");
          // What the agent's worktree holds afterwards never reaches the check tree.
          await harness.write(card.worktree_path, { "src/cart.ts": "export const total = -1;\n" });
          const { clone_path } = card;
          const { tree_path } = await okOf(
            port.prepareCheckTree({ clone_path, tree_name: "a-1-unit", head_sha: head }),
          );
          expect(tree_path).not.toBe(card.worktree_path);
          const clean = await okOf(port.inspectCheckTree({ clone_path, tree_path, head_sha: head }));
          expect(clean).toEqual({ head_sha: head, changed_paths: [] });
          await harness.write(tree_path, { "src/cart.ts": "export const total = 8;\n" });
          const touched = await okOf(port.inspectCheckTree({ clone_path, tree_path, head_sha: head }));
          expect(touched.changed_paths).toEqual(["src/cart.ts"]);
          await okOf(port.removeCheckTree({ clone_path, tree_path }));
          await okOf(port.removeCheckTree({ clone_path, tree_path }));
        }),
      );

      it(
        "replaces a tree left by an earlier call with a fresh one",
        withHarness(async (harness) => {
          const { port } = harness;
          const card = await freshWorktree(harness);
          const { clone_path, base_sha } = card;
          const input = { clone_path, tree_name: "a-1-lint", head_sha: base_sha };
          const { tree_path } = await okOf(port.prepareCheckTree(input));
          await harness.write(tree_path, { "README.md": "# changed\n" });
          const again = await okOf(port.prepareCheckTree(input));
          const state = await okOf(
            port.inspectCheckTree({ clone_path, tree_path: again.tree_path, head_sha: base_sha }),
          );
          expect(state.changed_paths).toEqual([]);
        }),
      );
    });

    describe("push", () => {
      it(
        "pushes a branch, idempotently, and a fresh clone of the remote sees it",
        withHarness(async (harness) => {
          const { port } = harness;
          const card = await freshWorktree(harness);
          const { clone_path, branch, repo_url } = card;
          const tip = await agentCommit(harness, card, { "src/pushed.ts": "export {};\n" }, "Pushed");
          await okOf(port.push({ clone_path, branch }));
          await okOf(port.push({ clone_path, branch }));
          const other = await okOf(port.ensureClone({ project_id: nextProjectId(), repo_url }));
          const seen = await okOf(port.headSha({ clone_path: other.clone_path, ref: `origin/${branch}` }));
          expect(seen).toBe(tip);
        }),
      );
    });

    describe("push of an approved head", () => {
      it(
        "pushes exactly the commit given by sha, even when the branch has moved on since",
        withHarness(async (harness) => {
          const { port } = harness;
          const card = await freshWorktree(harness);
          const { clone_path, branch, repo_url } = card;
          const approved = await agentCommit(
            harness,
            card,
            { "src/a.ts": "export const a = 1;\n" },
            "Approved",
          );
          await agentCommit(harness, card, { "src/a.ts": "export const a = 2;\n" }, "Later");
          await okOf(port.push({ clone_path, branch, head_sha: approved }));
          const other = await okOf(port.ensureClone({ project_id: nextProjectId(), repo_url }));
          expect(await okOf(port.headSha({ clone_path: other.clone_path, ref: `origin/${branch}` }))).toBe(
            approved,
          );
        }),
      );
    });

    /** The tip of `branch` on the remote, read through a fresh clone; `null` when the remote has no such branch. */
    async function remoteTip(
      harness: GitPortHarness,
      repo_url: string,
      branch: string,
    ): Promise<string | null> {
      const { port } = harness;
      const other = await okOf(port.ensureClone({ project_id: nextProjectId(), repo_url }));
      const tip = await port.headSha({ clone_path: other.clone_path, ref: `refs/remotes/origin/${branch}` });
      if (tip.isOk()) return tip.value;
      expect(tip.error.kind).toBe("not_found");
      return null;
    }

    /**
     * A card pushed once (its head `pushed` is on the remote), then built again from the base as a new run of
     * it does (`replace: true`) with another commit, `rebuilt`: not a fast-forward of what the remote holds.
     */
    async function rebuiltCard(harness: GitPortHarness) {
      const { port } = harness;
      const card = await freshWorktree(harness, "rungate/rebuilt", "a-first");
      const { clone_path, branch } = card;
      const pushed = await agentCommit(harness, card, { "src/first.ts": "export {};\n" }, "First run");
      await okOf(port.push({ clone_path, branch, head_sha: pushed }));
      await okOf(port.removeWorktree({ clone_path, worktree_path: card.worktree_path }));
      await okOf(port.createFeatureBranch({ clone_path, branch, base_branch: "main", replace: true }));
      const { worktree_path } = await okOf(
        port.createWorktree({ clone_path, branch, assignment_id: "a-again" }),
      );
      const again = { ...card, worktree_path };
      const rebuilt = await agentCommit(harness, again, { "src/again.ts": "export {};\n" }, "Built again");
      return { card: again, pushed, rebuilt };
    }

    describe("push of a rebuilt branch, with a lease (replaces_sha)", () => {
      it(
        "refuses a branch that does not fast-forward the remote's without a lease, and replaces exactly the remote's tip with one",
        withHarness(async (harness) => {
          const { port } = harness;
          const { card, pushed, rebuilt } = await rebuiltCard(harness);
          const { clone_path, branch, repo_url } = card;
          const refused = await errOf(port.push({ clone_path, branch, head_sha: rebuilt }));
          expect(refused).toMatchObject({ kind: "conflict", code: "non_fast_forward" });
          expect(await remoteTip(harness, repo_url, branch)).toBe(pushed);
          await okOf(port.push({ clone_path, branch, head_sha: rebuilt, replaces_sha: pushed }));
          expect(await remoteTip(harness, repo_url, branch)).toBe(rebuilt);
          // Done already: the same push again succeeds (a retried step), with its lease or without.
          await okOf(port.push({ clone_path, branch, head_sha: rebuilt, replaces_sha: pushed }));
          await okOf(port.push({ clone_path, branch, head_sha: rebuilt }));
        }),
      );

      it(
        "refuses a lease on another commit than the remote's tip and leaves the remote as it is",
        withHarness(async (harness) => {
          const { port } = harness;
          const { card, pushed, rebuilt } = await rebuiltCard(harness);
          const { clone_path, branch, repo_url, base_sha } = card;
          const refused = await errOf(
            port.push({ clone_path, branch, head_sha: rebuilt, replaces_sha: base_sha }),
          );
          expect(refused).toMatchObject({ kind: "conflict", code: "non_fast_forward" });
          expect(await remoteTip(harness, repo_url, branch)).toBe(pushed);
        }),
      );

      it(
        "refuses a lease once someone else moved the remote branch past the leased tip: their commit stays",
        withHarness(async (harness) => {
          const { port } = harness;
          const { card, pushed, rebuilt } = await rebuiltCard(harness);
          const { clone_path, branch, repo_url } = card;
          // Someone with push access (a person, or an agent that reached the remote) adds a commit to the
          // branch after it was pushed: a fast-forward, from a clone of their own.
          const theirs = await okOf(port.ensureClone({ project_id: nextProjectId(), repo_url }));
          const other = theirs.clone_path;
          await okOf(port.createFeatureBranch({ clone_path: other, branch, base_branch: "main" }));
          const { worktree_path } = await okOf(
            port.createWorktree({ clone_path: other, branch, assignment_id: "a-someone" }),
          );
          const moved = await harness.commit(worktree_path, { "src/theirs.ts": "export {};\n" }, "Theirs");
          await okOf(port.importWork({ clone_path: other, worktree_path, branch, base_sha: card.base_sha }));
          await okOf(port.push({ clone_path: other, branch }));
          expect(await remoteTip(harness, repo_url, branch)).toBe(moved);
          const refused = await errOf(
            port.push({ clone_path, branch, head_sha: rebuilt, replaces_sha: pushed }),
          );
          expect(refused).toMatchObject({ kind: "conflict", code: "non_fast_forward" });
          expect(await remoteTip(harness, repo_url, branch)).toBe(moved);
        }),
      );

      it(
        "refuses a lease on a branch the remote does not have, and creates nothing (without a lease it is created)",
        withHarness(async (harness) => {
          const { port } = harness;
          const card = await freshWorktree(harness, "rungate/never-pushed", "a-never");
          const { clone_path, branch, repo_url, base_sha } = card;
          const head = await agentCommit(harness, card, { "src/new.ts": "export {};\n" }, "New");
          const refused = await errOf(
            port.push({ clone_path, branch, head_sha: head, replaces_sha: base_sha }),
          );
          expect(refused).toMatchObject({ kind: "conflict", code: "non_fast_forward" });
          expect(await remoteTip(harness, repo_url, branch)).toBeNull();
          await okOf(port.push({ clone_path, branch, head_sha: head }));
          expect(await remoteTip(harness, repo_url, branch)).toBe(head);
        }),
      );

      it(
        "answers validation for a replaces_sha that is not a full commit sha, before pushing anything",
        withHarness(async (harness) => {
          const { port } = harness;
          const { card, pushed, rebuilt } = await rebuiltCard(harness);
          const { clone_path, branch, repo_url } = card;
          for (const replaces_sha of [pushed.slice(0, 12), "main", `+${pushed}`, pushed.toUpperCase()]) {
            const refused = await errOf(port.push({ clone_path, branch, head_sha: rebuilt, replaces_sha }));
            expect(refused).toMatchObject({ kind: "validation", code: "invalid_sha" });
          }
          expect(await remoteTip(harness, repo_url, branch)).toBe(pushed);
        }),
      );
    });

    describe("cancellation", () => {
      it(
        "answers cancelled when the signal is already aborted",
        withHarness(async (harness) => {
          const { port } = harness;
          const repo_url = await harness.createRemote(BASE_FILES);
          const signal = AbortSignal.abort();
          const project_id = nextProjectId();
          const cloneError = await errOf(port.ensureClone({ project_id, repo_url }, { signal }));
          expect(cloneError.kind).toBe("cancelled");
          const { clone_path } = await okOf(port.ensureClone({ project_id, repo_url }));
          const headError = await errOf(port.headSha({ clone_path, ref: "main" }, { signal }));
          expect(headError.kind).toBe("cancelled");
        }),
      );
    });
  });
}
