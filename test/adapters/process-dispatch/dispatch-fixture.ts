import { randomUUID } from "node:crypto";
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { CardAssignment } from "../../../src/core/schemas/card-assignment.js";
import type { AgentDispatchRequest } from "../../../src/ports/agent-dispatcher.js";
import { FIXTURE_TIME, fixtureId } from "../../../src/testing/fixtures.js";

// Local stand-ins only: temp git repositories and a stand-in agent CLI; no network.

const made: string[] = [];

/** A fresh temp directory, removed by {@link removeTempDirs}. */
export async function tempDir(prefix = "rungate-dispatch-"): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** Removes every directory made by {@link tempDir}. */
export async function removeTempDirs(): Promise<void> {
  await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

const GIT_ENV = { GIT_CONFIG_NOSYSTEM: "1", GIT_TERMINAL_PROMPT: "0" };

/** Runs git in `cwd` and answers its trimmed stdout. */
export async function git(cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await execa("git", args, { cwd, env: GIT_ENV });
  return stdout.trim();
}

/**
 * A temp repository (`main` with one commit, a local identity, no signing) and one linked worktree per
 * call of `worktree`, each on its own new feature branch, like the git adapter prepares them.
 */
export async function makeRepo(): Promise<{
  readonly clone: string;
  worktree(branch: string): Promise<string>;
}> {
  const root = await tempDir("rungate-repo-");
  const clone = join(root, "clone");
  await mkdir(clone);
  await git(clone, "init", "-q", "-b", "main");
  await git(clone, "config", "user.name", "Stand-in Agent");
  await git(clone, "config", "user.email", "agent@example.invalid");
  await git(clone, "config", "commit.gpgsign", "false");
  await writeFile(join(clone, "README.md"), "# shop\n");
  await git(clone, "add", "-A");
  await git(clone, "commit", "-q", "-m", "initial");
  return {
    clone,
    async worktree(branch) {
      const path = join(root, `wt-${branch.replace(/[^A-Za-z0-9]/g, "-")}`);
      await git(clone, "worktree", "add", "-q", "-b", branch, path);
      return path;
    },
  };
}

let executions = 0;

/** A dispatch request for a ready assignment in `worktree` on `branch`, with a fresh execution id. */
export function dispatchRequest(
  worktree: string,
  branch: string,
  overrides: { task?: string; agent_role?: CardAssignment["agent_role"]; agent_profile?: string | null } = {},
): AgentDispatchRequest {
  executions += 1;
  const assignment = CardAssignment.parse({
    id: fixtureId(500 + executions),
    run_id: fixtureId(10),
    card_id: fixtureId(100),
    agent_role: overrides.agent_role ?? "coder",
    agent_profile: overrides.agent_profile ?? null,
    feature_branch: branch,
    worktree_path: worktree,
    allowed_paths: ["src/**", "test/**"],
    forbidden_paths: ["**/.env"],
    assignment_input_snapshot: {},
    status: "queued",
    phase: "ready",
    created_at: FIXTURE_TIME,
    updated_at: FIXTURE_TIME,
    version: 0,
  });
  return {
    run_id: fixtureId(10),
    execution_id: randomUUID(),
    assignment,
    task: overrides.task ?? "Add a cart total",
  };
}

/**
 * The stand-in for the agentic-flow CLI (and any agent command): parses `--agent` / `--task`, appends the
 * execution id to `$FAKE_AGENT_RUNS` (one line per start), records what it was handed in `$FAKE_AGENT_RECORD`,
 * then acts by mode: `commit`, `dirty`, `wrong-branch`, `fail` (exit 2), `leak` (prints secrets), `sleep`
 * (ignores SIGTERM, starts a grandchild that does too, writes both pids to `$FAKE_AGENT_PIDS`), `long-line`,
 * or `nothing` (the default: prints that no provider key is set and exits 0, like the real CLI). The mode
 * comes from `$FAKE_AGENT_SCRIPT_DIR/<execution id>` if that file exists, else `mode:<x>` in the task, else
 * `$FAKE_AGENT_MODE`.
 */
export const STAND_IN_AGENT = `#!/usr/bin/env node
const fs = require("node:fs");
const path = require("node:path");
const cp = require("node:child_process");
const args = process.argv.slice(2);
const flag = (name) => { const i = args.indexOf(name); return i === -1 ? undefined : args[i + 1]; };
const env = process.env;
const task = flag("--task") ?? env.RUNGATE_TASK ?? "";
const id = env.RUNGATE_EXECUTION_ID ?? "unknown";
if (env.FAKE_AGENT_RUNS) fs.appendFileSync(env.FAKE_AGENT_RUNS, id + "\\n");
let mode = env.FAKE_AGENT_MODE ?? "nothing";
const inTask = /mode:([a-z-]+)/.exec(task);
if (inTask) mode = inTask[1];
const scripted = env.FAKE_AGENT_SCRIPT_DIR ? path.join(env.FAKE_AGENT_SCRIPT_DIR, id) : undefined;
if (scripted && fs.existsSync(scripted)) mode = fs.readFileSync(scripted, "utf8").trim();
if (env.FAKE_AGENT_RECORD) {
  fs.writeFileSync(env.FAKE_AGENT_RECORD, JSON.stringify({
    argv: args,
    cwd: process.cwd(),
    env: {
      RUNGATE_TASK: env.RUNGATE_TASK, RUNGATE_BRANCH: env.RUNGATE_BRANCH,
      RUNGATE_ALLOWED_PATHS: env.RUNGATE_ALLOWED_PATHS, RUNGATE_FORBIDDEN_PATHS: env.RUNGATE_FORBIDDEN_PATHS,
      RUNGATE_EXECUTION_ID: env.RUNGATE_EXECUTION_ID, ANTHROPIC_API_KEY: env.ANTHROPIC_API_KEY ?? null,
      RUNGATE_TEST_HIDDEN: env.RUNGATE_TEST_HIDDEN ?? null,
    },
    context_file: env.RUNGATE_CONTEXT_FILE,
    context: JSON.parse(fs.readFileSync(env.RUNGATE_CONTEXT_FILE, "utf8")),
  }));
}
console.log("agent " + (flag("--agent") ?? "?") + " working on " + env.RUNGATE_BRANCH);
const git = (...a) => cp.execFileSync("git", a, { stdio: "ignore" });
const write = () => {
  fs.mkdirSync("src", { recursive: true });
  fs.writeFileSync(path.join("src", "agent-" + id + ".txt"), "work of " + id + "\\n");
};
switch (mode) {
  case "commit":
    write(); git("add", "-A"); git("commit", "-q", "-m", "agent work " + id); console.log("committed");
    break;
  case "dirty":
    write(); console.log("wrote without committing");
    break;
  case "wrong-branch":
    git("checkout", "-q", "-b", "side-" + id); write(); git("add", "-A"); git("commit", "-q", "-m", "side work");
    break;
  case "fail":
    console.error("agent crashed"); process.exit(2);
  case "leak":
    console.log("token " + env.GITHUB_TOKEN); console.error("provider " + env.ANTHROPIC_API_KEY);
    console.log("customer acct-123456 billed");
    break;
  case "long-line":
    console.log("x".repeat(100000)); console.log("after the long line");
    break;
  case "sleep": {
    process.on("SIGTERM", () => {});
    const g = cp.spawn(process.execPath, ["-e", "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000);"], { stdio: "inherit" });
    fs.writeFileSync(env.FAKE_AGENT_PIDS + ".tmp", JSON.stringify({ child: process.pid, grandchild: g.pid }));
    fs.renameSync(env.FAKE_AGENT_PIDS + ".tmp", env.FAKE_AGENT_PIDS);
    console.log("sleeping");
    setInterval(() => {}, 1000);
    break;
  }
  default:
    console.log("no provider key configured; nothing to do");
}
`;

/** Writes the stand-in as an executable named `name` into a new directory and answers that directory. */
export async function installStandIn(name = "agentic-flow"): Promise<{ bin: string; path: string }> {
  const bin = await tempDir("rungate-bin-");
  const path = join(bin, name);
  await writeFile(path, STAND_IN_AGENT);
  await chmod(path, 0o755);
  return { bin, path };
}
