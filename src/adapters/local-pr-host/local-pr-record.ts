import { z } from "zod";
import { GitSha, IsoDateTime } from "../../core/schemas/primitives.js";
import { PULL_REQUEST_STATUSES } from "../../core/schemas/pull-request-candidate.js";
import type { HostedPullRequest } from "../../ports/pull-request-host.js";

/** The statuses a record on disk can have (a created PR is never `not_created`). */
const RecordStatus = z.enum(
  PULL_REQUEST_STATUSES.filter((s) => s !== "not_created") as [
    HostedPullRequest["status"],
    ...HostedPullRequest["status"][],
  ],
);

/**
 * One pull request of the local host, stored as `<dir>/<number>.json`. rungate writes it as `draft_open`; a
 * person changes `status` (`open`, `merged`, `closed`) and `decided_by` by hand or with `recordLocalMerge`.
 */
export const LocalPullRequestRecord = z.object({
  number: z.int().positive(),
  /** `file://<dir>/<number>.json`: the record's own location. */
  url: z.string().min(1),
  base_branch: z.string().min(1),
  head_branch: z.string().min(1),
  head_sha: GitSha,
  title: z.string().min(1),
  body: z.string(),
  status: RecordStatus,
  /** Who merged or closed it; `null` while undecided. */
  decided_by: z.string().min(1).nullable().default(null),
  decided_at: IsoDateTime.nullable().default(null),
  created_at: IsoDateTime,
});
/** Parsed {@link LocalPullRequestRecord}. */
export type LocalPullRequestRecord = z.infer<typeof LocalPullRequestRecord>;

/** The record as the port reports it. */
export function toHostedPullRequest(record: LocalPullRequestRecord): HostedPullRequest {
  return { url: record.url, status: record.status, head_sha: record.head_sha, decided_by: record.decided_by };
}

/** `<n>.json`, the only file names that are records. */
export const RECORD_FILE = /^([1-9]\d{0,15})\.json$/;
