import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AgentLimits } from "../../../src/core/policy/agent-budget.js";
import type { AgentDispatchRequest, AgentProgress } from "../../../src/ports/agent-dispatcher.js";
import { eventually, isGone } from "../process-checks/process-helpers.js";
import { dispatchRequest, makeRepo, removeTempDirs } from "../process-dispatch/dispatch-fixture.js";
import { installCodexStandIn, type StandInStep, standInCodex } from "./codex-fixture.js";

// Limits rungate holds Codex to, since Codex has none of its own for turns, tokens or a missing key: each
// case lets the stand-in run on and proves it was stopped, and killed, before it got far.

let standIn: string;
beforeAll(async () => {
  standIn = await installCodexStandIn();
});
afterAll(removeTempDirs);

const NO_LIMITS: AgentLimits = {
  max_turns: null,
  max_cost_usd: null,
  max_tokens: null,
  timeout_ms: null,
  inactivity_timeout_ms: null,
  model: null,
};

async function request(limits: Partial<AgentLimits> = {}): Promise<AgentDispatchRequest> {
  const repo = await makeRepo();
  const branch = `rungate/card-${Math.random().toString(36).slice(2, 8)}`;
  const worktree = await repo.worktree(branch);
  return { ...dispatchRequest(worktree, branch), limits: { ...NO_LIMITS, ...limits } };
}

const OPENING: StandInStep[] = [{ do: "thread_started" }, { do: "turn_started" }];

/** Codex 0.163's own words for a refused key, as it printed them against a server answering 401. */
const REFUSED_KEY = [
  "Reconnecting... 2/5 (unexpected status 401 Unauthorized: {}, url: ws://127.0.0.1:18555/v1/responses)",
  "Reconnecting... 1/5 (unexpected status 401 Unauthorized: Incorrect API key provided: sk-bad0123456789abcdefghij. You can find your API key at https://platform.openai.com/account/api-keys., url: http://127.0.0.1:18555/v1/responses)",
];

