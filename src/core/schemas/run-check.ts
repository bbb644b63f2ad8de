import { z } from "zod";
import { RunCheckType } from "./check-type.js";
import { GitSha, IsoDateTime, Uuid } from "./primitives.js";

/**
 * Statuses of a check result. Only `passed` ever satisfies a required check: `skipped`, `pending`,
 * `running`, `failed` and `error` (could not run at all) all keep the approval gate closed.
 */
export const CHECK_STATUSES = ["pending", "running", "passed", "failed", "skipped", "error"] as const;
/** One of {@link CHECK_STATUSES}. */
export const RunCheckStatus = z.enum(CHECK_STATUSES);
/** One of {@link CHECK_STATUSES}. */
export type RunCheckStatus = z.infer<typeof RunCheckStatus>;

/** The result of one check type on one head of one assignment. */
export const RunCheck = z.object({
  id: Uuid,
  run_id: Uuid,
  /** The assignment whose worktree it ran in; `null` on legacy run-wide records. */
  assignment_id: Uuid.nullable().default(null),
  check_type: RunCheckType,
  status: RunCheckStatus,
  output: z.string().nullable().default(null),
  executed_at: IsoDateTime.nullable().default(null),
  /** The commit it ran on; a result for another head is stale. */
  head_sha: GitSha.nullable().default(null),
  duration_ms: z.number().int().nonnegative().nullable().default(null),
});
/** Parsed {@link RunCheck}. */
export type RunCheck = z.infer<typeof RunCheck>;
