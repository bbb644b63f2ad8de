import { z } from "zod";
import { AssignmentPhase } from "./phases.js";
import { IsoDateTime } from "./primitives.js";

/**
 * Input of `StorageLeases.claimNextAssignment`, as every store parses it (one schema, so the in-memory
 * fake and the SQL adapter refuse the same inputs).
 */
export const ClaimLeaseInput = z.object({
  worker_id: z.string().min(1),
  lease_ms: z.number().int().positive(),
  /**
   * The caller's clock, accepted for compatibility and never used: a lease is computed from the store's own
   * clock, so a worker whose clock runs ahead cannot see another's live lease as expired.
   */
  now: IsoDateTime.optional(),
  phases: z.array(AssignmentPhase).min(1).default(["ready"]),
});

/** A claim's fencing token: opaque, unique to one claim of one assignment. */
export const LeaseToken = z.string().min(1).max(200);

/** Input of `StorageLeases.heartbeat`: the lease is named by the claim's token, not by the worker's id. */
export const HeartbeatLeaseInput = z.object({
  assignment_id: z.string(),
  token: LeaseToken,
  lease_ms: z.number().int().positive(),
});

/** Input of `StorageLeases.releaseLease`. */
export const ReleaseLeaseInput = z.object({ assignment_id: z.string(), token: LeaseToken });

/** `StorageWrite.fence`: the write applies only while `token` is still the assignment's current claim. */
export const WriteFence = z.object({ assignment_id: z.string().min(1), token: LeaseToken });
