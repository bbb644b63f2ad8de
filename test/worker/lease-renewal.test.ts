import { err, ok, ResultAsync } from "neverthrow";
import { describe, expect, it } from "vitest";
import { type RungateError, rungateError } from "../../src/core/errors.js";
import type { PortError } from "../../src/ports/port-error.js";
import type { AssignmentLease, StorageLeases } from "../../src/ports/storage-port.js";
import { renewLease } from "../../src/worker/lease-renewal.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const LOST: PortError = rungateError("conflict", "lease_lost", { entity: "assignment", id: "a1" });

/** Leases whose heartbeat answers `answer()` after `delay_ms`; the rest is never called here. */
function leasesAnswering(answer: () => "ok" | PortError, delay_ms = 0) {
  const calls: number[] = [];
  const heartbeat: StorageLeases["heartbeat"] = () => {
    calls.push(performance.now());
    const settled = sleep(delay_ms).then(answer);
    return new ResultAsync(settled.then((a) => (a === "ok" ? ok({} as AssignmentLease) : err(a))));
  };
  const unused = () => {
    throw new Error("not used by renewLease");
  };
  const leases = { heartbeat, claimNextAssignment: unused, releaseLease: unused } as unknown as StorageLeases;
  return { leases, calls };
}

const base = { assignment_id: "a1", worker_id: "w1", now: () => "2026-01-01T00:00:00.000Z" };

describe("renewLease", () => {
  it("aborts at once on lease_lost, and reports it", async () => {
    const { leases } = leasesAnswering(() => LOST);
    const errors: RungateError[] = [];
    const lease = renewLease({ ...base, leases, lease_ms: 150, onError: (e) => errors.push(e) });
    await sleep(120);
    expect(lease.lost.aborted).toBe(true);
    expect(errors[0]?.code).toBe("lease_lost");
    await lease.stop();
  });

  it("never has two renewals in flight, and stop() waits for the one in flight; its answer is then ignored", async () => {
    // Each renewal takes 170 ms, beats are due every 50 ms.
    const { leases, calls } = leasesAnswering(() => LOST, 170);
    const errors: RungateError[] = [];
    const lease = renewLease({ ...base, leases, lease_ms: 150, onError: (e) => errors.push(e) });
    await sleep(100);
    expect(calls).toHaveLength(1);
    const before = performance.now();
    await lease.stop();
    // stop() returned only once the renewal (started at ~50 ms, 170 ms long) had settled.
    expect(performance.now() - before).toBeGreaterThan(60);
    expect(errors).toEqual([]);
    expect(lease.lost.aborted).toBe(false);
    await sleep(120);
    expect(calls).toHaveLength(1);
  });
});
