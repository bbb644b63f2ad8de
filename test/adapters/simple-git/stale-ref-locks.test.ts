import { existsSync } from "node:fs";
import { utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { createSimpleGitAdapter } from "../../../src/adapters/simple-git/index.js";
import { refLockNamedBy } from "../../../src/adapters/simple-git/stale-ref-locks.js";
import { rungateError } from "../../../src/core/errors.js";
import {
  createBareRemote,
  fails,
  gitIn,
  isolateGit,
  ok,
  pushAsSomeoneElse,
  removeTempDirs,
  tempDir,
} from "./git-helpers.js";

// Real git on a local bare remote. A ref lock left by a killed git process, met by a fetch.

vi.setConfig({ testTimeout: 60_000 });
await isolateGit();
afterAll(removeTempDirs);

const PROJECT_ID = "5a0c2e7b-0000-4000-8000-000000000001";

/** A clone whose remote moved on since, and a lock on `refs/remotes/origin/main` as a killed fetch left it. */
async function cloneWithLockedTrackingRef() {
  const dir = await tempDir("rungate-ref-lock-");
  const repo_url = await createBareRemote(dir, { "README.md": "# shop\n" });
  const git = createSimpleGitAdapter({ root: join(dir, "repos") });
  const { clone_path } = await ok(git.ensureClone({ project_id: PROJECT_ID, repo_url }));
  const moved = await pushAsSomeoneElse(repo_url, "main", { "NEWS.md": "news\n" }, "news");
  const lock = join(clone_path, "refs", "remotes", "origin", "main.lock");
  await writeFile(lock, `${"2".repeat(40)}\n`);
  return { git, repo_url, clone_path, moved, lock };
}

describe("simple-git adapter: stale ref locks", () => {
  it("removes a ref lock nobody touches for a second, and the fetch goes through", async () => {
    const { git, repo_url, clone_path, moved, lock } = await cloneWithLockedTrackingRef();
    await expect(gitIn(clone_path, "fetch", "origin")).rejects.toThrow(/main\.lock': File exists/);
    expect((await git.ensureClone({ project_id: PROJECT_ID, repo_url })).isOk()).toBe(true);
    expect(existsSync(lock)).toBe(false);
    expect((await gitIn(clone_path, "rev-parse", "refs/remotes/origin/main")).trim()).toBe(moved.trim());
  });

  it("leaves a lock that is being touched (a live git process) and answers git_repository_locked", async () => {
    const { git, repo_url, lock } = await cloneWithLockedTrackingRef();
    let tick = 0;
    const touching = setInterval(() => {
      const when = new Date(Date.now() + ++tick * 1000);
      void utimes(lock, when, when).catch(() => undefined);
    }, 100);
    try {
      const error = await fails(git.ensureClone({ project_id: PROJECT_ID, repo_url }));
      expect(error).toMatchObject({ kind: "port_failure", code: "git_repository_locked" });
      expect(existsSync(lock)).toBe(true);
    } finally {
      clearInterval(touching);
    }
  });

  it("names only the clone's ref locks, never a worktree's index lock or another directory's", () => {
    const clone = "/srv/repos/p1";
    const locked = (path: string) =>
      rungateError("port_failure", "git_repository_locked", {
        port: "git",
        adapter: "simple-git",
        operation: "fetch",
        retryable: true,
        cause: `fatal: Unable to create '${path}': File exists.\n\nAnother git process seems to be running`,
      });
    expect(refLockNamedBy(locked("/srv/repos/p1/./refs/heads/rungate/a.lock"), clone)).toBe(
      "/srv/repos/p1/refs/heads/rungate/a.lock",
    );
    expect(refLockNamedBy(locked("/srv/repos/p1/packed-refs.lock"), clone)).toBe(
      "/srv/repos/p1/packed-refs.lock",
    );
    expect(refLockNamedBy(locked("/srv/repos/p1/worktrees/a1/index.lock"), clone)).toBeNull();
    expect(refLockNamedBy(locked("/srv/repos/p1.worktrees/a1/.git/index.lock"), clone)).toBeNull();
    expect(refLockNamedBy(locked("/srv/repos/p2/refs/heads/x.lock"), clone)).toBeNull();
  });
});
