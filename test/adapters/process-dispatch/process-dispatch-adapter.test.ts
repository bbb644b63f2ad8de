import { existsSync, readFileSync, realpathSync } from "node:fs";
import { mkdir, mkdtemp, readFile, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AgenticFlowDispatcherConfig,
  agenticFlowCommand,
  createAgenticFlowDispatcher,
  createCommandDispatcher,
} from "../../../src/adapters/process-dispatch/index.js";
import {
  currentProcessIdentity,
  processStartTicks,
} from "../../../src/internal/agent-dispatch/process-identity.js";
import type { AgentDispatchRequest, AgentProgress } from "../../../src/ports/agent-dispatcher.js";
import { describeAgentDispatcherContract } from "../../../src/testing/contracts/agent-dispatcher.js";
import { createRecordingSandbox } from "../../../src/testing/index.js";
import { eventually, isGone, readPids } from "../process-checks/process-helpers.js";
import {
  dispatchRequest,
  git,
  installStandIn,
  makeRepo,
  removeTempDirs,
  tempDir,
} from "./dispatch-fixture.js";

// Real processes throughout: a stand-in agent CLI (a node script put first on PATH as `agentic-flow`) working
// in temp git repositories and linked worktrees. No network, no real agent.

const NODE = process.execPath;
let standIn: string;
const originalPath = process.env.PATH;

beforeAll(async () => {
  const installed = await installStandIn();
  standIn = installed.path;
  process.env.PATH = `${installed.bin}:${originalPath ?? ""}`;
});
afterAll(async () => {
  process.env.PATH = originalPath;
  await removeTempDirs();
});

/** A repository with one worktree on a new feature branch, and a request for it. */
async function prepared(
  overrides: Parameters<typeof dispatchRequest>[2] = {},
): Promise<{ request: AgentDispatchRequest; worktree: string; clone: string; branch: string }> {
  const repo = await makeRepo();
  const branch = `rungate/card-${Math.random().toString(36).slice(2, 8)}`;
  const worktree = await repo.worktree(branch);
  return { request: dispatchRequest(worktree, branch, overrides), worktree, clone: repo.clone, branch };
}

/** The agentic-flow dispatcher on the stand-in, with its own state dir and run log. */
async function standInDispatcher(
  env: Record<string, string> = {},
  extra: Partial<Parameters<typeof createAgenticFlowDispatcher>[0]> = {},
) {
  const dir = await tempDir();
  const runs = join(dir, "runs.txt");
  const dispatcher = createAgenticFlowDispatcher({
    state_dir: join(dir, "state"),
    kill_grace_ms: 300,
    ...extra,
    env: { FAKE_AGENT_RUNS: runs, ...env },
  });
  const runCount = () =>
    existsSync(runs) ? readFileSync(runs, "utf8").split("\n").filter(Boolean).length : 0;
  return { dispatcher, runs, runCount, dir };
}

/** Writes the marker a dispatcher in another process would have left for `request` (no result yet). */
async function plantMarker(
  dir: string,
  request: AgentDispatchRequest,
  fields: {
    owner_pid: number;
    head_before: string | null;
    agent_pgid?: number;
    spawning?: boolean;
    context_dir?: string;
    owner?: { host: string; boot_id: string | null; start_ticks: string | null };
  },
): Promise<void> {
  await mkdir(join(dir, "state"), { recursive: true });
  await writeFile(
    join(dir, "state", `${request.execution_id}.json`),
    JSON.stringify({
      version: 1,
      execution_id: request.execution_id,
      run_id: request.run_id,
      assignment_id: request.assignment.id,
      agent_pgid: null,
      started_at: new Date().toISOString(),
      result: null,
      ...fields,
    }),
  );
}

/** A live process standing for an execution's owner, with its true identity (pid, host, boot, start time). */
function liveOwner() {
  const child = execa(NODE, ["-e", "setTimeout(() => {}, 30000)"], { reject: false });
  const pid = child.pid ?? 0;
  return { child, pid, identity: { ...currentProcessIdentity(), start_ticks: processStartTicks(pid) } };
}

