import { z } from "zod";
import { ApprovalType } from "./approval-type.js";
import { GitSha, IsoDateTime, Uuid, Version } from "./primitives.js";

/** A question put to a person, bound to the head it was asked for: a newer commit makes it stale. */
export const ApprovalRequest = z.object({
  id: Uuid,
  run_id: Uuid,
  assignment_id: Uuid.nullable().default(null),
  approval_type: ApprovalType,
  status: z.enum(["pending", "approved", "rejected"]),
  requested_by: z.string().min(1),
  requested_at: IsoDateTime,
  resolved_by: z.string().min(1).nullable().default(null),
  resolved_at: IsoDateTime.nullable().default(null),
  notes: z.string().nullable().default(null),
  head_sha: GitSha.nullable().default(null),
  version: Version,
});
/** Parsed {@link ApprovalRequest}. */
export type ApprovalRequest = z.infer<typeof ApprovalRequest>;
