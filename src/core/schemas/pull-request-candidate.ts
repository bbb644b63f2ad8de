import { z } from "zod";
import { GitSha, IsoDateTime, Uuid, Version } from "./primitives.js";

/** States of a PR candidate. rungate only ever creates drafts; `open`, `merged` and `closed` are observed. */
export const PULL_REQUEST_STATUSES = ["not_created", "draft_open", "open", "merged", "closed"] as const;
/** One of {@link PULL_REQUEST_STATUSES}. */
export const PullRequestStatus = z.enum(PULL_REQUEST_STATUSES);
/** One of {@link PULL_REQUEST_STATUSES}. */
export type PullRequestStatus = z.infer<typeof PullRequestStatus>;

/** The draft pull request proposed for an approved assignment. A person merges it, never rungate. */
export const PullRequestCandidate = z.object({
  id: Uuid,
  run_id: Uuid,
  assignment_id: Uuid.nullable().default(null),
  base_branch: z.string().min(1),
  head_branch: z.string().min(1),
  title: z.string().min(1),
  description: z.string(),
  status: PullRequestStatus,
  pr_url: z.string().nullable().default(null),
  head_sha: GitSha.nullable().default(null),
  created_at: IsoDateTime,
  updated_at: IsoDateTime,
  version: Version,
});
/** Parsed {@link PullRequestCandidate}. */
export type PullRequestCandidate = z.infer<typeof PullRequestCandidate>;