/** A process leading its own group, as an agent of execution `id` started by a dispatcher would. */
function agentGroup(id: string) {
  return execa(NODE, ["-e", "setInterval(() => {}, 1000)"], {
    detached: true,
    env: { RUNGATE_EXECUTION_ID: id },
    stdin: "ignore",
    stdout: "ignore",
    stderr: "ignore",
    reject: false,
  });
}

describeAgentDispatcherContract({
  name: "agentic-flow dispatcher (stand-in CLI)",
  make: async () => {
    const scripts = await tempDir("rungate-agent-script-");
    const { dispatcher } = await standInDispatcher({ FAKE_AGENT_SCRIPT_DIR: scripts });
    return {
      dispatcher,
      prepare: async () => (await prepared()).request,
      readHead: (request) => git(request.assignment.worktree_path ?? "", "rev-parse", "HEAD"),
      scriptCommit: (request) => writeFile(join(scripts, request.execution_id), "commit"),
    };
  },
});

describe("agent dispatch: outcomes, with the verdict left to git", () => {
  it("reports committed (the agent's claim) on exit 0, with the output's tail", async () => {
    const { request, worktree } = await prepared({ task: "mode:commit" });
    const before = await git(worktree, "rev-parse", "HEAD");
    const { dispatcher } = await standInDispatcher();
    const outcome = (await dispatcher.dispatch(request))._unsafeUnwrap();
    expect(outcome.outcome).toBe("committed");
    expect(outcome.exit_code).toBe(0);
    expect(await git(worktree, "rev-parse", "HEAD")).not.toBe(before);
    expect(outcome.summary).toContain("rungate reads what it committed from git");
  });

  it("keeps what an agent without a provider key printed, for the orchestrator to find no commit", async () => {
    const { request } = await prepared();
    const { dispatcher } = await standInDispatcher();
    const outcome = (await dispatcher.dispatch(request))._unsafeUnwrap();
    expect(outcome.exit_code).toBe(0);
    expect(outcome.summary).toContain("no provider key configured");
  });

  // Agents that run no git themselves: whatever ran the hostile program could only be the dispatcher.
  it.each(["mode:dirty", "mode:nothing"])(
    "runs no git in the agent's repository (%s): the fsmonitor and filter its config names never run",
    async (mode) => {
      const { request, worktree } = await prepared({ task: mode });
      const marker = join(await tempDir("rungate-marker-"), "ran");
      const program = join(await tempDir("rungate-hostile-"), "evil.sh");
      await writeFile(program, `#!/bin/sh\ntouch '${marker}'\ncat\n`, { mode: 0o755 });
      await git(worktree, "config", "core.fsmonitor", program);
      await git(worktree, "config", "filter.evil.clean", program);
      await writeFile(join(worktree, ".gitattributes"), "* filter=evil\n");
      const { dispatcher } = await standInDispatcher();
      const outcome = (await dispatcher.dispatch(request))._unsafeUnwrap();
      expect(outcome.outcome).toBe("committed");
      await expect(stat(marker)).rejects.toMatchObject({ code: "ENOENT" });
    },
  );

  it("reports agent_error with the exit code when the agent exits non-zero", async () => {
    const { request } = await prepared({ task: "mode:fail" });
    const { dispatcher } = await standInDispatcher();
    const outcome = (await dispatcher.dispatch(request))._unsafeUnwrap();
    expect(outcome).toMatchObject({ outcome: "agent_error", exit_code: 2 });
    expect(outcome.summary).toContain("exited with code 2");
    expect(outcome.summary).toContain("agent crashed");
  });

  it("runs agents of two worktrees at the same time, each committing on its own branch", async () => {
    const left = await prepared({ task: "mode:commit" });
    const right = await prepared({ task: "mode:commit" });
    const { dispatcher } = await standInDispatcher();
    const [a, b] = await Promise.all([dispatcher.dispatch(left.request), dispatcher.dispatch(right.request)]);
    expect(a._unsafeUnwrap().outcome).toBe("committed");
    expect(b._unsafeUnwrap().outcome).toBe("committed");
    expect(await git(left.worktree, "log", "-1", "--format=%s")).toBe(
      `agent work ${left.request.execution_id}`,
    );
    expect(await git(right.worktree, "log", "-1", "--format=%s")).toBe(
      `agent work ${right.request.execution_id}`,
    );
  });
});

