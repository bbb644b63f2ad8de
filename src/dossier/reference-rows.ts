import { z } from "zod";
import { AgentRole } from "../core/schemas/agent-role.js";
import { ApprovalType } from "../core/schemas/approval-type.js";
import { RunCheckType } from "../core/schemas/check-type.js";
import { LifecycleStatus } from "../core/schemas/primitives.js";
import { PullRequestStatus } from "../core/schemas/pull-request-candidate.js";
import type { DossierTable } from "./dossier-report.js";
import { normaliseReferenceTime } from "./sqlite-time.js";

// The reference keeps JSON in TEXT columns (SQLite) that `sqlite3 -json` exports as strings, while its Postgres
// variant exports real JSON: both are read.
function jsonColumn<S extends z.ZodType>(schema: S) {
  return z
    .unknown()
    .transform((value, ctx) => {
      if (typeof value !== "string") return value;
      try {
        return JSON.parse(value) as unknown;
      } catch {
        ctx.addIssue({ code: "custom", message: "is text that is not valid JSON" });
        return z.NEVER;
      }
    })
    .pipe(schema);
}

/** A time column: ISO or SQLite's `YYYY-MM-DD HH:MM:SS` (UTC), as ISO with a zone. */
const time = z.string().transform((value, ctx) => {
  const iso = normaliseReferenceTime(value);
  if (iso === null) {
    ctx.addIssue({ code: "custom", message: `"${value}" is not a time (ISO 8601 or YYYY-MM-DD HH:MM:SS)` });
    return z.NEVER;
  }
  return iso;
});
const nullableTime = time.nullish().transform((value) => value ?? null);
const text = z.string().min(1);
const nullableText = z
  .string()
  .nullish()
  .transform((value) => value ?? null);
const id = z.string().min(1);
const nullableId = id.nullish().transform((value) => value ?? null);
const jsonObject = z.record(z.string(), z.json());
/** A list of path rules: `null` (the reference's "none") reads as `[]`. */
const pathList = jsonColumn(
  z
    .array(z.string())
    .nullish()
    .transform((value) => value ?? []),
);
const sectionObject = jsonColumn(jsonObject.nullish().transform((value) => value ?? {}));

/** A row of `system_policy_profile`: a project's rules, its path rules SUBSTRINGS. */
export const ReferencePolicyRow = z.object({
  id,
  project_id: id,
  required_checks: jsonColumn(z.array(RunCheckType)),
  protected_paths: pathList,
  forbidden_paths: pathList,
  dependency_policy: sectionObject,
  security_policy: sectionObject,
  architecture_policy: sectionObject,
  approval_policy: sectionObject,
  updated_at: time,
});
/** Parsed {@link ReferencePolicyRow}. */
export type ReferencePolicyRow = z.infer<typeof ReferencePolicyRow>;

/** A row of `orchestration_run`; its snapshots are JSON objects (the policy one without `id`/`project_id`). */
export const ReferenceRunRow = z.object({
  id,
  project_id: id,
  scope: z.enum(["workflow", "card"]),
  workflow_id: nullableId,
  card_id: nullableId,
  trigger_type: z.enum(["card", "workflow", "manual"]),
  status: LifecycleStatus,
  initiated_by: text,
  repo_url: text,
  base_branch: text,
  system_policy_profile_id: id,
  system_policy_snapshot: jsonColumn(jsonObject),
  run_input_snapshot: jsonColumn(jsonObject),
  worktree_root: nullableText,
  started_at: nullableTime,
  ended_at: nullableTime,
  created_at: time,
  updated_at: time,
});
/** Parsed {@link ReferenceRunRow}. */
export type ReferenceRunRow = z.infer<typeof ReferenceRunRow>;

/** A row of `card_assignment`; `forbidden_paths` may be `null`. */
export const ReferenceAssignmentRow = z.object({
  id,
  run_id: id,
  card_id: id,
  agent_role: AgentRole,
  agent_profile: nullableText,
  feature_branch: text,
  worktree_path: nullableText,
  allowed_paths: jsonColumn(z.array(z.string())),
  forbidden_paths: pathList,
  assignment_input_snapshot: jsonColumn(jsonObject),
  status: LifecycleStatus,
  created_at: time,
  updated_at: time,
});
/** Parsed {@link ReferenceAssignmentRow}. */
export type ReferenceAssignmentRow = z.infer<typeof ReferenceAssignmentRow>;

/** A row of `agent_execution`: no `run_id` (found through the assignment); statuses are the run's six. */
export const ReferenceExecutionRow = z.object({
  id,
  assignment_id: id,
  run_id: nullableId,
  status: LifecycleStatus,
  started_at: nullableTime,
  ended_at: nullableTime,
  summary: nullableText,
  error: nullableText,
});
/** Parsed {@link ReferenceExecutionRow}. */
export type ReferenceExecutionRow = z.infer<typeof ReferenceExecutionRow>;

