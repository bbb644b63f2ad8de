import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { baseGitEnv } from "../../../src/adapters/simple-git/git-env.js";
import { stripTraceLines, traceEnv } from "../../../src/adapters/simple-git/git-trace.js";
import { createGitRunner } from "../../../src/adapters/simple-git/run-git.js";
import { gitIn, isolateGit, removeTempDirs, tempDir } from "./git-helpers.js";

// Silent git commands run with GIT_TRACE so that simple-git does not wait 50 ms for them; their trace lines
// must never reach an error. Real git, in temporary directories; no network.

vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });
await isolateGit();
afterAll(removeTempDirs);

describe("trace lines of silent commands", () => {
  it("are removed from stderr, timestamped or bare, and git's own messages are kept", () => {
    const stderr = [
      "21:49:35.755339 git.c:460               trace: built-in: git update-ref -m x refs/heads/f abc ''",
      "21:49:35.755400 run-command.c:654       trace: run_command: git gc --auto",
      "trace: built-in: git remote add origin /tmp/remote.git",
      "fatal: update_ref failed for ref 'refs/heads/f': reference already exists",
      "hint: a trace: is not a trace line unless it starts one",
      "",
    ].join("\n");
    expect(stripTraceLines(stderr)).toBe(
      "fatal: update_ref failed for ref 'refs/heads/f': reference already exists\n" +
        "hint: a trace: is not a trace line unless it starts one\n",
    );
    expect(stripTraceLines("")).toBe("");
  });

  it("are asked for with GIT_TRACE=1, unless the environment already sets GIT_TRACE", () => {
    expect(traceEnv({})).toEqual({ GIT_TRACE: "1" });
    expect(traceEnv({ GIT_TRACE: "" })).toEqual({ GIT_TRACE: "1" });
    expect(traceEnv({ GIT_TRACE: "/var/log/git-trace" })).toEqual({});
  });

  it("make a silent command print, and never appear in the outcome of one that fails", async () => {
    const dir = await tempDir("rungate-git-trace-");
    const repo = join(dir, "repo.git");
    await gitIn(dir, "init", "--quiet", "--bare", repo);
    const env = baseGitEnv(process.env, {}, dir, 60_000);
    const run = createGitRunner({ binary: undefined, timeout_ms: 60_000, env });
    const zero = "0".repeat(40);

    const ok = await run({ cwd: repo, args: ["config", "rungate.test", "yes"], silent: true });
    expect(ok._unsafeUnwrap()).toEqual({ exit_code: 0, stdout: "", stderr: "" });
    expect((await gitIn(repo, "config", "rungate.test")).trim()).toBe("yes");

    const failed = await run({
      cwd: repo,
      args: ["update-ref", "refs/heads/x", zero.replace(/0$/, "1"), ""],
      silent: true,
    });
    const outcome = failed._unsafeUnwrap();
    expect(outcome.exit_code).not.toBe(0);
    expect(outcome.stderr).toMatch(/^fatal: /);
    expect(outcome.stderr).not.toContain("trace:");
  });
});
