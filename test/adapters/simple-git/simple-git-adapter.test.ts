import { randomUUID } from "node:crypto";
import { mkdir, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import {
  createSimpleGitAdapter,
  type SimpleGitAdapter,
  type SimpleGitAdapterConfig,
} from "../../../src/adapters/simple-git/index.js";
import { treeSafetyVerdicts } from "../../../src/core/policy/tree-safety.js";
import { describeGitPortContract } from "../../../src/testing/contracts/git-port.js";
import {
  commitFiles,
  commitMode,
  commitSymlink,
  createBareRemote,
  fails,
  gitIn,
  isolateGit,
  ok,
  pushAsSomeoneElse,
  removeTempDirs,
  startRecordingServer,
  tempDir,
  writeFiles,
} from "./git-helpers.js";

// Real git on real repositories, all local: bare "remotes" in temporary directories, and HTTP servers on
// 127.0.0.1 for the credential, cancellation and time-limit cases. No network.

vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });
await isolateGit();
afterAll(removeTempDirs);

describeGitPortContract({
  name: "simple-git",
  make: async () => {
    const dir = await tempDir("rungate-git-contract-");
    return {
      port: createSimpleGitAdapter({ root: join(dir, "repos") }),
      createRemote: (files) => createBareRemote(dir, files),
      commit: (worktree_path, files, message) => commitFiles(worktree_path, files, message),
      write: (tree_path, files) => writeFiles(tree_path, files),
      cleanup: () => rm(dir, { recursive: true, force: true }),
    };
  },
});

const BASE = {
  "README.md": "# shop\n",
  "src/cart.ts": "export const total = 0;\n",
  "docs/guide.md": Array.from({ length: 12 }, (_, i) => `Line ${i + 1} of the guide.\n`).join(""),
};

const TOKEN = "tok_3c1f0b7e9a2d4c6b8e0f1a3c5e7d9b2f";

interface Fixture {
  readonly dir: string;
  readonly root: string;
  readonly remote: string;
  readonly git: SimpleGitAdapter;
  readonly project_id: string;
  readonly clone_path: string;
}

/** A bare remote holding {@link BASE}, an adapter rooted in a temp dir, and a clone of the remote. */
async function cloned(config: Partial<SimpleGitAdapterConfig> = {}): Promise<Fixture> {
  const dir = await tempDir("rungate-git-");
  const root = join(dir, "repos");
  const remote = await createBareRemote(dir, BASE);
  const git = createSimpleGitAdapter({ root, ...config });
  const project_id = randomUUID();
  const { clone_path } = await ok(git.ensureClone({ project_id, repo_url: remote }));
  return { dir, root, remote, git, project_id, clone_path };
}

/** {@link cloned} plus a feature branch off `main` checked out in a worktree. */
async function withWorktree(branch = "rungate/card-1", assignment_id = "a-1") {
  const fixture = await cloned();
  const { git, clone_path } = fixture;
  const { base_sha } = await ok(git.createFeatureBranch({ clone_path, branch, base_branch: "main" }));
  const { worktree_path } = await ok(git.createWorktree({ clone_path, branch, assignment_id }));
  /** Reads the agent's work back into the clone, as the orchestrator does; it must be clean. */
  const land = async () => {
    const imported = await ok(git.importWork({ clone_path, worktree_path, branch, base_sha }));
    expect(imported.findings).toEqual([]);
    return imported.head_sha;
  };
  return { ...fixture, branch, base_sha, worktree_path, land };
}

/** Every file under `dir`, recursively (empty when `dir` does not exist). */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

