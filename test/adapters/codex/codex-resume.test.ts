import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ExecutionMarker, readMarker } from "../../../src/internal/agent-dispatch/execution-markers.js";
import type { AgentDispatchRequest } from "../../../src/ports/agent-dispatcher.js";
import { eventually, isGone } from "../process-checks/process-helpers.js";
import { dispatchRequest, makeRepo, removeTempDirs } from "../process-dispatch/dispatch-fixture.js";
import {
  COMMITTING_TURN,
  installCodexStandIn,
  type StandInHarness,
  type StandInStep,
  standInCodex,
} from "./codex-fixture.js";

// Once per execution id, with Codex's threads: the thread id is recorded as soon as Codex names it, a
// dispatch that finds the process before it dead resumes that thread once, and a redispatch after failed
// checks resumes an earlier attempt's thread. The deaths are real: a dispatch runs in a child process that
// the test kills with SIGKILL, leaving its `codex` behind.

let standIn: string;
beforeAll(async () => {
  standIn = await installCodexStandIn();
});
/** Every harness of this file: a failed case must not leave its stand-ins running. */
const harnesses: StandInHarness[] = [];
afterAll(async () => {
  for (const start of harnesses.flatMap((harness) => harness.starts())) {
    // Only a stand-in of this file: its pid may have gone to another process since.
    try {
      if (readFileSync(`/proc/${start.pid}/cmdline`, "utf8").includes("rungate-codex-bin-")) {
        process.kill(start.pid, "SIGKILL");
      }
    } catch {
      // Gone already, as it should be.
    }
  }
  await removeTempDirs();
});

const CHILD = join(import.meta.dirname, "dispatch-child.ts");
const OPENING: StandInStep[] = [{ do: "thread_started" }, { do: "turn_started" }];

async function request(): Promise<AgentDispatchRequest> {
  const repo = await makeRepo();
  const branch = `rungate/card-${Math.random().toString(36).slice(2, 8)}`;
  return dispatchRequest(await repo.worktree(branch), branch);
}

function markerFile(harness: StandInHarness, req: AgentDispatchRequest): string {
  return join(harness.stateDir, `${req.execution_id}.json`);
}

function markerNow(harness: StandInHarness, req: AgentDispatchRequest): Partial<ExecutionMarker> {
  const file = markerFile(harness, req);
  return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as Partial<ExecutionMarker>) : {};
}

/** A harness on the stand-in, remembered for the cleanup. */
async function codex(...args: Parameters<typeof standInCodex>): Promise<StandInHarness> {
  const harness = await standInCodex(...args);
  harnesses.push(harness);
  return harness;
}

/** Runs the dispatch in a child process, and kills it (SIGKILL) once the stand-in reached `mark`. */
async function dispatchAndKill(
  harness: StandInHarness,
  req: AgentDispatchRequest,
  mark: string,
): Promise<void> {
  const child: ChildProcess = spawn(
    process.execPath,
    ["--import", "tsx", CHILD, JSON.stringify(harness.config), JSON.stringify(req)],
    { stdio: "ignore" },
  );
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const reached = await eventually(
    () => harness.marks().includes(mark) && typeof markerNow(harness, req).session_id === "string",
    30_000,
  );
  child.kill("SIGKILL");
  await exited;
  if (!reached) throw new Error(`the stand-in never reached ${mark}`);
}

/** The pid of a process that ran and is gone. */
function deadPid(): number {
  return spawnSync(process.execPath, ["-e", ""]).pid ?? 999_999;
}

/** Writes the marker another process would have left for `req`. */
async function plant(harness: StandInHarness, req: AgentDispatchRequest, fields: Partial<ExecutionMarker>) {
  await mkdir(harness.stateDir, { recursive: true });
  const marker: ExecutionMarker = {
    version: 1,
    execution_id: req.execution_id,
    run_id: req.run_id,
    assignment_id: req.assignment.id,
    owner_pid: deadPid(),
    agent_pgid: null,
    spawning: true,
    head_before: null,
    context_dir: null,
    session_id: null,
    started_at: new Date().toISOString(),
    result: null,
    ...fields,
  };
  await writeFile(markerFile(harness, req), JSON.stringify(marker));
}

