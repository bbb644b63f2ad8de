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
  /**
   * The digest of the content this request is about (`approvalContentDigest`: the diff against the base, the
   * check results, the policy snapshot hash), or `null` on requests from before digests. A new head with the
   * same digest keeps a person's approval; any change to the content voids it.
   */
  content_digest: z.string().nullable().default(null),
  /** When this approval was carried over from an earlier head of the same content: that request's id. */
  carried_from: Uuid.nullable().default(null),
  version: Version,
});
/** Parsed {@link ApprovalRequest}. */
export type ApprovalRequest = z.infer<typeof ApprovalRequest>;
