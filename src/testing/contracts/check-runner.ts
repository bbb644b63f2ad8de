import { describe, expect, it } from "vitest";
import type { CheckRunner, CheckRunRequest, CheckRunResult } from "../../ports/check-runner.js";
import { errOf, okOf, tracePortCalls } from "./port-calls.js";

/** What {@link describeCheckRunnerContract} needs from the adapter under test, fresh for every case. */
export interface CheckRunnerContractHarness {
  /** The adapter under test. */
  readonly runner: CheckRunner;
  /** A request whose check the harness set up to pass (e.g. a command that exits 0). */
  passing(): Promise<CheckRunRequest>;
  /** A request whose check the harness set up to run and fail (e.g. a command that exits 1). */
  failing(): Promise<CheckRunRequest>;
}

/** Options of {@link describeCheckRunnerContract}. */
export interface CheckRunnerContractOptions {
  /** The adapter's name, shown in the suite title. */
  readonly name: string;
  /** Builds a fresh harness; called once per case. */
  readonly make: () => CheckRunnerContractHarness | Promise<CheckRunnerContractHarness>;
}

function expectWellFormed(result: CheckRunResult): void {
  expect(["passed", "failed", "skipped", "error"]).toContain(result.status);
  expect(Number.isFinite(result.duration_ms)).toBe(true);
  expect(result.duration_ms).toBeGreaterThanOrEqual(0);
  expect(result.output === null || typeof result.output === "string").toBe(true);
}

/**
 * The behaviour every {@link CheckRunner} must show, as a vitest suite titled `CheckRunner contract: <name>`:
 * results carry a status, a duration ≥ 0 and an output string or null; a check that ran and failed is an ok
 * `failed` result, not a port error; an already-aborted signal fails with `cancelled`.
 */
export function describeCheckRunnerContract(options: CheckRunnerContractOptions): void {
  describe(`CheckRunner contract: ${options.name}`, () => {
    /**
     * A fresh harness and its `runner` traced, so a failure names the method (`checks.run`). Only the port
     * is traced: the harness stays the user's object, and its own methods are called on it.
     */
    async function make(): Promise<{ harness: CheckRunnerContractHarness; runner: CheckRunner }> {
      const harness = await options.make();
      return { harness, runner: tracePortCalls(harness.runner, "checks") };
    }

    it("has a name", async () => {
      const { runner } = await options.make();
      expect(typeof runner.name).toBe("string");
      expect(runner.name.length).toBeGreaterThan(0);
    });

    it("reports a passing check as passed, with a duration and an output", async () => {
      const { harness, runner } = await make();
      const result = await okOf(runner.run(await harness.passing()));
      expectWellFormed(result);
      expect(result.status).toBe("passed");
    });

    it("reports a failing check as an ok failed result, not a port error", async () => {
      const { harness, runner } = await make();
      const result = await okOf(runner.run(await harness.failing()));
      expectWellFormed(result);
      expect(result.status).toBe("failed");
    });

    it("fails with cancelled when the signal is already aborted", async () => {
      const { harness, runner } = await make();
      const controller = new AbortController();
      controller.abort();
      const error = await errOf(runner.run(await harness.passing(), { signal: controller.signal }));
      expect(error.kind).toBe("cancelled");
    });
  });
}
