import { describe, expect, it } from "vitest";
import { rungateError } from "../../../src/core/errors.js";
import type { CheckRunRequest } from "../../../src/ports/check-runner.js";
import { describeCheckRunnerContract } from "../../../src/testing/contracts/check-runner.js";
import { createScriptedCheckRunner } from "../../../src/testing/fakes/scripted-check-runner.js";
import { fixtureId } from "../../../src/testing/fixtures.js";

const HEAD_A = "a".repeat(40);
const HEAD_B = "b".repeat(40);

function request(overrides: Partial<CheckRunRequest> = {}): CheckRunRequest {
  return {
    run_id: fixtureId(10),
    assignment_id: fixtureId(500),
    check_type: "unit",
    head_sha: HEAD_A,
    worktree_path: "/fake/repos/p/.worktrees/a",
    ...overrides,
  };
}

describeCheckRunnerContract({
  name: "scripted check runner",
  make: () => {
    const runner = createScriptedCheckRunner({ lint: "passed", unit: "failed" });
    return {
      runner,
      passing: async () => request({ check_type: "lint" }),
      failing: async () => request({ check_type: "unit" }),
    };
  },
});

describe("scripted check runner", () => {
  it("passes every check type that is not scripted, with a recognisable output", async () => {
    const runner = createScriptedCheckRunner();
    expect((await runner.run(request({ check_type: "e2e" })))._unsafeUnwrap()).toEqual({
      status: "passed",
      output: "ok (scripted)",
      duration_ms: 1,
    });
  });

  it("answers a scripted status, a full result, or a function of the request", async () => {
    const runner = createScriptedCheckRunner({
      lint: "skipped",
      unit: { status: "failed", output: "1 test failed", duration_ms: 42 },
      e2e: (req) => ({ status: req.head_sha === HEAD_B ? "passed" : "error", output: null, duration_ms: 0 }),
    });
    expect((await runner.run(request({ check_type: "lint" })))._unsafeUnwrap()).toEqual({
      status: "skipped",
      output: "skipped (scripted)",
      duration_ms: 1,
    });
    expect((await runner.run(request()))._unsafeUnwrap()).toEqual({
      status: "failed",
      output: "1 test failed",
      duration_ms: 42,
    });
    expect((await runner.run(request({ check_type: "e2e" })))._unsafeUnwrap().status).toBe("error");
    expect((await runner.run(request({ check_type: "e2e", head_sha: HEAD_B })))._unsafeUnwrap().status).toBe(
      "passed",
    );
  });

  it("fails at the port level when the script says the runner broke", async () => {
    const broken = rungateError("port_failure", "spawn_failed", {
      port: "CheckRunner",
      adapter: "scripted-check-runner",
      operation: "run",
      retryable: true,
    });
    const runner = createScriptedCheckRunner({ unit: broken, lint: () => broken });
    expect((await runner.run(request()))._unsafeUnwrapErr()).toBe(broken);
    expect((await runner.run(request({ check_type: "lint" })))._unsafeUnwrapErr()).toBe(broken);
  });

  it("turns a script function that throws into port_failure instead of a rejection", async () => {
    const runner = createScriptedCheckRunner({
      unit: () => {
        throw new Error("boom");
      },
    });
    expect((await runner.run(request()))._unsafeUnwrapErr()).toMatchObject({
      kind: "port_failure",
      detail: { port: "CheckRunner", adapter: "scripted-check-runner", cause: "boom" },
    });
  });

  it("consumes queued answers first-in first-out, per check type, then falls back to the script", async () => {
    const runner = createScriptedCheckRunner({ unit: "skipped" });
    runner.queue("unit", "failed", "error");
    runner.queue("unit", "passed");
    runner.queue("lint", "failed");
    const statuses: string[] = [];
    for (let i = 0; i < 4; i += 1) statuses.push((await runner.run(request()))._unsafeUnwrap().status);
    expect(statuses).toEqual(["failed", "error", "passed", "skipped"]);
    expect((await runner.run(request({ check_type: "lint" })))._unsafeUnwrap().status).toBe("failed");
    expect((await runner.run(request({ check_type: "lint" })))._unsafeUnwrap().status).toBe("passed");
  });

  it("answers per head sha before the script (a fix pushed, checks green again)", async () => {
    const runner = createScriptedCheckRunner({ unit: "passed" }, { heads: { [HEAD_A]: { unit: "failed" } } });
    expect((await runner.run(request({ head_sha: HEAD_A })))._unsafeUnwrap().status).toBe("failed");
    expect((await runner.run(request({ head_sha: HEAD_B })))._unsafeUnwrap().status).toBe("passed");
    runner.queue("unit", "error");
    expect((await runner.run(request({ head_sha: HEAD_A })))._unsafeUnwrap().status).toBe("error");
  });

  it("changes the standing answer with setScript, and restores the default with undefined", async () => {
    const runner = createScriptedCheckRunner({ unit: "failed" });
    runner.setScript("unit", "skipped");
    expect((await runner.run(request()))._unsafeUnwrap().status).toBe("skipped");
    runner.setScript("unit", undefined);
    expect((await runner.run(request()))._unsafeUnwrap().status).toBe("passed");
  });

  it("logs every run in order with what it answered, refused ones included", async () => {
    const runner = createScriptedCheckRunner({ unit: "failed" });
    await runner.run(request());
    await runner.run(request({ check_type: "lint", head_sha: HEAD_B }));
    const controller = new AbortController();
    controller.abort();
    await runner.run(request(), { signal: controller.signal });
    expect(
      runner.runs.map((r) => [
        r.request.check_type,
        r.request.head_sha,
        r.outcome && "status" in r.outcome ? r.outcome.status : null,
      ]),
    ).toEqual([
      ["unit", HEAD_A, "failed"],
      ["lint", HEAD_B, "passed"],
      ["unit", HEAD_A, null],
    ]);
  });

  it("does not consume a queued answer when refusing an aborted run", async () => {
    const runner = createScriptedCheckRunner();
    runner.queue("unit", "failed");
    const controller = new AbortController();
    controller.abort();
    await runner.run(request(), { signal: controller.signal });
    expect((await runner.run(request()))._unsafeUnwrap().status).toBe("failed");
  });

  it("is cancelled by an abort while a slow check runs", async () => {
    const runner = createScriptedCheckRunner({}, { delay_ms: { unit: 10_000 } });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 20);
    const started = Date.now();
    const result = await runner.run(request(), { signal: controller.signal });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(result._unsafeUnwrapErr()).toMatchObject({
      kind: "cancelled",
      detail: { operation: "check unit" },
    });
  });

  it("times out when a check takes longer than timeout_ms, and not otherwise", async () => {
    const runner = createScriptedCheckRunner({}, { delay_ms: { unit: 10_000, lint: 5 } });
    expect((await runner.run(request(), { timeout_ms: 20 }))._unsafeUnwrapErr()).toMatchObject({
      kind: "timeout",
      detail: { timeout_ms: 20 },
    });
    expect((await runner.run(request({ check_type: "lint" }), { timeout_ms: 5_000 })).isOk()).toBe(true);
  });
});