describe("simple-git adapter: where clones and worktrees live", () => {
  it("clones into <root>/<project_id> as a bare repository with no local branches, only origin's", async () => {
    const { root, project_id, clone_path } = await cloned();
    expect(clone_path).toBe(join(root, project_id));
    expect((await gitIn(clone_path, "config", "core.bare")).trim()).toBe("true");
    expect(await gitIn(clone_path, "for-each-ref", "--format=%(refname)", "refs/heads")).toBe("");
    expect(await gitIn(clone_path, "for-each-ref", "--format=%(refname)", "refs/remotes")).toContain(
      "refs/remotes/origin/main",
    );
  });

  it("checks a worktree out in <root>/<project_id>.worktrees/<assignment_id>, outside the clone", async () => {
    const { root, project_id, worktree_path, branch } = await withWorktree("rungate/card-7", "assignment-7");
    expect(worktree_path).toBe(join(root, `${project_id}.worktrees`, "assignment-7"));
    expect(await readFile(join(worktree_path, "src/cart.ts"), "utf8")).toBe(BASE["src/cart.ts"]);
    expect((await gitIn(worktree_path, "symbolic-ref", "HEAD")).trim()).toBe(`refs/heads/${branch}`);
  });

  it("leaves nothing behind when a clone fails", async () => {
    const dir = await tempDir("rungate-git-");
    const root = join(dir, "repos");
    const git = createSimpleGitAdapter({ root });
    const error = await fails(
      git.ensureClone({ project_id: randomUUID(), repo_url: join(dir, "no-such-remote.git") }),
    );
    expect(error.kind).toBe("port_failure");
    expect(error.detail).toMatchObject({ port: "GitPort", adapter: "simple-git", operation: "fetch" });
    expect(await readdir(root)).toEqual([]);
  });

  it("makes one clone when two calls for the same project race", async () => {
    const dir = await tempDir("rungate-git-");
    const remote = await createBareRemote(dir, BASE);
    const git = createSimpleGitAdapter({ root: join(dir, "repos") });
    const project_id = randomUUID();
    const clones = await Promise.all(
      [1, 2, 3].map(() => ok(git.ensureClone({ project_id, repo_url: remote }))),
    );
    expect(clones.filter((c) => !c.reused)).toHaveLength(1);
    expect(new Set(clones.map((c) => c.clone_path)).size).toBe(1);
    expect(await readdir(join(dir, "repos"))).toEqual([project_id]);
  });

  it("fetches again when the clone is reused, so origin's new commits become visible", async () => {
    const { git, remote, project_id, clone_path } = await cloned();
    const moved = await pushAsSomeoneElse(remote, "main", { "src/new.ts": "export {};\n" }, "Moved on");
    expect(await ok(git.headSha({ clone_path, ref: "main" }))).not.toBe(moved);
    await ok(git.ensureClone({ project_id, repo_url: remote }));
    expect(await ok(git.headSha({ clone_path, ref: "main" }))).toBe(moved);
  });
});