describe("codex dispatch: limits", () => {
  it("stops Codex past the token budget, read from its session log while it runs, and kills it", async () => {
    const req = await request({ max_tokens: 1_000 });
    const harness = await standInCodex(standIn, {
      steps: [
        ...OPENING,
        {
          do: "loop",
          times: 40,
          steps: [
            { do: "usage", input: 300, output: 30 },
            { do: "mark", name: "step" },
            { do: "sleep", ms: 100 },
          ],
        },
        { do: "mark", name: "finished" },
        { do: "turn_completed" },
      ],
    });
    const lines: AgentProgress[] = [];
    const began = Date.now();
    const outcome = (
      await harness.dispatcher.dispatch(req, { onProgress: (p) => lines.push(p) })
    )._unsafeUnwrap();
    expect(Date.now() - began).toBeLessThan(3_000);
    expect(outcome.outcome).toBe("agent_error");
    expect(outcome.terminal_reason).toBe("budget");
    expect(outcome.usage?.input_tokens).toBe(1_200);
    expect(outcome.num_turns).toBe(4);
    expect(outcome.cost_usd).toBeNull();
    expect(outcome.summary).toContain("max_tokens (1000)");
    const pid = harness.starts()[0]?.pid ?? 0;
    expect(await eventually(() => isGone(pid), 2_000)).toBe(true);
    expect(harness.marks()).not.toContain("finished");
    expect(harness.marks().length).toBeLessThan(8);
    expect(lines.some((line) => line.item?.kind === "usage")).toBe(true);
  });

  it("stops Codex past max_turns (model responses)", async () => {
    const req = await request({ max_turns: 2 });
    const harness = await standInCodex(standIn, {
      steps: [
        ...OPENING,
        {
          do: "loop",
          times: 20,
          steps: [
            { do: "usage", input: 10, output: 1 },
            { do: "sleep", ms: 100 },
          ],
        },
        { do: "mark", name: "finished" },
        { do: "turn_completed" },
      ],
    });
    const outcome = (await harness.dispatcher.dispatch(req))._unsafeUnwrap();
    expect(outcome.terminal_reason).toBe("max_turns");
    expect(outcome.outcome).toBe("agent_error");
    expect(outcome.num_turns).toBe(3);
    expect(harness.marks()).not.toContain("finished");
  });

  it("checks the budget at the turn's end when there is no session log to read", async () => {
    const req = await request({ max_tokens: 100 });
    const harness = await standInCodex(standIn, {
      steps: [
        ...OPENING,
        {
          do: "raw",
          event: {
            type: "turn.completed",
            usage: { input_tokens: 500, cached_input_tokens: 0, output_tokens: 50 },
          },
        },
      ],
    });
    const outcome = (await harness.dispatcher.dispatch(req))._unsafeUnwrap();
    expect(outcome.terminal_reason).toBe("budget");
    expect(outcome.usage).toEqual({ input_tokens: 500, output_tokens: 50, cached_input_tokens: 0 });
    expect(outcome.num_turns).toBe(1);
  });

  it("stops Codex at the first refused key instead of letting it retry, and redacts the key", async () => {
    const req = await request();
    const harness = await standInCodex(standIn, {
      steps: [
        ...OPENING,
        {
          do: "loop",
          steps: [
            ...REFUSED_KEY.map((message): StandInStep => ({ do: "error", message })),
            { do: "sleep", ms: 50 },
          ],
        },
      ],
    });
    const began = Date.now();
    const outcome = (await harness.dispatcher.dispatch(req))._unsafeUnwrap();
    expect(Date.now() - began).toBeLessThan(2_000);
    expect(outcome.terminal_reason).toBe("no_credential");
    expect(outcome.outcome).toBe("agent_error");
    expect(outcome.summary).toContain("401 Unauthorized");
    expect(await eventually(() => isGone(harness.starts()[0]?.pid ?? 0), 2_000)).toBe(true);

    const wrongKey = await standInCodex(standIn, {
      steps: [
        ...OPENING,
        {
          do: "loop",
          steps: [
            { do: "error", message: REFUSED_KEY[1] ?? "" },
            { do: "sleep", ms: 50 },
          ],
        },
      ],
    });
    const refused = (await wrongKey.dispatcher.dispatch(await request()))._unsafeUnwrap();
    expect(refused.terminal_reason).toBe("no_credential");
    expect(refused.summary).not.toContain("sk-bad0123456789abcdefghij");
  });

  it("stops Codex as hung when it prints nothing, with the timeout port error, and kills it", async () => {
    const req = await request({ inactivity_timeout_ms: 400 });
    const harness = await standInCodex(standIn, { steps: [...OPENING, { do: "hang" }] });
    const began = Date.now();
    const error = (await harness.dispatcher.dispatch(req))._unsafeUnwrapErr();
    expect(Date.now() - began).toBeLessThan(3_000);
    expect(error.kind).toBe("timeout");
    expect(error.detail).toMatchObject({
      timeout_ms: 400,
      output_tail: expect.stringContaining("inactivity"),
    });
    expect(await eventually(() => isGone(harness.starts()[0]?.pid ?? 0), 2_000)).toBe(true);
  });

  it("does not count Codex's retry notices as activity (no network: it would retry forever)", async () => {
    const req = await request({ inactivity_timeout_ms: 500 });
    const harness = await standInCodex(standIn, {
      steps: [
        ...OPENING,
        {
          do: "loop",
          steps: [
            {
              do: "error",
              message: "Reconnecting... waiting for network (Connection failed: error sending request)",
            },
            { do: "sleep", ms: 100 },
          ],
        },
      ],
    });
    const error = (await harness.dispatcher.dispatch(req))._unsafeUnwrapErr();
    expect(error.kind).toBe("timeout");
  });

  it("kills a Codex that ignores SIGTERM once the grace period is over", async () => {
    const req = await request({ inactivity_timeout_ms: 300 });
    const harness = await standInCodex(standIn, {
      ignore_sigterm: true,
      steps: [...OPENING, { do: "hang" }],
    });
    const error = (await harness.dispatcher.dispatch(req))._unsafeUnwrapErr();
    expect(error.kind).toBe("timeout");
    expect(isGone(harness.starts()[0]?.pid ?? 0)).toBe(true);
  });

  it("holds Codex to the smaller of the request's and the call's wall time", async () => {
    const req = await request({ timeout_ms: 60_000 });
    const harness = await standInCodex(standIn, {
      steps: [
        ...OPENING,
        {
          do: "loop",
          steps: [
            { do: "message", text: "still here" },
            { do: "sleep", ms: 50 },
          ],
        },
      ],
    });
    const error = (await harness.dispatcher.dispatch(req, { timeout_ms: 400 }))._unsafeUnwrapErr();
    expect(error.kind).toBe("timeout");
    expect(error.detail).toMatchObject({ timeout_ms: 400 });
  });

  it("fails with cancelled when the signal aborts mid-run, and kills Codex", async () => {
    const req = await request();
    const harness = await standInCodex(standIn, {
      steps: [...OPENING, { do: "mark", name: "running" }, { do: "hang" }],
    });
    const controller = new AbortController();
    const pending = harness.dispatcher.dispatch(req, { signal: controller.signal });
    await eventually(() => harness.marks().includes("running"), 5_000);
    controller.abort();
    const error = (await pending)._unsafeUnwrapErr();
    expect(error.kind).toBe("cancelled");
    expect(await eventually(() => isGone(harness.starts()[0]?.pid ?? 0), 2_000)).toBe(true);
  });

  it("says a dollar cap cannot be enforced, and runs on its token budget", async () => {
    const req = await request({ max_cost_usd: 1 });
    const harness = await standInCodex(standIn, {
      steps: [...OPENING, { do: "usage", input: 5, output: 1 }, { do: "turn_completed" }],
    });
    const lines: AgentProgress[] = [];
    const outcome = (
      await harness.dispatcher.dispatch(req, { onProgress: (p) => lines.push(p) })
    )._unsafeUnwrap();
    expect(outcome.terminal_reason).toBe("completed");
    expect(outcome.cost_usd).toBeNull();
    expect(lines.some((line) => line.message.includes("max_cost_usd (1) cannot be enforced"))).toBe(true);
  });
});