/** A row of `agent_commit`. */
export const ReferenceCommitRow = z.object({
  id,
  assignment_id: id,
  sha: z
    .string()
    .transform((value) => value.trim().toLowerCase())
    .pipe(z.string().regex(/^[0-9a-f]{4,64}$/, "must be a hex git object name")),
  branch: text,
  message: z.string(),
  committed_at: time,
});
/** Parsed {@link ReferenceCommitRow}. */
export type ReferenceCommitRow = z.infer<typeof ReferenceCommitRow>;

/** A row of `run_check`: run-wide (no assignment, no head). */
export const ReferenceCheckRow = z.object({
  id,
  run_id: id,
  check_type: RunCheckType,
  status: z.enum(["passed", "failed", "skipped"]),
  output: nullableText,
  executed_at: nullableTime,
});
/** Parsed {@link ReferenceCheckRow}. */
export type ReferenceCheckRow = z.infer<typeof ReferenceCheckRow>;

/** A row of `approval_request`: run-wide (no assignment, no head). */
export const ReferenceApprovalRow = z.object({
  id,
  run_id: id,
  approval_type: ApprovalType,
  status: z.enum(["pending", "approved", "rejected"]),
  requested_by: text,
  requested_at: time,
  resolved_by: nullableText.transform((value) => (value === "" ? null : value)),
  resolved_at: nullableTime,
  notes: nullableText,
});
/** Parsed {@link ReferenceApprovalRow}. */
export type ReferenceApprovalRow = z.infer<typeof ReferenceApprovalRow>;

/** A row of `pull_request_candidate`: one per run. */
export const ReferencePullRequestRow = z.object({
  id,
  run_id: id,
  base_branch: text,
  head_branch: text,
  title: text,
  description: z
    .string()
    .nullish()
    .transform((value) => value ?? ""),
  status: PullRequestStatus,
  pr_url: nullableText,
  created_at: time,
  updated_at: time,
});
/** Parsed {@link ReferencePullRequestRow}. */
export type ReferencePullRequestRow = z.infer<typeof ReferencePullRequestRow>;

/** A row of `event_log`: `run_id` is `null` for a project-level event. */
export const ReferenceEventRow = z.object({
  id,
  project_id: id,
  run_id: nullableId,
  event_type: text,
  actor: text,
  payload: jsonColumn(jsonObject.nullish().transform((value) => value ?? {})),
  created_at: time,
});
/** Parsed {@link ReferenceEventRow}. */
export type ReferenceEventRow = z.infer<typeof ReferenceEventRow>;

/**
 * The columns of each reference table that rungate has no field for, with why. Any other column an export
 * carries (a newer version of the reference, a local addition) is dropped too and reported as unknown.
 */
export const DROPPED_COLUMNS: { readonly [T in DossierTable]: Readonly<Record<string, string>> } = {
  system_policy_profile: {},
  orchestration_run: {},
  card_assignment: {},
  agent_execution: {},
  agent_commit: {},
  run_check: {
    created_at: "rungate keeps when a check ran (`executed_at`), not when its row was written",
  },
  approval_request: {
    created_at: "rungate keeps `requested_at` and `resolved_at`, not when the row was written",
    updated_at: "rungate keeps `requested_at` and `resolved_at`, not when the row was written",
  },
  pull_request_candidate: {},
  event_log: {},
};

/** The columns each row schema reads (everything else in a row is a dropped column). */
export const READ_COLUMNS: { readonly [T in DossierTable]: readonly string[] } = {
  system_policy_profile: Object.keys(ReferencePolicyRow.shape),
  orchestration_run: Object.keys(ReferenceRunRow.shape),
  card_assignment: Object.keys(ReferenceAssignmentRow.shape),
  agent_execution: Object.keys(ReferenceExecutionRow.shape),
  agent_commit: Object.keys(ReferenceCommitRow.shape),
  run_check: Object.keys(ReferenceCheckRow.shape),
  approval_request: Object.keys(ReferenceApprovalRow.shape),
  pull_request_candidate: Object.keys(ReferencePullRequestRow.shape),
  event_log: Object.keys(ReferenceEventRow.shape),
};

/**
 * A run's `system_policy_snapshot` as the reference captured it: the profile's rules without `id` and
 * `project_id` (filled from the run), `updated_at` possibly a SQLite time.
 */
export const ReferencePolicySnapshot = z.object({
  id: id.optional(),
  project_id: id.optional(),
  required_checks: z.array(RunCheckType),
  protected_paths: pathList,
  forbidden_paths: pathList,
  dependency_policy: sectionObject,
  security_policy: sectionObject,
  architecture_policy: sectionObject,
  approval_policy: sectionObject,
  updated_at: nullableTime,
});
/** Parsed {@link ReferencePolicySnapshot}. */
export type ReferencePolicySnapshot = z.infer<typeof ReferencePolicySnapshot>;
