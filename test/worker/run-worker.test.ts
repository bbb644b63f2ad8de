import { hostname } from "node:os";
import { errAsync } from "neverthrow";
import { describe, expect, it } from "vitest";
import { type RungateError, rungateError } from "../../src/core/errors.js";
import { createOrchestrator } from "../../src/index.js";
import type { AgentDispatchRequest } from "../../src/ports/agent-dispatcher.js";
import {
  createInMemoryPorts,
  createInMemoryStorage,
  fixtureId,
  policyFixture,
  runInputFixture,
} from "../../src/testing/index.js";
import { MAX_REPORTED_ERRORS, runWorker } from "../../src/worker/index.js";

function workflow(n: number, run: number) {
  return {
    ...runInputFixture({
      scope: "workflow",
      workflow_id: fixtureId(5000 + run),
      card_id: null,
      trigger_type: "workflow",
      cards: Array.from({ length: n }, (_, i) => ({
        card_id: fixtureId(10_000 + run * 100 + i),
        title: `Card ${run}.${i}`,
        allowed_paths: [`src/r${run}/c${i}/**`],
        feature_branch: `rungate/r${run}-c${i}`,
      })),
    }),
    policy: policyFixture({ required_checks: ["policy", "lint", "unit", "integration"] }),
  };
}