describe("simple-git adapter: changed files as git stores them", () => {
  it("reports an added symlink with mode 120000 and its target, which the core judges outside the repository", async () => {
    const { git, clone_path, base_sha, worktree_path, land } = await withWorktree();
    const head = await commitSymlink(worktree_path, "docs/passwd", "../../etc/passwd", "Link");
    await land();
    const [file, ...rest] = await ok(git.changedFiles({ clone_path, base: base_sha, head }));
    expect(rest).toEqual([]);
    expect(file).toEqual({
      path: "docs/passwd",
      status: "added",
      previous_path: null,
      mode: "120000",
      previous_mode: null,
      symlink_target: "../../etc/passwd",
      path_bytes: null,
      previous_path_bytes: null,
    });
    const allowAll = (path: string) => ({ path, verdict: "allowed" as const, rule: "**", message: "" });
    expect(treeSafetyVerdicts(file as NonNullable<typeof file>, allowAll).map((v) => v.verdict)).toEqual([
      "invalid_path",
    ]);
  });

  it("reports an executable bit change as modified, with the old and the new mode", async () => {
    const { git, clone_path, base_sha, worktree_path, land } = await withWorktree();
    const head = await commitMode(worktree_path, "src/cart.ts", 0o755, "Make executable");
    await land();
    expect(await ok(git.changedFiles({ clone_path, base: base_sha, head }))).toEqual([
      {
        path: "src/cart.ts",
        status: "modified",
        previous_path: null,
        mode: "100755",
        previous_mode: "100644",
        symlink_target: null,
        path_bytes: null,
        previous_path_bytes: null,
      },
    ]);
  });

  it("reports a file turned into a symlink as type_changed, with the target", async () => {
    const { git, clone_path, base_sha, worktree_path, land } = await withWorktree();
    await rm(join(worktree_path, "README.md"));
    const head = await commitSymlink(
      worktree_path,
      "README.md",
      "docs/guide.md",
      "Point README at the guide",
    );
    await land();
    expect(await ok(git.changedFiles({ clone_path, base: base_sha, head }))).toEqual([
      {
        path: "README.md",
        status: "type_changed",
        previous_path: null,
        mode: "120000",
        previous_mode: "100644",
        symlink_target: "docs/guide.md",
        path_bytes: null,
        previous_path_bytes: null,
      },
    ]);
  });

  it("detects a rename with an edit, keeping the path it came from", async () => {
    const { git, clone_path, base_sha, worktree_path, land } = await withWorktree();
    const edited = BASE["docs/guide.md"].replace("Line 3 of", "Line three of");
    const head = await commitFiles(
      worktree_path,
      { "docs/guide.md": null, "docs/manual.md": edited },
      "Rename and edit",
    );
    await land();
    const changes = await ok(git.changedFiles({ clone_path, base: base_sha, head }));
    expect(changes).toEqual([
      {
        path: "docs/manual.md",
        status: "renamed",
        previous_path: "docs/guide.md",
        mode: "100644",
        previous_mode: "100644",
        symlink_target: null,
        path_bytes: null,
        previous_path_bytes: null,
      },
    ]);
  });

  it("round-trips paths with spaces, a newline and non-ASCII letters", async () => {
    const { git, clone_path, base_sha, worktree_path, land } = await withWorktree();
    const path = "notes with space/line\nbreak — é✓ 日本.txt";
    const head = await commitFiles(worktree_path, { [path]: "odd but valid\n" }, "Odd name");
    await land();
    const changes = await ok(git.changedFiles({ clone_path, base: base_sha, head }));
    expect(changes.map((c) => [c.path, c.status])).toEqual([[path, "added"]]);
    expect(await ok(git.fileContent({ clone_path, ref: head, path }))).toBe("odd but valid\n");
    expect(await ok(git.fileDiff({ clone_path, base: base_sha, head, path }))).toContain("+odd but valid");
  });
});

describe("simple-git adapter: names that are not text", () => {
  it("stores a Latin-1 name with its exact bytes, readable, and the core refuses to judge it", async () => {
    const { git, clone_path, base_sha, worktree_path, land } = await withWorktree();
    const name = Buffer.from([0x73, 0x72, 0x63, 0x2f, 0x63, 0x61, 0x66, 0xe9, 0x2e, 0x74, 0x73]); // src/caf\xe9.ts
    await writeFile(Buffer.concat([Buffer.from(`${worktree_path}/`), name]), "export {};\n");
    await gitIn(worktree_path, "add", "-A");
    await gitIn(worktree_path, "commit", "-q", "-m", "Latin-1 name");
    const head = await land();
    const [file] = await ok(git.changedFiles({ clone_path, base: base_sha, head }));
    expect(file?.path).toBe("src/caf\uFFFD.ts");
    expect(Buffer.from(file?.path_bytes ?? "", "base64")).toEqual(name);
    const allowAll = (path: string) => ({ path, verdict: "allowed" as const, rule: "**", message: "" });
    expect(treeSafetyVerdicts(file as NonNullable<typeof file>, allowAll).map((v) => v.rule)).toEqual([
      "(file name is not valid UTF-8)",
    ]);
  });
});

