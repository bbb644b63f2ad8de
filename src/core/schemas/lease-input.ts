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
  now: IsoDateTime,
  phases: z.array(AssignmentPhase).min(1).default(["ready"]),
});

/** Input of `StorageLeases.heartbeat`. */
export const HeartbeatLeaseInput = z.object({
  assignment_id: z.string(),
  worker_id: z.string().min(1),
  lease_ms: z.number().int().positive(),
  now: IsoDateTime,
});

/** Input of `StorageLeases.releaseLease`. */
export const ReleaseLeaseInput = z.object({ assignment_id: z.string(), worker_id: z.string().min(1) });