describe("runWorker", () => {
  it("refuses a store without leases, before claiming anything", async () => {
    const ports = createInMemoryPorts();
    const { leases: _ignored, ...storage } = ports.storage;
    const bare = { ...ports, storage };
    const r = await runWorker(bare, { until_idle: true });
    expect(r._unsafeUnwrapErr().code).toBe("storage_without_leases");
  });

  it("4 workers share 24 cards: each card dispatched exactly once, none lost", async () => {
    const ports = createInMemoryPorts();
    expect(ports.storage.leases).toBeDefined();
    const host = createOrchestrator(ports);
    const runs = [];
    for (let r = 0; r < 4; r++) runs.push((await host.createRun(workflow(6, r)))._unsafeUnwrap().run.id);
    const reports = await Promise.all(
      [0, 1, 2, 3].map((w) =>
        runWorker(ports, { worker_id: `w${w}`, until_idle: true, lease_ms: 1_000_000_000, poll_ms: 5 }),
      ),
    );
    const claimed = reports.flatMap((r) => r._unsafeUnwrap().claimed);
    expect(reports.flatMap((r) => r._unsafeUnwrap().errors)).toEqual([]);
    expect(new Set(claimed).size).toBe(24);
    expect(claimed).toHaveLength(24);
    const perAssignment = new Map<string, number>();
    for (const d of ports.dispatcher.dispatches)
      perAssignment.set(d.assignment_id, (perAssignment.get(d.assignment_id) ?? 0) + 1);
    expect([...perAssignment.values()]).toEqual(Array(24).fill(1));
    for (const id of runs) {
      const state = (await host.getRun(id))._unsafeUnwrap();
      expect(state.assignments.map((a) => a.phase)).toEqual(Array(6).fill("awaiting_approval"));
      expect(state.run.phase).toBe("awaiting_approval");
      const events = (await ports.storage.listEvents(id))._unsafeUnwrap();
      expect(events.map((e) => e.sequence)).toEqual(events.map((_, i) => i + 1));
    }
  });

  it("takes over a card whose worker died, once its lease expired, and drives it once", async () => {
    const ports = createInMemoryPorts();
    const host = createOrchestrator(ports);
    const created = (await host.createRun(workflow(1, 9)))._unsafeUnwrap();
    const a = created.assignments[0];
    if (!a) throw new Error("no card");
    // (The simulated clock moves 1 s per reading, so leases here are long and expiry is explicit.)
    // A worker claims the card and dies before doing anything with it.
    const leases = ports.storage.leases;
    if (!leases) throw new Error("no leases");
    (
      await leases.claimNextAssignment({ worker_id: "dead", lease_ms: 1_000_000, phases: ["queued"] })
    )._unsafeUnwrap();
    // While its lease holds, nobody else may take the card.
    const early = (
      await runWorker(ports, { worker_id: "early", until_idle: true, lease_ms: 1_000_000_000 })
    )._unsafeUnwrap();
    expect(early.claimed).toEqual([]);
    ports.clock.advance(2_000_000)._unsafeUnwrap();
    const late = (
      await runWorker(ports, { worker_id: "heir", until_idle: true, lease_ms: 1_000_000_000 })
    )._unsafeUnwrap();
    expect(late.claimed).toEqual([a.id]);
    expect((await ports.storage.getAssignment(a.id))._unsafeUnwrap().phase).toBe("awaiting_approval");
    expect(ports.dispatcher.dispatches).toHaveLength(1);
  });

  it("an idle worker advances a run whose last card's worker died before advancing it", async () => {
    const ports = createInMemoryPorts();
    const host = createOrchestrator(ports);
    const created = (await host.createRun(workflow(2, 11)))._unsafeUnwrap();
    const run_id = created.run.id;
    // The dying worker: every write that would move the run to awaiting_approval is lost, as when the
    // process is killed right after its card's last write, before the run's advance.
    const dying = {
      ...ports,
      storage: {
        ...ports.storage,
        write: (...args: Parameters<typeof ports.storage.write>) =>
          args[0].runs?.some((r) => r.record.phase === "awaiting_approval")
            ? errAsync(
                rungateError("port_failure", "connection_lost", {
                  port: "StoragePort",
                  adapter: "dying",
                  operation: "write",
                  retryable: false,
                  cause: "the process was killed",
                }),
              )
            : ports.storage.write(...args),
      },
    };
    const first = (await runWorker(dying, { worker_id: "dying", until_idle: true }))._unsafeUnwrap();
    expect(first.claimed).toHaveLength(2);
    const stuck = (await ports.storage.readRunState?.(run_id))?._unsafeUnwrap();
    expect(stuck?.assignments.map((a) => a.phase)).toEqual(["awaiting_approval", "awaiting_approval"]);
    expect(stuck?.run.phase).toBe("checking");

    // No card is claimable any more; an idle worker catches the run up anyway.
    const heir = (await runWorker(ports, { worker_id: "heir", until_idle: true }))._unsafeUnwrap();
    expect(heir.claimed).toEqual([]);
    expect(heir.errors).toEqual([]);
    expect((await ports.storage.getRun(run_id))._unsafeUnwrap().phase).toBe("awaiting_approval");
  });

  it("never hands an execution dispatched on another machine to its own dispatcher: interrupted, then a new attempt", async () => {
    const ports = createInMemoryPorts();
    const host = createOrchestrator(ports);
    const created = (await host.createRun(workflow(1, 12)))._unsafeUnwrap();
    const card = created.assignments[0];
    if (!card) throw new Error("no card");
    // Machine A records the dispatch, then its dispatcher fails before anything is known: the execution is
    // left open, as when machine A's worker froze or died with its agent started.
    const machineA = {
      ...ports,
      dispatcher: {
        ...ports.dispatcher,
        dispatch: () =>
          errAsync(
            rungateError("port_failure", "dispatch", {
              port: "AgentDispatcher",
              adapter: "machine-a",
              operation: "dispatch",
              retryable: false,
              cause: "the machine went away",
            }),
          ),
      },
    };
    const a = (
      await runWorker(machineA, {
        worker_id: "a",
        machine_id: "machine-a",
        until_idle: true,
        lease_ms: 1_000_000,
      })
    )._unsafeUnwrap();
    expect(a.errors.map((e) => e.kind)).toEqual(["port_failure"]);
    const open = (await ports.storage.listExecutions(created.run.id))._unsafeUnwrap();
    expect(open).toMatchObject([{ status: "running", attempt: 1, dispatched_on: "machine-a" }]);

    ports.clock.advance(2_000_000)._unsafeUnwrap();
    const b = (
      await runWorker(ports, {
        worker_id: "b",
        machine_id: "machine-b",
        until_idle: true,
        lease_ms: 1_000_000,
      })
    )._unsafeUnwrap();
    expect(b.errors).toEqual([]);
    const executions = (await ports.storage.listExecutions(created.run.id))._unsafeUnwrap();
    expect(executions.map((e) => [e.attempt, e.status, e.dispatched_on])).toEqual([
      [1, "interrupted", "machine-a"],
      [2, "completed", "machine-b"],
    ]);
    // Machine B's dispatcher was handed the new attempt only, never machine A's execution.
    expect(ports.dispatcher.dispatches.map((d) => d.execution_id)).toEqual([executions[1]?.id]);
    expect((await ports.storage.getAssignment(card.id))._unsafeUnwrap().phase).toBe("awaiting_approval");
  });

  it("hands an open execution back to the dispatcher of the machine that started it, as a takeover once its lease passed", async () => {
    const ports = createInMemoryPorts();
    const host = createOrchestrator(ports);
    const created = (await host.createRun(workflow(1, 13)))._unsafeUnwrap();
    const requests: AgentDispatchRequest[] = [];
    const flaky = {
      ...ports,
      dispatcher: {
        ...ports.dispatcher,
        dispatch: (...args: Parameters<typeof ports.dispatcher.dispatch>) =>
          requests.push(args[0]) === 1
            ? errAsync(
                rungateError("port_failure", "dispatch", {
                  port: "AgentDispatcher",
                  adapter: "machine-a",
                  operation: "dispatch",
                  retryable: true,
                  cause: "a hiccup",
                }),
              )
            : ports.dispatcher.dispatch(...args),
      },
    };
    await runWorker(flaky, {
      worker_id: "a",
      machine_id: "machine-a",
      until_idle: true,
      lease_ms: 1_000_000,
    });
    ports.clock.advance(2_000_000)._unsafeUnwrap();
    const again = (
      await runWorker(flaky, {
        worker_id: "a2",
        machine_id: "machine-a",
        until_idle: true,
        lease_ms: 1_000_000,
      })
    )._unsafeUnwrap();
    expect(again.errors).toEqual([]);
    const executions = (await ports.storage.listExecutions(created.run.id))._unsafeUnwrap();
    expect(executions.map((e) => [e.attempt, e.status])).toEqual([[1, "completed"]]);
    // The store kept who claimed it: worker a's lease token and this process. Worker a2 holds another lease,
    // so its dispatcher is told the owner is gone, however alive its pid looks (it is this very process).
    expect(executions[0]?.dispatch_claim).toMatchObject({ pid: process.pid, host: hostname() });
    expect(executions[0]?.dispatch_claim?.lease_token).toMatch(/.+/);
    expect(requests.map((r) => [r.execution_id, r.takeover ?? false])).toEqual([
      [executions[0]?.id, false],
      [executions[0]?.id, true],
    ]);
  });

  it("keeps only the newest failures in its report, telling on_error of each one", async () => {
    const causeOf = (error: RungateError) => ("cause" in error.detail ? String(error.detail.cause) : "");
    const ports = createInMemoryPorts();
    const leases = ports.storage.leases;
    if (!leases) throw new Error("the fake has leases");
    let failed = 0;
    const broken = {
      ...ports,
      storage: Object.assign(Object.create(ports.storage), {
        leases: {
          ...leases,
          claimNextAssignment: () =>
            errAsync(
              rungateError("port_failure", "query_failed", {
                port: "StoragePort",
                adapter: "broken",
                operation: "claimNextAssignment",
                retryable: true,
                cause: `failure ${++failed}`,
              }),
            ),
        },
      }),
    };
    const stop = new AbortController();
    const heard: string[] = [];
    const report = (
      await runWorker(
        broken,
        {
          poll_ms: 1,
          on_error: (error) => {
            heard.push(causeOf(error));
            if (heard.length === MAX_REPORTED_ERRORS + 500) stop.abort();
          },
        },
        stop.signal,
      )
    )._unsafeUnwrap();
    expect(heard).toHaveLength(MAX_REPORTED_ERRORS + 500);
    expect(report.errors).toHaveLength(MAX_REPORTED_ERRORS);
    expect(report.errors_dropped).toBe(500);
    // The newest are kept.
    expect(report.errors.map(causeOf)).toEqual(heard.slice(500));
    expect(report.claimed_total).toBe(0);
  }, 60_000);

  it("stops when asked, releasing nothing it does not hold", async () => {
    const ports = createInMemoryPorts({ checks: {} });
    const stop = new AbortController();
    stop.abort();
    const report = (
      await runWorker({ ...ports, storage: ports.storage ?? createInMemoryStorage() }, {}, stop.signal)
    )._unsafeUnwrap();
    expect(report.claimed).toEqual([]);
  });
});