describe("simple-git adapter: refs and file content", () => {
  it("resolves a local branch, origin/<branch>, a full sha and an abbreviated sha", async () => {
    const { git, clone_path, branch, base_sha } = await withWorktree();
    const head = (ref: string) => ok(git.headSha({ clone_path, ref }));
    expect(await head(branch)).toBe(base_sha);
    expect(await head("origin/main")).toBe(base_sha);
    expect(await head(base_sha)).toBe(base_sha);
    expect(await head(base_sha.slice(0, 10))).toBe(base_sha);
  });

  it("refuses a ref that starts with '-' before running git, and paths that leave the tree", async () => {
    const { git, clone_path } = await cloned();
    const refError = await fails(git.headSha({ clone_path, ref: "--output=/tmp/owned" }));
    expect(refError).toMatchObject({ kind: "validation", code: "invalid_ref" });
    for (const path of ["../secret", "/etc/passwd", "a//b", ""]) {
      const pathError = await fails(git.fileContent({ clone_path, ref: "main", path }));
      expect(pathError).toMatchObject({ kind: "validation", code: "invalid_path" });
    }
  });

  it("reads null for an absent path or a directory, and not_found for an unknown ref", async () => {
    const { git, clone_path } = await cloned();
    expect(await ok(git.fileContent({ clone_path, ref: "main", path: "src" }))).toBeNull();
    expect(await ok(git.fileContent({ clone_path, ref: "main", path: "src/none.ts" }))).toBeNull();
    const error = await fails(git.fileContent({ clone_path, ref: "no-such-ref", path: "README.md" }));
    expect(error).toMatchObject({ kind: "not_found", code: "ref_not_found" });
  });

  it("keeps a commit's whole message, body included", async () => {
    const { git, clone_path, base_sha, worktree_path, branch, land } = await withWorktree();
    await commitFiles(worktree_path, { "a.txt": "a\n" }, "Subject line\n\nA body\nover two lines.");
    await land();
    const [commit] = await ok(git.commitsSince({ clone_path, base: base_sha, head: branch }));
    expect(commit?.message).toBe("Subject line\n\nA body\nover two lines.");
  });
});