describe("agent dispatch: hand-over", () => {
  it("runs `agentic-flow --agent <name> --task <task>` with the chosen flags in the worktree", async () => {
    const { request, worktree, branch } = await prepared({ task: "Add a cart total {branch}" });
    const record = join(await tempDir(), "record.json");
    const { dispatcher } = await standInDispatcher(
      { FAKE_AGENT_RECORD: record },
      { provider: "openrouter", model: "deepseek/deepseek-chat", stream: true },
    );
    (await dispatcher.dispatch(request))._unsafeUnwrap();
    const seen = JSON.parse(await readFile(record, "utf8"));
    expect(seen.argv).toEqual([
      "--agent",
      "coder",
      "--task",
      "Add a cart total {branch}",
      "--provider",
      "openrouter",
      "--model",
      "deepseek/deepseek-chat",
      "--stream",
    ]);
    expect(seen.cwd).toBe(realpathSync(worktree));
    expect(seen.env).toMatchObject({
      RUNGATE_TASK: "Add a cart total {branch}",
      RUNGATE_BRANCH: branch,
      RUNGATE_ALLOWED_PATHS: JSON.stringify(["src/**", "test/**"]),
      RUNGATE_FORBIDDEN_PATHS: JSON.stringify(["**/.env"]),
      RUNGATE_EXECUTION_ID: request.execution_id,
    });
    expect(seen.context).toEqual({
      run_id: request.run_id,
      execution_id: request.execution_id,
      assignment: {
        id: request.assignment.id,
        card_id: request.assignment.card_id,
        agent_role: "coder",
        agent_profile: null,
        feature_branch: branch,
        allowed_paths: ["src/**", "test/**"],
        forbidden_paths: ["**/.env"],
        worktree_path: worktree,
      },
      task: "Add a cart total {branch}",
    });
    // The context file lived outside the worktree and is gone after the run.
    expect(seen.context_file.startsWith(realpathSync(worktree))).toBe(false);
    expect(existsSync(seen.context_file)).toBe(false);
  });

  it("passes provider keys from the host but no other host variable", async () => {
    process.env.ANTHROPIC_API_KEY = "sk-host-provider-key-0001";
    process.env.RUNGATE_TEST_HIDDEN = "host-only";
    try {
      const { request } = await prepared();
      const record = join(await tempDir(), "record.json");
      const { dispatcher } = await standInDispatcher({ FAKE_AGENT_RECORD: record });
      (await dispatcher.dispatch(request))._unsafeUnwrap();
      const seen = JSON.parse(await readFile(record, "utf8"));
      expect(seen.env.ANTHROPIC_API_KEY).toBe("sk-host-provider-key-0001");
      expect(seen.env.RUNGATE_TEST_HIDDEN).toBeNull();
    } finally {
      delete process.env.ANTHROPIC_API_KEY;
      delete process.env.RUNGATE_TEST_HIDDEN;
    }
  });

  it("names the agent by profile, else by role (an integrator runs as coder)", async () => {
    const record = join(await tempDir(), "record.json");
    const { dispatcher } = await standInDispatcher({ FAKE_AGENT_RECORD: record });
    const agentOf = async (overrides: Parameters<typeof dispatchRequest>[2]) => {
      const { request } = await prepared(overrides);
      (await dispatcher.dispatch(request))._unsafeUnwrap();
      const argv: string[] = JSON.parse(await readFile(record, "utf8")).argv;
      return argv[argv.indexOf("--agent") + 1];
    };
    expect(await agentOf({ agent_role: "integrator" })).toBe("coder");
    expect(await agentOf({ agent_role: "tester" })).toBe("tester");
    expect(await agentOf({ agent_role: "reviewer", agent_profile: "security-reviewer" })).toBe(
      "security-reviewer",
    );
  });

  it("expands placeholders of any command once, leaving placeholder-like text in values alone", async () => {
    const { request, branch } = await prepared({ task: "literal {agent} text" });
    const record = join(await tempDir(), "record.json");
    const dispatcher = createCommandDispatcher({
      command: [standIn, "--task", "{task}", "--branch={branch}", "--agent", "{agent}"],
      env: { FAKE_AGENT_RECORD: record },
      state_dir: join(await tempDir(), "state"),
    });
    (await dispatcher.dispatch(request))._unsafeUnwrap();
    const seen = JSON.parse(await readFile(record, "utf8"));
    expect(seen.argv).toEqual(["--task", "literal {agent} text", `--branch=${branch}`, "--agent", "coder"]);
  });
});

