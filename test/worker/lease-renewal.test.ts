import { err, ok, ResultAsync } from "neverthrow";
import { describe, expect, it } from "vitest";
import { type RungateError, rungateError } from "../../src/core/errors.js";
import type { PortError } from "../../src/ports/port-error.js";
import type { AssignmentLease, StorageLeases } from "../../src/ports/storage-port.js";
import { renewLease } from "../../src/worker/lease-renewal.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const LOST: PortError = rungateError("conflict", "lease_lost", { entity: "assignment", id: "a1" });

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !condition(); i++) await sleep(5);
  if (!condition()) throw new Error("condition not met within 2 s");
}

/** Leases whose heartbeat answers `answer()` after `delay_ms`; the rest is never called here. */
function leasesAnswering(answer: () => "ok" | PortError, delay_ms = 0) {
  const calls = { started: 0, settled: 0 };
  const heartbeat: StorageLeases["heartbeat"] = () => {
    calls.started++;
    const settled = sleep(delay_ms).then(() => {
      calls.settled++;
      return answer();
    });
    return new ResultAsync(settled.then((a) => (a === "ok" ? ok({} as AssignmentLease) : err(a))));
  };
  const unused = () => {
    throw new Error("not used by renewLease");
  };
  const leases = { heartbeat, claimNextAssignment: unused, releaseLease: unused } as unknown as StorageLeases;
  return { leases, calls };
}

const base = { assignment_id: "a1", token: "claim-1" };

describe("renewLease", () => {
  it("counts the lease lost on lease_lost, and reports it", async () => {
    const { leases } = leasesAnswering(() => LOST);
    const errors: RungateError[] = [];
    const lease = renewLease({ ...base, leases, lease_ms: 150, onError: (e) => errors.push(e) });
    await until(() => lease.lost.aborted);
    expect(errors[0]?.code).toBe("lease_lost");
    await lease.stop();
  });

  it("never has two renewals in flight, and stop() waits for the one in flight; its answer is then ignored", async () => {
    // Each renewal takes 600 ms; beats are due every 50 ms.
    const { leases, calls } = leasesAnswering(() => LOST, 600);
    const errors: RungateError[] = [];
    const lease = renewLease({ ...base, leases, lease_ms: 150, onError: (e) => errors.push(e) });
    await until(() => calls.started === 1);
    await sleep(120);
    expect(calls).toEqual({ started: 1, settled: 0 });
    await lease.stop();
    expect(calls).toEqual({ started: 1, settled: 1 });
    expect(errors).toEqual([]);
    expect(lease.lost.aborted).toBe(false);
    await sleep(120);
    expect(calls.started).toBe(1);
  });
});
