import { existsSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { cloneConfig } from "../../../src/adapters/simple-git/clone-integrity.js";
import { createSimpleGitAdapter } from "../../../src/adapters/simple-git/index.js";
import { createBareRemote, gitIn, isolateGit, ok, removeTempDirs, tempDir } from "./git-helpers.js";

vi.setConfig({ testTimeout: 60_000 });
await isolateGit();
afterAll(removeTempDirs);

async function cloned() {
  const dir = await tempDir("rungate-integrity-");
  const remote = await createBareRemote(dir, { "README.md": "# r\n" });
  const git = createSimpleGitAdapter({ root: join(dir, "repos") });
  const { clone_path } = await ok(git.ensureClone({ project_id: "p1", repo_url: remote }));
  return { dir, remote, git, clone_path };
}

describe("the clone's configuration is rungate's", () => {
  it("is written whole when the clone is made: a bare repository with one remote, nothing else", async () => {
    const { remote, clone_path } = await cloned();
    expect(await readFile(join(clone_path, "config"), "utf8")).toBe(cloneConfig(remote));
    expect((await gitIn(clone_path, "config", "--get", "remote.origin.url")).trim()).toBe(remote);
  });

  it("is put back before the next step, with attributes, worktree config and alternates removed", async () => {
    const { remote, git, clone_path, dir } = await cloned();
    await gitIn(clone_path, "config", "core.fsmonitor", join(dir, "evil"));
    await mkdir(join(clone_path, "info"), { recursive: true });
    await writeFile(join(clone_path, "info", "attributes"), "* filter=evil\n");
    await writeFile(join(clone_path, "config.worktree"), "[core]\n\tfsmonitor = evil\n");
    await writeFile(join(clone_path, "objects", "info", "alternates"), `${dir}\n`);
    await ok(git.headSha({ clone_path, ref: "main" }));
    expect(await readFile(join(clone_path, "config"), "utf8")).toBe(cloneConfig(remote));
    for (const file of ["info/attributes", "config.worktree", "objects/info/alternates"]) {
      expect(existsSync(join(clone_path, file))).toBe(false);
    }
  });

  it("quotes a URL with quotes and backslashes so git reads it back exactly", async () => {
    const dir = await tempDir("rungate-integrity-url-");
    const odd = join(dir, 'we"ird\\name.git');
    await gitIn(dir, "init", "--quiet", "--bare", odd);
    await writeFile(join(dir, "config"), cloneConfig(odd));
    expect(
      (await gitIn(dir, "config", "--file", join(dir, "config"), "--get", "remote.origin.url")).trim(),
    ).toBe(odd);
  });

  it("leaves a clone made by hand (no recorded URL) as it is", async () => {
    const { git, clone_path } = await cloned();
    await rm(join(clone_path, "rungate-remote-url"));
    await gitIn(clone_path, "config", "user.name", "kept");
    await ok(git.headSha({ clone_path, ref: "main" }));
    expect((await gitIn(clone_path, "config", "--get", "user.name")).trim()).toBe("kept");
  });
});