describe("simple-git adapter: branches and worktrees", () => {
  it("refuses an existing branch that no longer contains the base tip (branch_diverged)", async () => {
    const { git, remote, project_id, clone_path, branch } = await withWorktree();
    await pushAsSomeoneElse(remote, "main", { "README.md": "# shop, moved on\n" }, "Main moves");
    await ok(git.ensureClone({ project_id, repo_url: remote }));
    const error = await fails(git.createFeatureBranch({ clone_path, branch, base_branch: "main" }));
    expect(error).toMatchObject({ kind: "conflict", code: "branch_diverged" });
  });

  it("reuses a branch that only exists on the remote, at the remote's tip", async () => {
    const { git, remote, clone_path, branch, worktree_path, land } = await withWorktree();
    const tip = await commitFiles(worktree_path, { "src/feature.ts": "export {};\n" }, "Feature");
    await land();
    await ok(git.push({ clone_path, branch }));
    const other = await ok(git.ensureClone({ project_id: randomUUID(), repo_url: remote }));
    const again = await ok(
      git.createFeatureBranch({ clone_path: other.clone_path, branch, base_branch: "main" }),
    );
    expect(again.created).toBe(false);
    expect(await ok(git.headSha({ clone_path: other.clone_path, ref: branch }))).toBe(tip);
  });

  it("refuses a branch already checked out in another worktree, and another branch at a taken path", async () => {
    const { git, clone_path, branch } = await withWorktree("rungate/card-1", "a-1");
    const twice = await fails(git.createWorktree({ clone_path, branch, assignment_id: "a-2" }));
    expect(twice).toMatchObject({ kind: "conflict", code: "branch_checked_out" });
    await ok(git.createFeatureBranch({ clone_path, branch: "rungate/card-2", base_branch: "main" }));
    const taken = await fails(
      git.createWorktree({ clone_path, branch: "rungate/card-2", assignment_id: "a-1" }),
    );
    expect(taken).toMatchObject({ kind: "conflict", code: "worktree_branch_mismatch" });
  });

  it("refuses a worktree path holding someone's files (worktree_path_occupied), and uses an empty one as git does", async () => {
    const { git, clone_path } = await cloned();
    await ok(git.createFeatureBranch({ clone_path, branch: "rungate/s", base_branch: "main" }));
    const stray = join(`${clone_path}.worktrees`, "s");
    await mkdir(stray, { recursive: true });
    await writeFile(join(stray, "notes.txt"), "mine\n");
    const error = await fails(git.createWorktree({ clone_path, branch: "rungate/s", assignment_id: "s" }));
    expect(error).toMatchObject({ kind: "conflict", code: "worktree_path_occupied" });
    expect(await readFile(join(stray, "notes.txt"), "utf8")).toBe("mine\n");
    await rm(join(stray, "notes.txt"));
    const made = await ok(git.createWorktree({ clone_path, branch: "rungate/s", assignment_id: "s" }));
    expect(made).toEqual({ worktree_path: stray, created: true });
    expect(await readFile(join(stray, "README.md"), "utf8")).toBe("# shop\n");
  });

  it("runs no hook of the clone when it checks a worktree out", async () => {
    const { git, clone_path, dir } = await cloned();
    const marker = join(dir, "hook-ran");
    const hook = join(clone_path, "hooks", "post-checkout");
    await writeFile(hook, `#!/bin/sh\ntouch '${marker}'\n`, { mode: 0o755 });
    await ok(git.createFeatureBranch({ clone_path, branch: "rungate/h", base_branch: "main" }));
    await ok(git.createWorktree({ clone_path, branch: "rungate/h", assignment_id: "h" }));
    await expect(stat(marker)).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("answers not_found for a worktree of a branch that exists nowhere", async () => {
    const { git, clone_path } = await cloned();
    const error = await fails(git.createWorktree({ clone_path, branch: "rungate/none", assignment_id: "n" }));
    expect(error).toMatchObject({ kind: "not_found", code: "branch_not_found" });
  });

  it("creates a worktree again whose directory was deleted by hand", async () => {
    const { git, clone_path, branch, worktree_path } = await withWorktree();
    await rm(worktree_path, { recursive: true, force: true });
    await ok(git.prune({ clone_path }));
    const again = await ok(git.createWorktree({ clone_path, branch, assignment_id: "a-1" }));
    expect(again).toEqual({ worktree_path, created: true });
  });

  it("removes a worktree with uncommitted changes, and refuses to remove a path outside the clone's worktrees", async () => {
    const { git, clone_path, worktree_path, dir } = await withWorktree();
    await writeFile(join(worktree_path, "dirty.txt"), "left behind\n");
    await ok(git.removeWorktree({ clone_path, worktree_path }));
    await expect(stat(worktree_path)).rejects.toMatchObject({ code: "ENOENT" });
    const error = await fails(git.removeWorktree({ clone_path, worktree_path: dir }));
    expect(error).toMatchObject({ kind: "validation", code: "invalid_worktree_path" });
    expect((await stat(dir)).isDirectory()).toBe(true);
  });
});

describe("simple-git adapter: push", () => {
  it("answers non_fast_forward when the remote branch moved, and never forces", async () => {
    const { git, remote, clone_path, branch, worktree_path, land } = await withWorktree();
    await commitFiles(worktree_path, { "src/a.ts": "export const a = 1;\n" }, "Agent 1");
    await land();
    await ok(git.push({ clone_path, branch }));
    const theirs = await pushAsSomeoneElse(remote, branch, { "src/b.ts": "export {};\n" }, "Someone else");
    await commitFiles(worktree_path, { "src/a.ts": "export const a = 2;\n" }, "Agent 2");
    await land();
    const error = await fails(git.push({ clone_path, branch }));
    expect(error).toMatchObject({ kind: "conflict", code: "non_fast_forward" });
    expect((await gitIn(remote, "rev-parse", `refs/heads/${branch}`)).trim()).toBe(theirs);
  });

  it("pushes to the recorded remote even when the clone's config was rewritten to point elsewhere", async () => {
    const { git, dir, remote, clone_path, branch, worktree_path, land } = await withWorktree();
    const tip = await commitFiles(worktree_path, { "src/a.ts": "export {};\n" }, "Agent");
    await land();
    const elsewhere = await createBareRemote(dir, { "x.txt": "x\n" });
    // What an agent outside a sandbox could do by path; through git, its own repository is all it reaches.
    await gitIn(worktree_path, "config", "remote.origin.url", elsewhere);
    await gitIn(clone_path, "config", "remote.origin.url", elsewhere);
    await ok(git.push({ clone_path, branch }));
    expect((await gitIn(remote, "rev-parse", `refs/heads/${branch}`)).trim()).toBe(tip);
    expect(await gitIn(elsewhere, "for-each-ref", "refs/heads/rungate")).toBe("");
  });

  it("refuses to push when the clone's recorded remote no longer matches its config", async () => {
    const { git, dir, clone_path, branch } = await withWorktree();
    const elsewhere = await createBareRemote(dir, { "x.txt": "x\n" });
    // A clone made by hand keeps its config (nothing recorded to restore from): the URL is compared.
    await rm(join(clone_path, "rungate-remote-url"));
    await gitIn(clone_path, "config", "--add", "remote.origin.url", elsewhere);
    const error = await fails(git.push({ clone_path, branch }));
    expect(error).toMatchObject({ kind: "conflict", code: "clone_remote_mismatch" });
    expect(await gitIn(elsewhere, "for-each-ref", "refs/heads/rungate")).toBe("");
  });
});

describe("simple-git adapter: clone safety", () => {
  it("refuses another remote at a project's clone and leaves the clone untouched", async () => {
    const { git, dir, project_id, clone_path, remote } = await cloned();
    const other = await createBareRemote(dir, { "other.txt": "other\n" });
    const error = await fails(git.ensureClone({ project_id, repo_url: other }));
    expect(error).toMatchObject({ kind: "conflict", code: "clone_remote_mismatch" });
    expect((await gitIn(clone_path, "config", "remote.origin.url")).trim()).toBe(remote);
  });

  it("refuses a directory that is not one of its clones", async () => {
    const dir = await tempDir("rungate-git-");
    const root = join(dir, "repos");
    const remote = await createBareRemote(dir, BASE);
    const project_id = randomUUID();
    await rm(root, { recursive: true, force: true });
    await import("node:fs/promises").then((fs) => fs.mkdir(join(root, project_id), { recursive: true }));
    await writeFile(join(root, project_id, "precious.txt"), "mine\n");
    const git = createSimpleGitAdapter({ root });
    const error = await fails(git.ensureClone({ project_id, repo_url: remote }));
    expect(error).toMatchObject({ kind: "conflict", code: "clone_path_occupied" });
    expect(await readFile(join(root, project_id, "precious.txt"), "utf8")).toBe("mine\n");
  });

  it("refuses unsafe project ids and clone paths outside its root", async () => {
    const { git, remote, dir } = await cloned();
    for (const project_id of ["../escape", "a/b", ".hidden", ""]) {
      const error = await fails(git.ensureClone({ project_id, repo_url: remote }));
      expect(error).toMatchObject({ kind: "validation", code: "invalid_project_id" });
    }
    const error = await fails(git.headSha({ clone_path: dir, ref: "main" }));
    expect(error).toMatchObject({ kind: "validation", code: "invalid_clone_path" });
  });
});

describe("simple-git adapter: credentials", () => {
  it("sends the token as a header to the remote's origin only, and never reports or stores it", async () => {
    const server = await startRecordingServer("fail");
    try {
      const dir = await tempDir("rungate-git-");
      const root = join(dir, "repos");
      const git = createSimpleGitAdapter({ root, credentials: { token: TOKEN } });
      const error = await fails(
        git.ensureClone({ project_id: randomUUID(), repo_url: `${server.url}/acme/shop.git` }),
      );
      const basic = Buffer.from(`x-access-token:${TOKEN}`).toString("base64");
      expect(server.requests.map((headers) => headers.authorization)).toContain(`Basic ${basic}`);
      expect(error).toMatchObject({ kind: "port_failure", code: "git_server_error" });
      expect(error.detail).toMatchObject({ operation: "fetch", retryable: true });
      expect(JSON.stringify(error)).not.toContain(TOKEN);
      expect(JSON.stringify(error)).not.toContain(basic);
      expect(await filesUnder(root)).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it("keeps the token out of errors for an unreachable https remote", async () => {
    const dir = await tempDir("rungate-git-");
    const git = createSimpleGitAdapter({ root: join(dir, "repos"), credentials: { token: TOKEN } });
    const error = await fails(
      git.ensureClone({ project_id: randomUUID(), repo_url: `https://127.0.0.1:9/${TOKEN}/x.git` }),
    );
    expect(error.kind).toBe("port_failure");
    expect(error.detail).toMatchObject({ operation: "fetch", retryable: true });
    expect(JSON.stringify(error)).not.toContain(TOKEN);
  });

  it("never writes the token into a clone's files", async () => {
    const dir = await tempDir("rungate-git-");
    const remote = await createBareRemote(dir, BASE);
    const git = createSimpleGitAdapter({ root: join(dir, "repos"), credentials: { token: TOKEN } });
    const { clone_path } = await ok(git.ensureClone({ project_id: randomUUID(), repo_url: remote }));
    await ok(git.createFeatureBranch({ clone_path, branch: "rungate/x", base_branch: "main" }));
    await ok(git.push({ clone_path, branch: "rungate/x" }));
    for (const file of await filesUnder(join(dir, "repos"))) {
      expect((await readFile(file)).includes(TOKEN)).toBe(false);
    }
  });

  it("throws a usage error for bad options, at construction", () => {
    expect(() => createSimpleGitAdapter({ credentials: { token: "" } })).toThrow(
      /Usage: createSimpleGitAdapter/,
    );
    expect(() => createSimpleGitAdapter({ git_binary: "git; rm -rf /" })).toThrow(/git_binary/);
    expect(() => createSimpleGitAdapter({ timeout_ms: 0 })).toThrow(/timeout_ms/);
  });
});

describe("simple-git adapter: cancellation and time limits", () => {
  it("answers cancelled when aborted while git waits on the remote, and leaves no clone behind", async () => {
    const server = await startRecordingServer("hang");
    try {
      const dir = await tempDir("rungate-git-");
      const root = join(dir, "repos");
      const git = createSimpleGitAdapter({ root });
      const controller = new AbortController();
      const pending = git.ensureClone(
        { project_id: randomUUID(), repo_url: `${server.url}/acme/shop.git` },
        { signal: controller.signal },
      );
      await server.firstRequest;
      controller.abort();
      const error = await fails(pending);
      expect(error).toMatchObject({ kind: "cancelled", detail: { operation: "fetch" } });
      expect(await readdir(root)).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it("answers timeout when a command stays silent longer than timeout_ms", async () => {
    const server = await startRecordingServer("hang");
    try {
      const dir = await tempDir("rungate-git-");
      const git = createSimpleGitAdapter({ root: join(dir, "repos"), timeout_ms: 1000 });
      const error = await fails(
        git.ensureClone({ project_id: randomUUID(), repo_url: `${server.url}/acme/shop.git` }),
      );
      expect(error).toMatchObject({ kind: "timeout", detail: { operation: "fetch", timeout_ms: 1000 } });
    } finally {
      await server.close();
    }
  });
});

describe("simple-git adapter: the host's environment", () => {
  it("is not redirected by an inherited GIT_DIR nor stopped by an inherited editor, pager or askpass", async () => {
    const inherited = {
      GIT_DIR: "elsewhere.git",
      GIT_INDEX_FILE: "index",
      EDITOR: "vi",
      PAGER: "less",
      GIT_ASKPASS: "/bin/false",
    };
    const dir = await tempDir("rungate-git-");
    const remote = await createBareRemote(dir, BASE);
    let git: SimpleGitAdapter;
    try {
      for (const [name, value] of Object.entries(inherited)) process.env[name] = join(dir, value);
      git = createSimpleGitAdapter({
        root: join(dir, "repos"),
        env: { GIT_SSH_COMMAND: "ssh -o BatchMode=yes" },
      });
    } finally {
      for (const name of Object.keys(inherited)) delete process.env[name];
    }
    const { clone_path } = await ok(git.ensureClone({ project_id: randomUUID(), repo_url: remote }));
    expect(await ok(git.headSha({ clone_path, ref: "main" }))).toMatch(/^[0-9a-f]{40}$/);
  });
});