describe("agent dispatch: progress and secrets", () => {
  it("streams redacted output lines as progress and keeps secrets out of the summary", async () => {
    process.env.ANTHROPIC_API_KEY = "sk-ant-host-secret-key-0123456789abcdef";
    try {
      const { request } = await prepared({ task: "mode:leak" });
      const token = "tok-7f1e2d3c4b5a69788796a5b4";
      const { dispatcher } = await standInDispatcher(
        { GITHUB_TOKEN: token },
        { redact_patterns: ["acct-[0-9]{6}"] },
      );
      const lines: AgentProgress[] = [];
      const outcome = (
        await dispatcher.dispatch(request, { onProgress: (p) => lines.push(p) })
      )._unsafeUnwrap();
      const messages = lines.map((l) => l.message);
      expect(messages).toContain("token [redacted]");
      expect(messages).toContain("provider [redacted]");
      expect(messages).toContain("customer [redacted] billed");
      expect(messages.at(-1)).toBe("rungate: finished: committed");
      for (const l of lines) expect(l.execution_id).toBe(request.execution_id);
      const everything = `${messages.join("\n")}\n${outcome.summary ?? ""}`;
      for (const secret of [token, "sk-ant-host-secret-key", "acct-123456"]) {
        expect(everything).not.toContain(secret);
      }
      expect(outcome.summary).toContain("token [redacted]");
    } finally {
      delete process.env.ANTHROPIC_API_KEY;
    }
  });

  it("cuts a long progress line to the cap", async () => {
    const { request } = await prepared({ task: "mode:long-line" });
    const { dispatcher } = await standInDispatcher({}, { progress_line_cap: 100 });
    const lines: string[] = [];
    (await dispatcher.dispatch(request, { onProgress: (p) => lines.push(p.message) }))._unsafeUnwrap();
    const long = lines.find((l) => l.startsWith("xxx"));
    expect(long).toBe(`${"x".repeat(99)}…`);
    expect(lines).toContain("after the long line");
  });
});

describe("agent dispatch: time limits and cancellation", () => {
  it("fails with timeout and kills the agent and its grandchild", async () => {
    const { request } = await prepared({ task: "mode:sleep" });
    const pidFile = join(await tempDir(), "pids.json");
    const { dispatcher, runCount } = await standInDispatcher({ FAKE_AGENT_PIDS: pidFile });
    const result = await dispatcher.dispatch(request, { timeout_ms: 4_000 });
    expect(result._unsafeUnwrapErr()).toMatchObject({ kind: "timeout", detail: { timeout_ms: 4_000 } });
    // What the agent said before it was stopped is kept, as it is for an agent that exits.
    const tail = result._unsafeUnwrapErr().kind === "timeout" ? result._unsafeUnwrapErr().detail : {};
    expect((tail as { output_tail?: string }).output_tail).toContain("sleeping");
    const pids = await readPids(pidFile);
    expect(await eventually(() => isGone(pids.child))).toBe(true);
    expect(await eventually(() => isGone(pids.grandchild))).toBe(true);
    // The timed-out execution is recorded: asking again starts nothing and answers the same.
    const again = await dispatcher.dispatch(request);
    expect(again._unsafeUnwrapErr().kind).toBe("timeout");
    expect(runCount()).toBe(1);
  }, 60_000);

  it("fails with cancelled when aborted mid-run, after killing the whole group", async () => {
    const { request } = await prepared({ task: "mode:sleep" });
    const pidFile = join(await tempDir(), "pids.json");
    const { dispatcher } = await standInDispatcher({ FAKE_AGENT_PIDS: pidFile });
    const controller = new AbortController();
    const pending = dispatcher.dispatch(request, { signal: controller.signal });
    const pids = await readPids(pidFile);
    controller.abort();
    expect((await pending)._unsafeUnwrapErr().kind).toBe("cancelled");
    expect(await eventually(() => isGone(pids.child))).toBe(true);
    expect(await eventually(() => isGone(pids.grandchild))).toBe(true);
  }, 60_000);
});