describe("codex dispatch: after the process running it died", () => {
  it("resumes the same thread once, after killing the codex the dead process left", async () => {
    const req = await request();
    const harness = await codex(standIn, {
      runs: [
        {
          steps: [
            ...OPENING,
            { do: "usage", input: 100, output: 10 },
            { do: "mark", name: "first" },
            { do: "hang" },
          ],
        },
        {
          steps: [
            ...OPENING,
            { do: "commit", message: "Finish after the interruption" },
            { do: "usage", input: 50, output: 5 },
            { do: "message", text: "Finished after the interruption." },
            { do: "turn_completed" },
          ],
        },
      ],
    });
    await dispatchAndKill(harness, req, "first");
    const threadId = markerNow(harness, req).session_id;
    expect(threadId).toMatch(/^[0-9a-f-]{36}$/);
    const orphan = harness.starts()[0]?.pid ?? 0;
    expect(isGone(orphan)).toBe(false);

    const outcome = (await harness.dispatcher.dispatch(req))._unsafeUnwrap();
    expect(isGone(orphan)).toBe(true);
    const [, resumed] = harness.starts();
    expect(resumed?.resume).toBe(threadId);
    expect(resumed?.prompt).toContain("interrupted");
    expect(resumed?.prompt).toContain(req.task);
    expect(outcome.outcome).toBe("committed");
    expect(outcome.session_id).toBe(threadId);
    // The thread is this execution's own: what it used before the death counts too.
    expect(outcome.usage).toEqual({ input_tokens: 150, output_tokens: 15, cached_input_tokens: 0 });
    expect(outcome.num_turns).toBe(2);
    const marker = await readMarker(markerFile(harness, req));
    expect(marker?.resumed).toBe(1);
    expect(marker?.owner_pid).toBe(process.pid);
    expect(marker?.result).toEqual({ ok: outcome });
  }, 60_000);

  it("starts nothing after a second death: the execution is interrupted", async () => {
    const req = await request();
    const harness = await codex(standIn, {
      runs: [
        { steps: [...OPENING, { do: "mark", name: "first" }, { do: "hang" }] },
        { steps: [...OPENING, { do: "mark", name: "second" }, { do: "hang" }] },
      ],
    });
    await dispatchAndKill(harness, req, "first");
    await dispatchAndKill(harness, req, "second");
    const [first, second] = harness.starts();
    expect(second?.resume).toBe(markerNow(harness, req).session_id);

    const outcome = (await harness.dispatcher.dispatch(req))._unsafeUnwrap();
    expect(outcome.outcome).toBe("interrupted");
    expect(outcome.session_id).toBe(second?.resume);
    expect(harness.starts()).toHaveLength(2);
    expect(isGone(first?.pid ?? 0) && isGone(second?.pid ?? 0)).toBe(true);
    expect((await harness.dispatcher.dispatch(req))._unsafeUnwrap()).toEqual(outcome);
  }, 60_000);

  it("starts a thread once when the process died before Codex named one", async () => {
    const req = await request();
    const harness = await codex(standIn, COMMITTING_TURN);
    await plant(harness, req, { spawning: true, session_id: null });
    const outcome = (await harness.dispatcher.dispatch(req))._unsafeUnwrap();
    expect(outcome.outcome).toBe("committed");
    expect(harness.starts()[0]?.resume).toBeNull();
    expect(harness.starts()[0]?.prompt).toBe(req.task);
    expect((await readMarker(markerFile(harness, req)))?.resumed).toBe(1);
  });

  it("runs an execution whose process died before starting codex as if new", async () => {
    const req = await request();
    const harness = await codex(standIn, COMMITTING_TURN);
    await plant(harness, req, { spawning: false });
    const outcome = (await harness.dispatcher.dispatch(req))._unsafeUnwrap();
    expect(outcome.outcome).toBe("committed");
    expect((await readMarker(markerFile(harness, req)))?.resumed).toBeUndefined();
  });

  it("fails retryably while another live process runs the execution", async () => {
    const req = await request();
    const harness = await codex(standIn, COMMITTING_TURN);
    const other = spawn(process.execPath, ["-e", "setTimeout(() => {}, 30000)"], { stdio: "ignore" });
    try {
      await plant(harness, req, { owner_pid: other.pid ?? 0, session_id: "thread-of-another-process" });
      const error = (await harness.dispatcher.dispatch(req))._unsafeUnwrapErr();
      expect(error.kind).toBe("port_failure");
      expect(error.detail).toMatchObject({ retryable: true });
      expect(harness.starts()).toHaveLength(0);
    } finally {
      other.kill("SIGKILL");
    }
  });

  it("takes over from a live owner whose lease passed (takeover): starts nothing for one that never spawned, starts a thread for one that did", async () => {
    const req = await request();
    const harness = await codex(standIn, COMMITTING_TURN);
    const other = spawn(process.execPath, ["-e", "setTimeout(() => {}, 30000)"], { stdio: "ignore" });
    try {
      const owner_pid = other.pid ?? 0;
      await plant(harness, req, { owner_pid, spawning: false });
      const never = (await harness.dispatcher.dispatch({ ...req, takeover: true }))._unsafeUnwrap();
      expect(never).toMatchObject({ outcome: "interrupted", exit_code: null });
      expect(harness.starts()).toHaveLength(0);

      const spawned = await request();
      await plant(harness, spawned, { owner_pid, spawning: true, session_id: null });
      const outcome = (await harness.dispatcher.dispatch({ ...spawned, takeover: true }))._unsafeUnwrap();
      expect(outcome.outcome).toBe("committed");
      expect(harness.starts()).toHaveLength(1);
      expect((await readMarker(markerFile(harness, spawned)))?.resumed).toBe(1);
    } finally {
      other.kill("SIGKILL");
    }
  });
});

