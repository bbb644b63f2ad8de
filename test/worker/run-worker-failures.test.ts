import { errAsync } from "neverthrow";
import { describe, expect, it } from "vitest";
import { rungateError } from "../../src/core/errors.js";
import { createOrchestrator } from "../../src/index.js";
import { createInMemoryPorts, fixtureId, policyFixture, runInputFixture } from "../../src/testing/index.js";
import { runWorker } from "../../src/worker/index.js";

/** A card whose repository does not exist: every drive fails at `ensureClone`, the same way, forever. */
async function failingCard() {
  const ports = createInMemoryPorts();
  const host = createOrchestrator(ports);
  const created = await host.createRun({
    ...runInputFixture({
      card_id: fixtureId(100),
      repo_url: "https://example.invalid/acme/gone.git",
    }),
    policy: policyFixture(),
  });
  const assignment = created._unsafeUnwrap().assignments[0];
  if (!assignment) throw new Error("the run has a card");
  const leases = ports.storage.leases;
  if (!leases) throw new Error("the in-memory store has leases");
  // Counts claims, and stops the worker after 20 of them should it loop (the behaviour this file forbids).
  let claims = 0;
  const stop = new AbortController();
  const counted = {
    ...ports,
    storage: {
      ...ports.storage,
      leases: {
        ...leases,
        claimNextAssignment: (...args: Parameters<typeof leases.claimNextAssignment>) =>
          leases.claimNextAssignment(...args).map((lease) => {
            if (lease !== null && ++claims >= 20) stop.abort();
            return lease;
          }),
      },
    },
  };
  return { ports, counted, assignment, stop, claims: () => claims };
}

describe("runWorker on a card that fails", () => {
  it("keeps the failed card's lease, so it is not claimed again before the lease expires", async () => {
    const { counted, assignment, stop, claims } = await failingCard();
    const report = (
      await runWorker(counted, { worker_id: "w1", until_idle: true, lease_ms: 1_000_000_000 }, stop.signal)
    )._unsafeUnwrap();
    expect(claims()).toBe(1);
    expect(report.claimed).toEqual([assignment.id]);
    expect(report.errors.map((e) => [e.kind, e.code])).toEqual([["port_failure", "remote_not_found"]]);
    // Another worker finds nothing to claim while the lease holds.
    const other = (
      await runWorker(counted, { worker_id: "w2", until_idle: true, lease_ms: 1_000_000_000 }, stop.signal)
    )._unsafeUnwrap();
    expect(other.claimed).toEqual([]);
  });

  it("tries the card again once the lease expired, once per expiry", async () => {
    const { ports, counted, assignment, stop, claims } = await failingCard();
    const options = { until_idle: true, lease_ms: 1_000_000 } as const;
    (await runWorker(counted, { ...options, worker_id: "w1" }, stop.signal))._unsafeUnwrap();
    ports.clock.advance(2_000_000_000)._unsafeUnwrap();
    const heir = (await runWorker(counted, { ...options, worker_id: "w2" }, stop.signal))._unsafeUnwrap();
    expect(heir.claimed).toEqual([assignment.id]);
    expect(heir.errors).toHaveLength(1);
    expect(claims()).toBe(2);
  });
});

describe("runWorker: checks whose result was not stored", () => {
  it("runs a check again after its result's write failed, and stores exactly one result per head and type", async () => {
    const ports = createInMemoryPorts();
    const host = createOrchestrator(ports);
    const created = await host.createRun({
      ...runInputFixture(),
      policy: policyFixture({ required_checks: ["policy", "lint", "unit", "integration"] }),
    });
    if (created.isErr()) throw new Error(created.error.message);
    const { run } = created.value;
    // The store loses the first write of a unit result (the connection dropped as it committed).
    let dropped = 0;
    const losing = {
      ...ports,
      storage: {
        ...ports.storage,
        write: (...args: Parameters<typeof ports.storage.write>) =>
          args[0].checks?.some((c) => c.check_type === "unit") && dropped++ === 0
            ? errAsync(
                rungateError("port_failure", "connection_reset", {
                  port: "StoragePort",
                  adapter: "test",
                  operation: "write",
                  retryable: true,
                  cause: "connection reset by peer",
                }),
              )
            : ports.storage.write(...args),
      },
    };
    const first = (
      await runWorker(losing, { worker_id: "w1", until_idle: true, lease_ms: 1_000 })
    )._unsafeUnwrap();
    expect(first.errors.map((e) => e.code)).toContain("connection_reset");
    // The card keeps its lease until it runs out; then another worker resumes it in `checking`.
    ports.clock.advance(5_000)._unsafeUnwrap();
    const second = (
      await runWorker(ports, { worker_id: "w2", until_idle: true, lease_ms: 1_000 })
    )._unsafeUnwrap();
    expect(second.errors).toEqual([]);

    const [card] = (await ports.storage.listAssignments(run.id))._unsafeUnwrap();
    expect(card?.phase).toBe("awaiting_approval");
    const head = card?.head_sha;
    const ran = ports.checks.runs.filter((r) => r.request.head_sha === head).map((r) => r.request.check_type);
    // unit ran twice (its first result was lost); every other check once: the resume skips stored results.
    expect(ran.filter((t) => t === "unit")).toHaveLength(2);
    expect(ran.filter((t) => t === "lint")).toHaveLength(1);
    const stored = (await ports.storage.listChecks(run.id))
      ._unsafeUnwrap()
      .filter((c) => c.head_sha === head);
    expect(stored.map((c) => c.check_type).sort()).toEqual(["integration", "lint", "policy", "unit"]);
  });
});