describe("agent dispatch: once per execution id", () => {
  it("answers a repeated dispatch from the record without starting the agent again", async () => {
    const { request, worktree } = await prepared({ task: "mode:commit" });
    const { dispatcher, runCount } = await standInDispatcher();
    const first = (await dispatcher.dispatch(request))._unsafeUnwrap();
    const head = await git(worktree, "rev-parse", "HEAD");
    const again = (await dispatcher.dispatch(request))._unsafeUnwrap();
    expect(again).toEqual(first);
    expect(runCount()).toBe(1);
    expect(await git(worktree, "rev-parse", "HEAD")).toBe(head);
  });

  it("joins a run in flight instead of starting a second one", async () => {
    const { request } = await prepared({ task: "mode:commit" });
    const { dispatcher, runCount } = await standInDispatcher();
    const [a, b] = await Promise.all([dispatcher.dispatch(request), dispatcher.dispatch(request)]);
    expect(a._unsafeUnwrap()).toEqual(b._unsafeUnwrap());
    expect(runCount()).toBe(1);
  });

  it("survives a restart: a new dispatcher on the same state dir does not start the agent again", async () => {
    const { request } = await prepared({ task: "mode:commit" });
    const first = await standInDispatcher();
    const outcome = (await first.dispatcher.dispatch(request))._unsafeUnwrap();
    const restarted = createAgenticFlowDispatcher({
      state_dir: join(first.dir, "state"),
      env: { FAKE_AGENT_RUNS: first.runs },
    });
    expect((await restarted.dispatch(request))._unsafeUnwrap()).toEqual(outcome);
    expect(first.runCount()).toBe(1);
  });

  it("answers interrupted without starting the agent again when the process that ran it died", async () => {
    const { request, worktree } = await prepared();
    const { dispatcher, runCount, dir } = await standInDispatcher();
    const headBefore = await git(worktree, "rev-parse", "HEAD");
    // A dead owner: a process that has exited (and was reaped by execa).
    const exited = execa(NODE, ["-e", "0"]);
    const deadPid = exited.pid ?? 0;
    await exited;
    await writeFile(join(worktree, "half-done.txt"), "interrupted work\n");
    await plantMarker(dir, request, { owner_pid: deadPid, head_before: headBefore });
    const outcome = (await dispatcher.dispatch(request))._unsafeUnwrap();
    expect(outcome).toMatchObject({ outcome: "interrupted", exit_code: null });
    expect(outcome.summary).toContain(`pid ${deadPid}`);
    expect(runCount()).toBe(0);
  });

  it("runs the agent when the process that claimed the execution died before spawning it", async () => {
    const { request } = await prepared({ task: "mode:commit" });
    const { dispatcher, runCount, dir } = await standInDispatcher();
    const exited = execa(NODE, ["-e", "0"]);
    const deadPid = exited.pid ?? 0;
    await exited;
    // Claimed, never got as far as the spawn: no agent ever ran for this execution.
    await plantMarker(dir, request, { owner_pid: deadPid, head_before: null, spawning: false });
    const outcome = (await dispatcher.dispatch(request))._unsafeUnwrap();
    expect(outcome).toMatchObject({ outcome: "committed", exit_code: 0 });
    expect(runCount()).toBe(1);
    // The marker now says the agent may have started, so a later crash is never answered by a second run.
    const marker = JSON.parse(await readFile(join(dir, "state", `${request.execution_id}.json`), "utf8"));
    expect(marker).toMatchObject({ spawning: true, owner_pid: process.pid });
    expect((await dispatcher.dispatch(request))._unsafeUnwrap()).toEqual(outcome);
    expect(runCount()).toBe(1);
  });

  it("removes the context directory a dead owner's marker names (it holds the task), never another one", async () => {
    const { dispatcher, dir } = await standInDispatcher();
    const exited = execa(NODE, ["-e", "0"]);
    const deadPid = exited.pid ?? 0;
    await exited;
    /** A context directory as the dead owner made it, and a directory the marker should not name. */
    const leftBehind = async () => {
      const context_dir = await mkdtemp(join(tmpdir(), "rungate-context-"));
      await writeFile(join(context_dir, "context.json"), '{"task":"secret plans"}');
      return context_dir;
    };
    // Released (read from git) and never released (run again): both take the dead one's directory away.
    for (const spawning of [true, false]) {
      const { request } = await prepared({ task: "mode:commit" });
      const context_dir = await leftBehind();
      await plantMarker(dir, request, { owner_pid: deadPid, head_before: null, spawning, context_dir });
      (await dispatcher.dispatch(request))._unsafeUnwrap();
      expect(existsSync(context_dir)).toBe(false);
    }
    const { request } = await prepared();
    const notOurs = await tempDir("rungate-not-a-context-");
    await plantMarker(dir, request, { owner_pid: deadPid, head_before: null, context_dir: notOurs });
    (await dispatcher.dispatch(request))._unsafeUnwrap();
    expect(existsSync(notOurs)).toBe(true);
  });

  it("records the run's context directory in its marker and removes it when the run ends", async () => {
    const { request } = await prepared({ task: "mode:commit" });
    const { dispatcher, dir } = await standInDispatcher();
    (await dispatcher.dispatch(request))._unsafeUnwrap();
    const marker = JSON.parse(await readFile(join(dir, "state", `${request.execution_id}.json`), "utf8"));
    expect(marker.context_dir).toMatch(/rungate-context-/);
    expect(existsSync(marker.context_dir)).toBe(false);
  });

  it("kills the orphaned agent group of a dead owner, but not a group that is not the execution's", async () => {
    const { request } = await prepared();
    const { dispatcher, dir } = await standInDispatcher();
    const orphan = agentGroup(request.execution_id);
    const stranger = agentGroup("someone-else");
    try {
      const exited = execa(NODE, ["-e", "0"]);
      const deadPid = exited.pid ?? 0;
      await exited;
      await plantMarker(dir, request, { owner_pid: deadPid, head_before: null, agent_pgid: orphan.pid ?? 0 });
      (await dispatcher.dispatch(request))._unsafeUnwrap();
      expect(await eventually(() => isGone(orphan.pid ?? 0))).toBe(true);
      const other = { ...request, execution_id: `${request.execution_id}-b` };
      await plantMarker(dir, other, { owner_pid: deadPid, head_before: null, agent_pgid: stranger.pid ?? 0 });
      (await dispatcher.dispatch(other))._unsafeUnwrap();
      expect(isGone(stranger.pid ?? 0)).toBe(false);
    } finally {
      orphan.kill("SIGKILL");
      stranger.kill("SIGKILL");
      await Promise.all([orphan, stranger]);
    }
  });

  it("fails retryably while another live process runs the execution", async () => {
    const { request } = await prepared();
    const { dispatcher, runCount, dir } = await standInDispatcher();
    // The parent of this test worker: alive for the whole test.
    await plantMarker(dir, request, { owner_pid: process.ppid, head_before: null });
    const error = (await dispatcher.dispatch(request))._unsafeUnwrapErr();
    expect(error).toMatchObject({ kind: "port_failure", detail: { retryable: true } });
    expect(runCount()).toBe(0);
  });

  it.skipIf(!existsSync("/proc/self/stat"))(
    "does not take a reused pid for the owner: a live process that started at another time is not the one that ran it",
    async () => {
      const { request, worktree } = await prepared();
      const { dispatcher, runCount, dir } = await standInDispatcher();
      const me = currentProcessIdentity();
      // The pid of a live process (this worker's parent), recorded with another start time: the owner died
      // and its pid now names an unrelated program. Judged by the pid alone, the card waited on it forever.
      const reused = { ...me, start_ticks: "1" };
      const headBefore = await git(worktree, "rev-parse", "HEAD");
      await plantMarker(dir, request, { owner_pid: process.ppid, head_before: headBefore, owner: reused });
      const outcome = (await dispatcher.dispatch(request))._unsafeUnwrap();
      expect(outcome).toMatchObject({ outcome: "interrupted", exit_code: null });
      expect(runCount()).toBe(0);
    },
  );

  it("judges a marker from before this machine's last boot dead, whatever runs with its pid now", async () => {
    const { request, worktree } = await prepared();
    const { dispatcher, runCount, dir } = await standInDispatcher();
    const me = currentProcessIdentity();
    const headBefore = await git(worktree, "rev-parse", "HEAD");
    await plantMarker(dir, request, {
      owner_pid: process.ppid,
      head_before: headBefore,
      owner: { ...me, boot_id: "an-earlier-boot" },
    });
    const expected = me.boot_id === null ? { retryable: true } : null;
    const answer = await dispatcher.dispatch(request);
    if (expected === null) expect(answer._unsafeUnwrap()).toMatchObject({ outcome: "interrupted" });
    else expect(answer._unsafeUnwrapErr()).toMatchObject({ detail: expected });
    expect(runCount()).toBe(0);
  });

  it("still waits for a live owner recorded with its true identity", async () => {
    const { request } = await prepared();
    const { dispatcher, runCount, dir } = await standInDispatcher();
    const { child, pid, identity } = liveOwner();
    try {
      await plantMarker(dir, request, { owner_pid: pid, head_before: null, owner: identity });
      const error = (await dispatcher.dispatch(request))._unsafeUnwrapErr();
      expect(error).toMatchObject({ kind: "port_failure", detail: { retryable: true } });
      expect(runCount()).toBe(0);
    } finally {
      child.kill("SIGKILL");
      await child;
    }
  });

  it("takes over from a live owner whose lease passed: stops its agent's group, answers interrupted, starts nothing", async () => {
    const { request } = await prepared();
    const { dispatcher, runCount, dir } = await standInDispatcher();
    // A frozen owner (alive, its true identity recorded) and the agent group it started.
    const { child: owner, pid, identity } = liveOwner();
    const agent = agentGroup(request.execution_id);
    try {
      await plantMarker(dir, request, {
        owner_pid: pid,
        head_before: null,
        owner: identity,
        agent_pgid: agent.pid ?? 0,
      });
      // Without the store's word the owner is waited for; with it, taken over.
      expect((await dispatcher.dispatch(request))._unsafeUnwrapErr()).toMatchObject({
        detail: { retryable: true },
      });
      const outcome = (await dispatcher.dispatch({ ...request, takeover: true }))._unsafeUnwrap();
      expect(outcome).toMatchObject({ outcome: "interrupted", exit_code: null });
      expect(await eventually(() => isGone(agent.pid ?? 0))).toBe(true);
      expect(isGone(pid)).toBe(false);
      expect(runCount()).toBe(0);
      // The end is recorded: asked again, the same answer, still nothing started.
      expect((await dispatcher.dispatch(request))._unsafeUnwrap()).toEqual(outcome);
      expect(runCount()).toBe(0);
    } finally {
      owner.kill("SIGKILL");
      agent.kill("SIGKILL");
      await Promise.all([owner, agent]);
    }
  });

  it("does not start an execution taken over from a live owner that had not spawned yet (woken, it would)", async () => {
    const { request } = await prepared();
    const { dispatcher, runCount, dir } = await standInDispatcher();
    const { child: owner, pid, identity } = liveOwner();
    try {
      await plantMarker(dir, request, {
        owner_pid: pid,
        head_before: null,
        owner: identity,
        spawning: false,
      });
      const outcome = (await dispatcher.dispatch({ ...request, takeover: true }))._unsafeUnwrap();
      expect(outcome).toMatchObject({ outcome: "interrupted", exit_code: null });
      expect(outcome.summary).toContain("lost its card before starting the agent");
      expect(runCount()).toBe(0);
    } finally {
      owner.kill("SIGKILL");
      await owner;
    }
    // A dead owner that had not spawned never ran the agent, takeover or not: this call runs it.
    const other = { ...request, execution_id: `${request.execution_id}-b` };
    const exited = execa(NODE, ["-e", "0"]);
    const deadPid = exited.pid ?? 0;
    await exited;
    await plantMarker(dir, other, { owner_pid: deadPid, head_before: null, spawning: false });
    expect((await dispatcher.dispatch({ ...other, takeover: true }))._unsafeUnwrap()).toMatchObject({
      outcome: "committed",
    });
    expect(runCount()).toBe(1);
  });

  it("fails with port_failure when the agent cannot start, and leaves the execution startable", async () => {
    const { request } = await prepared({ task: "mode:commit" });
    const state = join(await tempDir(), "state");
    const broken = createCommandDispatcher({
      command: ["rungate-no-such-agent-9c2e", "{task}"],
      state_dir: state,
    });
    const error = (await broken.dispatch(request))._unsafeUnwrapErr();
    expect(error.kind).toBe("port_failure");
    expect(error.message).toContain("command not found (ENOENT)");
    const fixed = createCommandDispatcher({ command: [standIn, "--task", "{task}"], state_dir: state });
    expect((await fixed.dispatch(request))._unsafeUnwrap().outcome).toBe("committed");
  });

  it("fails with port_failure, starting nothing, when the worktree is not a directory", async () => {
    const { request } = await prepared();
    const missing = join(await tempDir("rungate-not-there-"), "gone");
    const { dispatcher, runCount } = await standInDispatcher();
    const error = (
      await dispatcher.dispatch({ ...request, assignment: { ...request.assignment, worktree_path: missing } })
    )._unsafeUnwrapErr();
    expect(error.kind).toBe("port_failure");
    expect(error.message).toContain("is not a directory");
    expect(runCount()).toBe(0);
  });
});

