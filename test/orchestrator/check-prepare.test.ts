import { okAsync } from "neverthrow";
import { describe, expect, it } from "vitest";
import { createOrchestrator } from "../../src/orchestrator/index.js";
import type { CheckRunner } from "../../src/ports/check-runner.js";
import { createInMemoryPorts, policyFixture } from "../../src/testing/index.js";
import { cardRequest } from "./helpers.js";

describe("the prepare step is recorded as its own step", () => {
  it("stores a check.prepared event per check that had one, with command, outcome and duration", async () => {
    const ports = createInMemoryPorts();
    const runner: CheckRunner = {
      name: "preparing-runner",
      run: (request) =>
        okAsync({
          status: "passed",
          output: "ok",
          duration_ms: 40,
          ...(request.check_type === "unit"
            ? { prepare: { command: "npm ci --prefer-offline", status: "passed" as const, duration_ms: 30 } }
            : {}),
        }),
    };
    const orchestrator = createOrchestrator({ ...ports, checks: runner });
    const built = (await orchestrator.triggerBuild(cardRequest()))._unsafeUnwrap();
    const events = (await ports.storage.listEvents(built.run.id))._unsafeUnwrap();
    const prepared = events.filter((e) => e.event_type === "check.prepared");
    expect(prepared.map((e) => e.payload)).toEqual([
      {
        assignment_id: built.assignments[0]?.id,
        check_type: "unit",
        head_sha: built.assignments[0]?.head_sha,
        command: "npm ci --prefer-offline",
        status: "passed",
        duration_ms: 30,
      },
    ]);
  });

  it("hands the runner the policy's security_policy.fail_on_severity with every check", async () => {
    const ports = createInMemoryPorts();
    const orchestrator = createOrchestrator(ports);
    const policy = policyFixture({ security_policy: { fail_on_severity: "moderate" } });
    (await orchestrator.triggerBuild(cardRequest({}, policy)))._unsafeUnwrap();
    const asked = ports.checks.runs.map((r) => r.request.fail_on_severity);
    expect(asked.length).toBeGreaterThan(0);
    expect(new Set(asked)).toEqual(new Set(["moderate"]));
  });
});