describe("codex dispatch: a redispatch after failed checks", () => {
  it("resumes the earlier attempt's thread with the new task, counting only what it uses now", async () => {
    const first = await request();
    const harness = await codex(standIn, COMMITTING_TURN);
    const earlier = (await harness.dispatcher.dispatch(first))._unsafeUnwrap();
    const threadId = earlier.session_id ?? "";
    await harness.script({
      steps: [
        ...OPENING,
        { do: "usage", input: 700, output: 70, cached: 600 },
        { do: "commit", message: "Fix the failing check" },
        { do: "message", text: "Fixed the check." },
        { do: "turn_completed" },
      ],
    });
    const again: AgentDispatchRequest = {
      ...dispatchRequest(first.assignment.worktree_path ?? "", first.assignment.feature_branch, {
        task: "The unit check failed: expected 3, got 2. Fix it.",
      }),
      resume_session_id: threadId,
    };
    const outcome = (await harness.dispatcher.dispatch(again))._unsafeUnwrap();
    const [, resumed] = harness.starts();
    expect(resumed?.resume).toBe(threadId);
    expect(resumed?.prompt).toBe("The unit check failed: expected 3, got 2. Fix it.");
    expect(outcome.session_id).toBe(threadId);
    expect(outcome.usage).toEqual({ input_tokens: 700, output_tokens: 70, cached_input_tokens: 600 });
    expect(outcome.num_turns).toBe(1);
    expect((await readMarker(join(harness.stateDir, `${again.execution_id}.json`)))?.session_id).toBe(
      threadId,
    );
  });

  it("starts a new thread when Codex has no record of the one to resume", async () => {
    const req = { ...(await request()), resume_session_id: "0199a213-81c0-7800-8aa1-bbab2a035a53" };
    const harness = await codex(standIn, COMMITTING_TURN);
    const outcome = (await harness.dispatcher.dispatch(req))._unsafeUnwrap();
    const [missing, fresh] = harness.starts();
    expect(missing?.resume).toBe("0199a213-81c0-7800-8aa1-bbab2a035a53");
    expect(fresh?.resume).toBeNull();
    expect(outcome.outcome).toBe("committed");
    expect(outcome.session_id).not.toBe("0199a213-81c0-7800-8aa1-bbab2a035a53");
  });

  it("refuses a session id Codex would read as an option", async () => {
    const req = { ...(await request()), resume_session_id: "--dangerously-bypass-approvals-and-sandbox" };
    const harness = await codex(standIn, COMMITTING_TURN);
    const error = (await harness.dispatcher.dispatch(req))._unsafeUnwrapErr();
    expect(error.kind).toBe("validation");
    expect(harness.starts()).toHaveLength(0);
  });
});