describe("agent dispatch: configuration", () => {
  it("builds the agentic-flow command line from its options", () => {
    const options = AgenticFlowDispatcherConfig.parse({
      executable: ["npx", "agentic-flow"],
      provider: "anthropic",
      output: "json",
      forward_timeout: true,
      agents_dir: "/opt/agents",
      extra_args: ["--verbose"],
    });
    expect(agenticFlowCommand(options)).toEqual([
      "npx",
      "agentic-flow",
      "--agent",
      "{agent}",
      "--task",
      "{task}",
      "--provider",
      "anthropic",
      "--output",
      "json",
      "--timeout",
      "{timeout_ms}",
      "--agents-dir",
      "/opt/agents",
      "--verbose",
    ]);
  });

  it("refuses bad options at construction, showing correct usage", () => {
    expect(() => createCommandDispatcher({ command: [] })).toThrow(/at least the program[\s\S]*Usage:/);
    expect(() => createAgenticFlowDispatcher({ output: "yaml" as never })).toThrow(/Usage:/);
    expect(() => createCommandDispatcher({ command: ["x"], redact_patterns: ["("] })).toThrow(
      /not a valid regular expression/,
    );
  });

  it("refuses a request without a worktree with a validation error", async () => {
    const { request } = await prepared();
    const { dispatcher } = await standInDispatcher();
    const result = await dispatcher.dispatch({
      ...request,
      assignment: { ...request.assignment, worktree_path: null },
    });
    expect(result._unsafeUnwrapErr().kind).toBe("validation");
  });
});