describe("codex dispatch: how Codex ended by itself", () => {
  it("answers agent_error with Codex's error and exit code for a failed turn", async () => {
    const req = await request();
    const harness = await standInCodex(standIn, {
      steps: [
        ...OPENING,
        { do: "turn_failed", message: "stream disconnected before completion" },
        { do: "exit", code: 1, stderr: "Error: turn failed\n" },
      ],
    });
    const outcome = (await harness.dispatcher.dispatch(req))._unsafeUnwrap();
    expect(outcome.outcome).toBe("agent_error");
    expect(outcome.terminal_reason).toBe("error");
    expect(outcome.exit_code).toBe(1);
    expect(outcome.summary).toContain("stream disconnected before completion");
  });

  it("answers agent_error when codex exits before its turn ends", async () => {
    const req = await request();
    const harness = await standInCodex(standIn, {
      steps: [...OPENING, { do: "exit", code: 7, stderr: "boom\n" }],
    });
    const outcome = (await harness.dispatcher.dispatch(req))._unsafeUnwrap();
    expect(outcome.outcome).toBe("agent_error");
    expect(outcome.exit_code).toBe(7);
    expect(outcome.summary).toContain("boom");
  });

  it("records a write the sandbox refused as a permission denial", async () => {
    const req = await request();
    const harness = await standInCodex(standIn, {
      steps: [
        ...OPENING,
        {
          do: "command",
          command: "echo \"touch: cannot touch '/etc/rungate-probe': Read-only file system\" >&2; exit 1",
        },
        { do: "file_change", changes: [{ path: "/etc/rungate-probe", kind: "add" }], status: "failed" },
        // A patch that failed inside the worktree is an ordinary failure, not a refusal.
        { do: "file_change", changes: [{ path: "src/cart.ts", kind: "update" }], status: "failed" },
        { do: "usage", input: 1, output: 1 },
        { do: "turn_completed" },
      ],
    });
    const outcome = (await harness.dispatcher.dispatch(req))._unsafeUnwrap();
    expect(outcome.permission_denials).toEqual([
      {
        tool: "command_execution",
        path: "/etc/rungate-probe",
        reason: expect.stringContaining("Read-only file system"),
      },
      { tool: "apply_patch", path: "/etc/rungate-probe", reason: expect.stringContaining("outside") },
    ]);
  });
});
