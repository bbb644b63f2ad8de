import { existsSync, readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { createClaudeDispatcher } from "../../../src/adapters/claude-agent/index.js";
import { createBubblewrapSandbox } from "../../../src/adapters/sandbox/index.js";
import { NO_AGENT_LIMITS } from "../../../src/core/policy/agent-budget.js";
import { ExecutionMarker } from "../../../src/internal/agent-dispatch/execution-markers.js";
import type {
  AgentDispatchRequest,
  AgentLimits,
  AgentProgress,
} from "../../../src/ports/agent-dispatcher.js";
import { createRecordingSandbox } from "../../../src/testing/index.js";
import { eventually, isGone } from "../process-checks/process-helpers.js";
import { dispatchRequest, git, removeTempDirs, tempDir } from "../process-dispatch/dispatch-fixture.js";
import { commitScript, deadPid, installStandIn, prepared, standInDispatcher } from "./claude-fixture.js";

// Real processes throughout: the real Agent SDK starting a stand-in Claude Code executable (a node script that
// speaks the SDK's stream-json protocol) in temp git repositories and linked worktrees. No network, no key.

afterAll(removeTempDirs);

/** Runs one dispatch in a process of its own (see the file). */
const CHILD = join(import.meta.dirname, "dispatch-in-child.ts");

const limited = (limits: Partial<AgentLimits>): AgentLimits => ({ ...NO_AGENT_LIMITS, ...limits });

function readMarkerOf(stateDir: string, request: AgentDispatchRequest): ExecutionMarker {
  return ExecutionMarker.parse(
    JSON.parse(readFileSync(join(stateDir, `${request.execution_id}.json`), "utf8")),
  );
}

/** Writes the marker a dispatcher in another (now dead) process would have left mid-session. */
async function plantMarker(
  stateDir: string,
  request: AgentDispatchRequest,
  fields: Partial<ExecutionMarker> & { owner_pid: number },
): Promise<void> {
  await mkdir(stateDir, { recursive: true });
  const marker: ExecutionMarker = {
    version: 1,
    execution_id: request.execution_id,
    run_id: request.run_id,
    assignment_id: request.assignment.id,
    agent_pgid: null,
    spawning: true,
    head_before: null,
    context_dir: null,
    session_id: request.execution_id,
    started_at: new Date().toISOString(),
    result: null,
    ...fields,
  };
  await writeFile(join(stateDir, `${request.execution_id}.json`), JSON.stringify(marker));
}

describe("claude dispatcher: a session that commits", () => {
  it("answers committed with the session, usage, cost, turns and final message Claude Code reported", async () => {
    const standIn = await installStandIn();
    await standIn.script(commitScript());
    const { request, worktree } = await prepared();
    const before = await git(worktree, "rev-parse", "HEAD");
    const { dispatcher, stateDir } = await standInDispatcher(standIn);
    const progress: AgentProgress[] = [];
    const outcome = (
      await dispatcher.dispatch(request, { onProgress: (p) => progress.push(p) })
    )._unsafeUnwrap();

    expect(outcome).toMatchObject({
      outcome: "committed",
      exit_code: 0,
      session_id: request.execution_id,
      usage: { input_tokens: 300, output_tokens: 60, cached_input_tokens: 0 },
      num_turns: 3,
      terminal_reason: "completed",
      permission_denials: [],
      final_message: "Added the cart total.",
    });
    expect(outcome.cost_usd).toBeCloseTo(0.003, 6);
    expect(outcome.summary).toContain(`Claude Code session ${request.execution_id} ended: completed`);
    expect(await git(worktree, "rev-parse", "HEAD")).not.toBe(before);
    expect(await git(worktree, "log", "-1", "--format=%s")).toBe("Add the cart total");

    // Session id = execution id, passed as the SDK's sessionId; one start.
    const runs = standIn.runs();
    expect(runs).toHaveLength(1);
    expect(runs[0]?.argv).toContain(`--session-id=${request.execution_id}`);
    expect(runs[0]?.argv).toContain("--permission-prompt-tool=stdio");
    expect(runs[0]?.argv).toContain("--setting-sources=");
    expect(runs[0]?.argv).toContain("--tools=Read,Edit,Write,Glob,Grep,Bash");
    expect(runs[0]?.argv).toContain("--permission-mode=default");
    expect(runs[0]?.cwd).toBe(worktree);

    // The marker keeps the end and the session.
    const marker = readMarkerOf(stateDir, request);
    expect(marker).toMatchObject({ session_id: request.execution_id, spawning: true, head_before: before });
    expect(marker.result).toEqual({ ok: JSON.parse(JSON.stringify(outcome)) });

    // Typed progress: the message, the tool calls, the file edit, the command, the usage.
    const items = progress.flatMap((p) => (p.item === undefined ? [] : [p.item]));
    expect(items).toContainEqual({ kind: "message", text: "I will add the cart total." });
    expect(items).toContainEqual(expect.objectContaining({ kind: "tool_call", tool: "Write" }));
    expect(items).toContainEqual({ kind: "file_edit", path: "src/cart.ts", change: "add" });
    expect(items).toContainEqual({
      kind: "command",
      command: "git add -A && git commit -q -m 'Add the cart total'",
      exit_code: null,
    });
    expect(items.filter((i) => i.kind === "usage").at(-1)).toMatchObject({
      kind: "usage",
      num_turns: 3,
      cost_usd: expect.closeTo(0.003, 6),
    });
    for (const line of progress) {
      expect(line.execution_id).toBe(request.execution_id);
      expect(line.message).not.toContain("\n");
    }
  });

  it("answers no_changes when the session completed without moving the branch", async () => {
    const standIn = await installStandIn();
    await standIn.script({ steps: [{ say: "Nothing needed." }], result: "Nothing needed." });
    const { request } = await prepared();
    const { dispatcher } = await standInDispatcher(standIn);
    const outcome = (await dispatcher.dispatch(request))._unsafeUnwrap();
    expect(outcome).toMatchObject({ outcome: "no_changes", terminal_reason: "completed" });
  });
});

describe("claude dispatcher: limits", () => {
  it("stops at the SDK's own dollar budget (maxBudgetUsd): terminal_reason budget, agent_error", async () => {
    const standIn = await installStandIn();
    await standIn.script({ steps: [{ repeat: 10, say: "Still looping." }], cost_per_turn: 0.5 });
    const { request } = await prepared();
    const { dispatcher } = await standInDispatcher(standIn);
    const outcome = (
      await dispatcher.dispatch({ ...request, limits: limited({ max_cost_usd: 1 }) })
    )._unsafeUnwrap();
    expect(outcome).toMatchObject({ outcome: "agent_error", terminal_reason: "budget", num_turns: 3 });
    expect(outcome.cost_usd).toBeCloseTo(1.5, 6);
    expect(standIn.runs()[0]?.argv).toContain("--max-budget-usd=1");
  });

  it("stops at max_tokens itself, from the usage of the assistant messages: terminal_reason budget", async () => {
    const standIn = await installStandIn();
    await standIn.script({
      steps: [{ repeat: 200, say: "Still looping." }],
      usage_per_turn: { input_tokens: 100, output_tokens: 20 },
      turn_ms: 20,
    });
    const { request } = await prepared();
    const { dispatcher } = await standInDispatcher(standIn);
    const started = Date.now();
    const outcome = (
      await dispatcher.dispatch({ ...request, limits: limited({ max_tokens: 250 }) })
    )._unsafeUnwrap();
    expect(outcome).toMatchObject({ outcome: "agent_error", terminal_reason: "budget", cost_usd: null });
    expect(outcome.usage?.input_tokens).toBe(300);
    expect(outcome.summary).toContain("max_tokens");
    expect(Date.now() - started).toBeLessThan(3_000);
    const pid = standIn.runs()[0]?.pid ?? 0;
    expect(await eventually(() => isGone(pid), 3_000)).toBe(true);
  });

  it("stops at max_turns (maxTurns): terminal_reason max_turns", async () => {
    const standIn = await installStandIn();
    await standIn.script({ steps: [{ repeat: 5, say: "Another turn." }] });
    const { request } = await prepared();
    const { dispatcher } = await standInDispatcher(standIn);
    const outcome = (
      await dispatcher.dispatch({ ...request, limits: limited({ max_turns: 2 }) })
    )._unsafeUnwrap();
    expect(outcome).toMatchObject({ outcome: "agent_error", terminal_reason: "max_turns", num_turns: 2 });
    expect(standIn.runs()[0]?.argv).toContain("--max-turns=2");
  });

  it("passes the model of the limits, else the config's", async () => {
    const standIn = await installStandIn();
    const { request } = await prepared();
    const { dispatcher } = await standInDispatcher(standIn, { model: "claude-config-model" });
    await dispatcher.dispatch({ ...request, limits: limited({ model: "claude-limit-model" }) });
    const second = (await prepared()).request;
    await dispatcher.dispatch(second);
    expect(standIn.runs().map((r) => r.argv.find((a) => a.startsWith("--model=")))).toEqual([
      "--model=claude-limit-model",
      "--model=claude-config-model",
    ]);
  });

  it("stops a hung session on inactivity, quickly: port error timeout, process gone, end recorded", async () => {
    const standIn = await installStandIn();
    await standIn.script({ steps: [{ say: "Thinking." }, { hang: true }] });
    const { request } = await prepared();
    const { dispatcher, stateDir } = await standInDispatcher(standIn);
    const started = Date.now();
    const result = await dispatcher.dispatch({ ...request, limits: limited({ inactivity_timeout_ms: 700 }) });
    expect(result.isErr(), JSON.stringify(result)).toBe(true);
    const error = result._unsafeUnwrapErr();
    expect(error.kind).toBe("timeout");
    expect(error.message).toContain("700 ms");
    expect(error.kind === "timeout" && error.detail.output_tail).toContain("no message from Claude Code");
    expect(Date.now() - started).toBeLessThan(4_000);
    const pid = standIn.runs()[0]?.pid ?? 0;
    expect(await eventually(() => isGone(pid), 3_000)).toBe(true);
    expect(readMarkerOf(stateDir, request).result).toMatchObject({ error: { kind: "timeout" } });
    // Once per execution id: the stored end, without a second start.
    expect((await dispatcher.dispatch(request))._unsafeUnwrapErr().kind).toBe("timeout");
    expect(standIn.runs()).toHaveLength(1);
  });

  it("keeps the result of a session whose Claude Code does not exit after it, and stops the process", async () => {
    const standIn = await installStandIn();
    await standIn.script({ steps: [{ say: "Done here." }], result: "All done.", linger: true });
    const { request } = await prepared();
    const { dispatcher } = await standInDispatcher(standIn);
    const outcome = (
      await dispatcher.dispatch({ ...request, limits: limited({ inactivity_timeout_ms: 500 }) })
    )._unsafeUnwrap();
    expect(outcome).toMatchObject({
      terminal_reason: "completed",
      final_message: "All done.",
      exit_code: null,
    });
    const pid = standIn.runs()[0]?.pid ?? 0;
    expect(await eventually(() => isGone(pid), 3_000)).toBe(true);
  });

  it("stops at the wall time, the smaller of the limits' and the call's", async () => {
    const standIn = await installStandIn();
    await standIn.script({ steps: [{ hang: true }] });
    const { request } = await prepared();
    const { dispatcher } = await standInDispatcher(standIn);
    const started = Date.now();
    const result = await dispatcher.dispatch(
      { ...request, limits: limited({ timeout_ms: 60_000 }) },
      { timeout_ms: 300 },
    );
    expect(result._unsafeUnwrapErr()).toMatchObject({ kind: "timeout", detail: { timeout_ms: 300 } });
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it("fails cancelled when the signal aborts mid-session, and stops Claude Code", async () => {
    const standIn = await installStandIn();
    await standIn.script({ steps: [{ hang: true }] });
    const { request } = await prepared();
    const { dispatcher } = await standInDispatcher(standIn);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const result = await dispatcher.dispatch(request, { signal: controller.signal });
    expect(result._unsafeUnwrapErr().kind).toBe("cancelled");
    const pid = standIn.runs()[0]?.pid ?? 0;
    expect(await eventually(() => isGone(pid), 3_000)).toBe(true);
  });
});

describe("claude dispatcher: writes judged before they happen", () => {
  const forbiddenWrites = (worktree: string) => ({
    steps: [
      { tool: "Write", input: { file_path: ".env", content: "SECRET=1\n" } },
      { tool: "Write", input: { file_path: join(worktree, "src", ".env"), content: "SECRET=1\n" } },
      { tool: "Write", input: { file_path: "docs/notes.md", content: "notes\n" } },
      { tool: "Write", input: { file_path: "../outside.txt", content: "escape\n" } },
      { tool: "Bash", input: { command: "echo SECRET=1 > src/.env" } },
      { tool: "Write", input: { file_path: join(worktree, "src", "ok.ts"), content: "export {};\n" } },
    ],
    result: "Tried.",
  });

  for (const mode of ["default", "acceptEdits"] as const) {
    it(`denies forbidden and outside writes before they happen, and lets allowed ones through (${mode})`, async () => {
      const standIn = await installStandIn();
      const { request, worktree } = await prepared();
      await standIn.script(forbiddenWrites(worktree));
      const { dispatcher } = await standInDispatcher(standIn, { permission_mode: mode });
      const outcome = (await dispatcher.dispatch(request))._unsafeUnwrap();

      expect(existsSync(join(worktree, ".env"))).toBe(false);
      expect(existsSync(join(worktree, "src", ".env"))).toBe(false);
      expect(existsSync(join(worktree, "docs", "notes.md"))).toBe(false);
      expect(existsSync(join(worktree, "..", "outside.txt"))).toBe(false);
      expect(readFileSync(join(worktree, "src", "ok.ts"), "utf8")).toBe("export {};\n");

      const denials = outcome.permission_denials ?? [];
      expect(denials.map((d) => [d.tool, d.path])).toEqual([
        ["Write", ".env"],
        ["Write", join(worktree, "src", ".env")],
        ["Write", "docs/notes.md"],
        ["Write", "../outside.txt"],
        ["Bash", "src/.env"],
      ]);
      expect(denials[0]?.reason).toContain('forbidden (rule "**/.env")');
      expect(denials[1]?.reason).toContain('"src/.env" matches the forbidden glob "**/.env"');
      expect(denials[2]?.reason).toContain("outside_allowed");
      expect(denials[2]?.reason).toContain('"src/**"');
      expect(denials[3]?.reason).toContain("outside the worktree");
      expect(denials[4]?.reason).toContain('"**/.env"');
      expect(outcome.summary).toContain("5 tool calls denied");
      expect(standIn.runs()[0]?.argv).toContain(`--permission-mode=${mode}`);
    });
  }

  it("refuses a write through a symbolic link that leaves the worktree", async () => {
    const standIn = await installStandIn();
    const { request, worktree } = await prepared();
    await standIn.script({
      steps: [
        { tool: "Bash", input: { command: "mkdir -p src && ln -s ../.. src/up" } },
        { tool: "Write", input: { file_path: "src/up/escaped.txt", content: "x\n" } },
      ],
    });
    const { dispatcher } = await standInDispatcher(standIn);
    const outcome = (await dispatcher.dispatch(request))._unsafeUnwrap();
    expect(existsSync(join(worktree, "..", "..", "escaped.txt"))).toBe(false);
    expect(outcome.permission_denials).toEqual([
      expect.objectContaining({ tool: "Write", path: "src/up/escaped.txt" }),
    ]);
  });
});

describe("claude dispatcher: no credential", () => {
  it('reads subtype "success" with is_error as no_credential: agent_error, never success', async () => {
    const standIn = await installStandIn();
    await standIn.script({ steps: [{ no_credential: true }] });
    const { request } = await prepared();
    const { dispatcher } = await standInDispatcher(standIn);
    const outcome = (await dispatcher.dispatch(request))._unsafeUnwrap();
    expect(outcome).toMatchObject({
      outcome: "agent_error",
      terminal_reason: "no_credential",
      final_message: "Not logged in · Please run /login",
      exit_code: 1,
    });
  });
});

describe("claude dispatcher: the real Claude Code executable, offline and without a key", () => {
  it("starts it with every option the dispatcher passes, and reads its answer as no_credential", async (ctx) => {
    try {
      createRequire(import.meta.url).resolve(
        `@anthropic-ai/claude-agent-sdk-${process.platform}-${process.arch}/package.json`,
      );
    } catch {
      return ctx.skip(); // the SDK's platform binary (~400 MB) is not installed here
    }
    const { request } = await prepared();
    const home = await tempDir("rungate-claude-home-");
    const dispatcher = createClaudeDispatcher({
      state_dir: join(home, "state"),
      // Its own home and config: no login of this machine's user is found, nothing is written there.
      env: { HOME: home, DISABLE_TELEMETRY: "1", CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1" },
      claude_config_dir: join(home, ".claude"),
      default_limits: { timeout_ms: 60_000, inactivity_timeout_ms: 30_000 },
    });
    const outcome = (await dispatcher.dispatch(request))._unsafeUnwrap();
    expect(outcome).toMatchObject({
      outcome: "agent_error",
      terminal_reason: "no_credential",
      session_id: request.execution_id,
      exit_code: 1,
    });
  }, 90_000);
});

describe("claude dispatcher: sessions and resume", () => {
  it("resumes the SAME session once when the process that ran it died mid-session, then never again", async () => {
    const standIn = await installStandIn();
    const { request, worktree } = await prepared();
    const before = await git(worktree, "rev-parse", "HEAD");
    await standIn.scriptFor(
      request.execution_id,
      commitScript("src/resumed.ts", "Finished after the interruption."),
      {
        resume: true,
      },
    );
    const { dispatcher, stateDir } = await standInDispatcher(standIn);
    const dead = await deadPid();
    await plantMarker(stateDir, request, { owner_pid: dead, head_before: before });

    const outcome = (await dispatcher.dispatch(request))._unsafeUnwrap();
    expect(outcome).toMatchObject({
      outcome: "committed",
      session_id: request.execution_id,
      final_message: "Finished after the interruption.",
    });
    const runs = standIn.runs();
    expect(runs).toHaveLength(1);
    expect(runs[0]?.argv).toContain(`--resume=${request.execution_id}`);
    expect(runs[0]?.argv.some((a) => a.startsWith("--session-id"))).toBe(false);
    expect(standIn.prompts()[0]?.prompt).toContain("was interrupted");
    expect(standIn.prompts()[0]?.prompt).toContain(request.task);
    expect(readMarkerOf(stateDir, request)).toMatchObject({ resumed: 1, owner_pid: process.pid });

    // The resumed run's process died too: the third dispatch starts nothing and answers interrupted.
    await plantMarker(stateDir, request, { owner_pid: dead, head_before: before, resumed: 1 });
    const third = (await dispatcher.dispatch(request))._unsafeUnwrap();
    expect(third).toMatchObject({
      outcome: "interrupted",
      exit_code: null,
      session_id: request.execution_id,
    });
    expect(third.summary).toContain("not resumed again");
    expect(standIn.runs()).toHaveLength(1);
    expect(readMarkerOf(stateDir, request).result).toMatchObject({ ok: { outcome: "interrupted" } });
  });

  it("resumes after the process running the dispatch is killed mid-session, killing the orphaned Claude Code", async () => {
    const standIn = await installStandIn();
    const { request, worktree } = await prepared();
    await standIn.scriptFor(request.execution_id, {
      steps: [{ tool: "Write", input: { file_path: "src/half.ts", content: "half\n" } }, { hang: true }],
    });
    await standIn.scriptFor(request.execution_id, commitScript("src/whole.ts", "Finished."), {
      resume: true,
    });
    const stateDir = join(await tempDir("rungate-claude-state-"), "state");
    const config = {
      path_to_claude_code_executable: standIn.path,
      state_dir: stateDir,
      env: { STANDIN_DIR: standIn.dir },
    };
    const child = execa(process.execPath, ["--import", "tsx", CHILD, JSON.stringify({ config, request })], {
      reject: false,
    });
    expect(await eventually(() => existsSync(join(worktree, "src", "half.ts")), 15_000)).toBe(true);
    child.kill("SIGKILL");
    await child;
    const orphan = standIn.runs()[0]?.pid ?? 0;
    expect(isGone(orphan)).toBe(false);
    expect(readMarkerOf(stateDir, request)).toMatchObject({
      agent_pgid: orphan,
      spawning: true,
      result: null,
    });

    const { dispatcher } = await standInDispatcher(standIn, { state_dir: stateDir });
    const outcome = (await dispatcher.dispatch(request))._unsafeUnwrap();
    expect(outcome).toMatchObject({
      outcome: "committed",
      session_id: request.execution_id,
      final_message: "Finished.",
    });
    expect(await eventually(() => isGone(orphan), 3_000)).toBe(true);
    expect(standIn.runs()[1]?.argv).toContain(`--resume=${request.execution_id}`);
    expect(existsSync(join(worktree, "src", "whole.ts"))).toBe(true);
    // A tsx child process to start and kill, and a second session: its own waits allow 15 s for the first step
    // alone, so vitest's default 5 s failed it on a busy CI machine.
  }, 60_000);

  it("fails port_failure (retryable) while another live process runs the execution", async () => {
    const standIn = await installStandIn();
    const { request } = await prepared();
    const { dispatcher, stateDir } = await standInDispatcher(standIn);
    await plantMarker(stateDir, request, { owner_pid: process.ppid });
    const error = (await dispatcher.dispatch(request))._unsafeUnwrapErr();
    expect(error).toMatchObject({ kind: "port_failure", detail: { retryable: true } });
    expect(standIn.runs()).toHaveLength(0);
  });

  it("takes over from a live owner whose lease passed (takeover): resumes its session, or starts nothing if it never spawned", async () => {
    const standIn = await installStandIn();
    const { request, worktree } = await prepared();
    const before = await git(worktree, "rev-parse", "HEAD");
    await standIn.scriptFor(request.execution_id, commitScript("src/taken.ts", "Taken over."), {
      resume: true,
    });
    const { dispatcher, stateDir } = await standInDispatcher(standIn);
    // A live owner (this worker's parent) that the store says lost the card.
    await plantMarker(stateDir, request, { owner_pid: process.ppid, head_before: before });
    const outcome = (await dispatcher.dispatch({ ...request, takeover: true }))._unsafeUnwrap();
    expect(outcome).toMatchObject({ outcome: "committed", final_message: "Taken over." });
    expect(standIn.runs()[0]?.argv).toContain(`--resume=${request.execution_id}`);

    const other = (await prepared()).request;
    await plantMarker(stateDir, other, { owner_pid: process.ppid, spawning: false });
    const never = (await dispatcher.dispatch({ ...other, takeover: true }))._unsafeUnwrap();
    expect(never).toMatchObject({ outcome: "interrupted", exit_code: null });
    expect(standIn.runs()).toHaveLength(1);
  });

  it("starts afresh when the owner died before Claude Code ever started", async () => {
    const standIn = await installStandIn();
    const { request } = await prepared();
    const { dispatcher, stateDir } = await standInDispatcher(standIn);
    await plantMarker(stateDir, request, { owner_pid: await deadPid(), spawning: false });
    const outcome = (await dispatcher.dispatch(request))._unsafeUnwrap();
    expect(outcome.terminal_reason).toBe("completed");
    expect(standIn.runs()[0]?.argv).toContain(`--session-id=${request.execution_id}`);
  });

  it("forks the earlier session on a redispatch with resume_session_id, under the new execution's id", async () => {
    const standIn = await installStandIn();
    await standIn.script(commitScript());
    const { request, worktree, branch } = await prepared();
    const { dispatcher, stateDir } = await standInDispatcher(standIn);
    const first = (await dispatcher.dispatch(request))._unsafeUnwrap();
    expect(first.session_id).toBe(request.execution_id);

    const feedback = "The checks failed: npm test exited 1. Fix the cart total.";
    const retry = {
      ...dispatchRequest(worktree, branch, { task: feedback }),
      resume_session_id: first.session_id ?? null,
    };
    await standIn.scriptFor(retry.execution_id, commitScript("src/fix.ts", "Fixed."));
    const second = (await dispatcher.dispatch(retry))._unsafeUnwrap();

    expect(second).toMatchObject({
      outcome: "committed",
      session_id: retry.execution_id,
      final_message: "Fixed.",
    });
    const run = standIn.runs()[1];
    expect(run?.argv).toContain(`--resume=${request.execution_id}`);
    expect(run?.argv).toContain("--fork-session");
    expect(run?.argv).toContain(`--session-id=${retry.execution_id}`);
    expect(standIn.prompts()[1]?.prompt).toBe(feedback);
    expect(readMarkerOf(stateDir, retry)).toMatchObject({ session_id: retry.execution_id });
  });
});

describe("claude dispatcher: environment and secrets", () => {
  const SECRET = "parent-secret-7f3a9c2e41";
  afterEach(() => {
    delete process.env.RUNGATE_TEST_PARENT_SECRET;
    delete process.env.RUNGATE_TEST_ALLOWED;
  });

  it("gives Claude Code only the allow-listed environment, and redacts its secrets everywhere", async () => {
    process.env.RUNGATE_TEST_PARENT_SECRET = SECRET;
    process.env.RUNGATE_TEST_ALLOWED = "visible";
    const standIn = await installStandIn();
    const key = "sk-ant-api03-test-key-0123456789abcdef";
    await standIn.script({
      steps: [{ say: "my key is {env:ANTHROPIC_API_KEY}" }],
      result: "key {env:ANTHROPIC_API_KEY}",
    });
    const { request } = await prepared();
    const { dispatcher } = await standInDispatcher(standIn, {
      env_allow: ["RUNGATE_TEST_ALLOWED"],
      env: { ANTHROPIC_API_KEY: key },
    });
    expect(dispatcher.secret_values).toContain(key);
    const progress: AgentProgress[] = [];
    const outcome = (
      await dispatcher.dispatch(request, { onProgress: (p) => progress.push(p) })
    )._unsafeUnwrap();

    const run = standIn.runs()[0];
    expect(run?.parent_secret).toBeNull();
    expect(run?.env_names).not.toContain("RUNGATE_TEST_PARENT_SECRET");
    expect(run?.env_names).toContain("RUNGATE_TEST_ALLOWED");
    expect(run?.env_names).toContain("ANTHROPIC_API_KEY");
    expect(run?.env_names).toContain("RUNGATE_EXECUTION_ID");

    const everything = JSON.stringify([outcome, progress]);
    expect(everything).not.toContain(key);
    expect(outcome.final_message).toBe("key [redacted]");
    expect(progress.some((p) => p.item?.kind === "message" && p.item.text === "my key is [redacted]")).toBe(
      true,
    );
  });
});

describe("claude dispatcher: sandbox", () => {
  it("wraps Claude Code with the sandbox: worktree as cwd, the clone's git dir and the config dir writable", async () => {
    const standIn = await installStandIn();
    await standIn.script(commitScript());
    const { request, worktree, clone } = await prepared();
    const sandbox = createRecordingSandbox();
    const { dispatcher, stateDir } = await standInDispatcher(standIn, { sandbox });
    const outcome = (await dispatcher.dispatch(request))._unsafeUnwrap();
    expect(outcome.outcome).toBe("committed");
    const spec = sandbox.wrapped.at(-1);
    expect(spec?.cwd).toBe(worktree);
    expect(spec?.argv[0]).toBe(standIn.path);
    expect(spec?.writable).toContain(join(clone, ".git"));
    expect(spec?.writable).toContain(join(stateDir, "claude-config"));
    expect(spec?.readable).toContain(join(standIn.path, ".."));
    expect(standIn.runs()[0]?.env_names).toContain("CLAUDE_CONFIG_DIR");
  });

  it("runs Claude Code in a real bubblewrap sandbox and commits through the clone's common git dir", async (ctx) => {
    const sandbox = createBubblewrapSandbox();
    const usable =
      sandbox.check().isOk() &&
      (await execa("bwrap", ["--ro-bind", "/", "/", "true"], { reject: false })).exitCode === 0;
    if (!usable) return ctx.skip();
    const standIn = await installStandIn();
    await standIn.script({
      steps: [
        ...commitScript().steps,
        // Outside the worktree and its git data, the sandbox keeps the file system read-only.
        {
          tool: "Bash",
          input: { command: "touch /usr/rungate-sandbox-probe 2>/dev/null || echo read-only" },
        },
      ],
      result: "Committed inside the sandbox.",
    });
    const { request, worktree } = await prepared();
    const before = await git(worktree, "rev-parse", "HEAD");
    // The stand-in logs to its dir, which a sandbox would hide: it is made the (writable) config dir.
    const { dispatcher } = await standInDispatcher(standIn, { sandbox, claude_config_dir: standIn.dir });
    const outcome = (await dispatcher.dispatch(request))._unsafeUnwrap();
    expect(outcome).toMatchObject({ outcome: "committed", final_message: "Committed inside the sandbox." });
    expect(await git(worktree, "rev-parse", "HEAD")).not.toBe(before);
    expect(existsSync("/usr/rungate-sandbox-probe")).toBe(false);
  });

  it("starts nothing when the sandbox cannot run: port_failure, the execution startable again", async () => {
    const standIn = await installStandIn();
    const { request } = await prepared();
    const { dispatcher, stateDir } = await standInDispatcher(standIn, {
      sandbox: createRecordingSandbox({ unavailable: true }),
    });
    const error = (await dispatcher.dispatch(request))._unsafeUnwrapErr();
    expect(error.kind).toBe("port_failure");
    expect(error.message).toContain("sandbox");
    expect(standIn.runs()).toHaveLength(0);
    expect(existsSync(join(stateDir, `${request.execution_id}.json`))).toBe(false);
  });
});

describe("claude dispatcher: configuration and requests", () => {
  it("refuses bypassPermissions and unknown options at construction, with a usage line", () => {
    expect(() => createClaudeDispatcher({ permission_mode: "bypassPermissions" as never })).toThrow(/Usage:/);
    expect(() => createClaudeDispatcher({ allowedTools: ["Bash"] } as never)).toThrow(/invalid options/);
  });

  it("fails validation for an execution id that is not a UUID (it is Claude Code's session id)", async () => {
    const standIn = await installStandIn();
    const { request } = await prepared();
    const { dispatcher } = await standInDispatcher(standIn);
    const error = (await dispatcher.dispatch({ ...request, execution_id: "exec-1" }))._unsafeUnwrapErr();
    expect(error.kind).toBe("validation");
  });

  it("fails port_failure when Claude Code cannot be started, leaving the execution startable", async () => {
    const standIn = await installStandIn();
    const { request } = await prepared();
    const { dispatcher, stateDir } = await standInDispatcher(standIn, {
      path_to_claude_code_executable: join(standIn.dir, "no-such-claude"),
    });
    const error = (await dispatcher.dispatch(request))._unsafeUnwrapErr();
    expect(error.kind).toBe("port_failure");
    expect(existsSync(join(stateDir, `${request.execution_id}.json`))).toBe(false);
  });
});