// A real agent under bubblewrap, end to end on rungate's own worktrees: test/hostile/git-containment.test.ts.
describe("agent dispatch: in a sandbox", () => {
  it("asks the sandbox to run the agent in its worktree, with its context file readable", async () => {
    const { request, worktree } = await prepared({ task: "mode:commit" });
    const sandbox = createRecordingSandbox();
    const { dispatcher, runCount } = await standInDispatcher({}, { sandbox });
    const outcome = (await dispatcher.dispatch(request))._unsafeUnwrap();
    expect(outcome.outcome).toBe("committed");
    expect(runCount()).toBe(1);
    const [spec] = sandbox.wrapped;
    expect(spec?.cwd).toBe(worktree);
    expect(spec?.readable.some((p) => p.includes("rungate-context-"))).toBe(true);
  });

  it("starts nothing, and says why, when the sandbox cannot run", async () => {
    const { request } = await prepared({ task: "mode:commit" });
    const sandbox = createRecordingSandbox({ unavailable: true });
    const { dispatcher, runCount } = await standInDispatcher({}, { sandbox });
    const error = (await dispatcher.dispatch(request))._unsafeUnwrapErr();
    expect(error.kind).toBe("port_failure");
    expect(error.message).toContain("sandbox");
    expect(runCount()).toBe(0);
  });
});
