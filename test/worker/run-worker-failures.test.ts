import { describe, expect, it } from "vitest";
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
