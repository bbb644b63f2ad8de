import { errAsync } from "neverthrow";
import { describe, expect, it } from "vitest";
import { rungateError } from "../../src/core/errors.js";
import { createOrchestrator } from "../../src/index.js";
import { createInMemoryPorts, fixtureId, policyFixture, runInputFixture } from "../../src/testing/index.js";
import { runWorker } from "../../src/worker/index.js";

// Lease renewal while a card runs: what a failed heartbeat and a takeover do to the card in hand. Heartbeats
// tick on real time (every lease_ms / 3, at least 50 ms); the scripted agent works for real milliseconds.

const CARD = fixtureId(10_700);

/** One card whose agent works `delay_ms` real milliseconds, then commits inside its allowed paths. */
async function slowCard(delay_ms: number) {
  const ports = createInMemoryPorts({
    agent: { [CARD]: [{ delay_ms, commits: [{ files: { "src/r7/work.ts": "done\n" } }] }] },
  });
  const host = createOrchestrator(ports);
  const created = await host.createRun({
    ...runInputFixture({
      scope: "workflow",
      workflow_id: fixtureId(5_007),
      card_id: null,
      trigger_type: "workflow",
      cards: [
        { card_id: CARD, title: "Slow card", allowed_paths: ["src/r7/**"], feature_branch: "rungate/r7" },
      ],
    }),
    policy: policyFixture({ required_checks: ["policy", "lint", "unit", "integration"] }),
  });
  const assignment = created._unsafeUnwrap().assignments[0];
  const leases = ports.storage.leases;
  if (!assignment || !leases) throw new Error("a run with one card, on a store with leases");
  return { ports, assignment, leases };
}

const HICCUP = rungateError("port_failure", "connection_reset", {
  port: "StoragePort",
  adapter: "test",
  operation: "heartbeat",
  retryable: true,
  cause: "connection reset by peer",
});

/** The ports with heartbeats answering {@link HICCUP} while `fails(n)` says so for the n-th beat. */
function flakyHeartbeats(
  { ports, leases }: Awaited<ReturnType<typeof slowCard>>,
  fails: (beat: number) => boolean,
) {
  let beats = 0;
  const storage = {
    ...ports.storage,
    leases: {
      ...leases,
      heartbeat: (...args: Parameters<typeof leases.heartbeat>) =>
        fails(++beats) ? errAsync(HICCUP) : leases.heartbeat(...args),
    },
  };
  return { ports: { ...ports, storage }, beats: () => beats };
}

describe("runWorker: lease renewal", () => {
  it("keeps driving the card through renewals that fail while the lease surely holds, and reports them", async () => {
    const card = await slowCard(1_800);
    // Beats every 500 ms: the 1st and 2nd fail (the lease, 1.5 s, still holds), the 3rd renews it.
    const { ports, beats } = flakyHeartbeats(card, (n) => n <= 2);
    const report = (
      await runWorker(ports, { worker_id: "w1", until_idle: true, lease_ms: 1_500 })
    )._unsafeUnwrap();
    expect(beats()).toBeGreaterThan(2);
    expect(report.claimed).toEqual([card.assignment.id]);
    expect(report.errors.map((e) => e.code)).toEqual(["connection_reset", "connection_reset"]);
    const after = (await card.ports.storage.getAssignment(card.assignment.id))._unsafeUnwrap();
    expect(after.phase).toBe("awaiting_approval");
    expect(card.ports.dispatcher.dispatches).toHaveLength(1);
  });

  it("once no renewal succeeded for a whole lease, writes nothing more of the card but lets its agent finish", async () => {
    const card = await slowCard(600);
    const { ports } = flakyHeartbeats(card, () => true);
    const report = (
      await runWorker(ports, { worker_id: "w1", until_idle: true, lease_ms: 150 })
    )._unsafeUnwrap();
    const codes = report.errors.map((e) => e.code);
    expect(codes).toContain("connection_reset");
    // The drive stopped at its first write after the lease was lost (recording the agent's end)…
    expect(codes).toContain("lease_lost");
    // …and once the lease had expired in the store, the card was claimed again (here by the same worker),
    // which found the agent's run ended with its commit rather than cancelled, and took the card on.
    expect(report.claimed).toEqual([card.assignment.id, card.assignment.id]);
    const after = (await card.ports.storage.getAssignment(card.assignment.id))._unsafeUnwrap();
    expect(after.phase).toBe("awaiting_approval");
    expect(after.head_sha).not.toBeNull();
    expect(card.ports.dispatcher.dispatches).toHaveLength(1);
  });

  it("after a takeover mid-agent, the new holder gets the agent's outcome, not a cancelled card", async () => {
    const { ports, assignment } = await slowCard(500);
    // (The simulated clock moves 1 s per reading, so a 150 ms lease has expired by the next claim.)
    const first = runWorker(ports, { worker_id: "slow", until_idle: true, lease_ms: 150 });
    await until(() => ports.dispatcher.dispatches.length === 1);
    const heir = (
      await runWorker(ports, { worker_id: "heir", until_idle: true, lease_ms: 1_000_000_000 })
    )._unsafeUnwrap();
    const slow = (await first)._unsafeUnwrap();

    expect(heir.claimed).toEqual([assignment.id]);
    expect(heir.errors).toEqual([]);
    const after = (await ports.storage.getAssignment(assignment.id))._unsafeUnwrap();
    expect(after.phase).toBe("awaiting_approval");
    // One agent run, whose commit the heir collected.
    expect(ports.dispatcher.dispatches).toHaveLength(1);
    expect(after.head_sha).not.toBeNull();
    // The first worker learnt it lost the lease, and wrote nothing after that.
    expect(slow.errors.map((e) => e.code)).toEqual(["lease_lost", "lease_lost"]);
  });
});

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !condition(); i++) await new Promise((r) => setTimeout(r, 5));
  if (!condition()) throw new Error("condition not met within 2 s");
}
