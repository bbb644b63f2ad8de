import { err, ok, type Result } from "neverthrow";
import type { z } from "zod";
import { ApprovalRequest } from "../core/schemas/approval-request.js";
import { PullRequestCandidate } from "../core/schemas/pull-request-candidate.js";
import { RunCheck } from "../core/schemas/run-check.js";
import { RunEvent } from "../core/schemas/run-event.js";
import type { RunEventDraft } from "../ports/storage-port.js";
import { idAt, parentRun, type RowContext } from "./conversion-context.js";
import type {
  ReferenceApprovalRow,
  ReferenceCheckRow,
  ReferenceEventRow,
  ReferencePullRequestRow,
} from "./reference-rows.js";
import { describeIssues } from "./row-issues.js";

/** Parses `record` with `schema`, or says why rungate refuses it. */
function fitRecord<S extends z.ZodType>(
  schema: S,
  record: unknown,
  what: string,
): Result<z.infer<S>, string> {
  const parsed = schema.safeParse(record);
  return parsed.success
    ? ok(parsed.data)
    : err(`it does not fit rungate's ${what}: ${describeIssues(parsed.error)}`);
}

/**
 * A `run_check` row as a rungate check result. The reference's checks are run-wide: no card, no head commit
 * (`null`, as rungate reads legacy run-wide results; they never satisfy a gate of a card's head).
 */
export function convertCheck(row: ReferenceCheckRow, ctx: RowContext): Result<RunCheck, string> {
  const carried = parentRun(ctx, row.run_id);
  if (typeof carried === "string") return err(carried);
  return fitRecord(
    RunCheck,
    {
      id: idAt(ctx, "run_check", "id", row.id),
      run_id: carried.run.id,
      assignment_id: null,
      check_type: row.check_type,
      status: row.status,
      output: row.output,
      executed_at: row.executed_at,
      head_sha: null,
      duration_ms: null,
    },
    "check",
  );
}

/** An `approval_request` row as a rungate approval: run-wide (no card) and bound to no head. */
export function convertApproval(row: ReferenceApprovalRow, ctx: RowContext): Result<ApprovalRequest, string> {
  const carried = parentRun(ctx, row.run_id);
  if (typeof carried === "string") return err(carried);
  return fitRecord(
    ApprovalRequest,
    {
      id: idAt(ctx, "approval_request", "id", row.id),
      run_id: carried.run.id,
      assignment_id: null,
      approval_type: row.approval_type,
      status: row.status,
      requested_by: row.requested_by,
      requested_at: row.requested_at,
      resolved_by: row.resolved_by,
      resolved_at: row.resolved_at,
      notes: row.notes,
      head_sha: null,
      version: 0,
    },
    "approval request",
  );
}

/** A `pull_request_candidate` row as a rungate PR candidate of its run (no card, no head recorded). */
export function convertPullRequest(
  row: ReferencePullRequestRow,
  ctx: RowContext,
): Result<PullRequestCandidate, string> {
  const carried = parentRun(ctx, row.run_id);
  if (typeof carried === "string") return err(carried);
  return fitRecord(
    PullRequestCandidate,
    {
      id: idAt(ctx, "pull_request_candidate", "id", row.id),
      run_id: carried.run.id,
      assignment_id: null,
      base_branch: row.base_branch,
      head_branch: row.head_branch,
      title: row.title,
      description: row.description,
      status: row.status,
      pr_url: row.pr_url,
      head_sha: null,
      created_at: row.created_at,
      updated_at: row.updated_at,
      version: 0,
    },
    "pull request candidate",
  );
}

/**
 * An `event_log` row as an entry of its run's rungate log (type, actor and payload as the reference wrote
 * them; storage numbers it). A project-level event (no run) is not carried: rungate's events belong to a run.
 */
export function convertEvent(row: ReferenceEventRow, ctx: RowContext): Result<RunEventDraft, string> {
  if (row.run_id === null) return err("a project-level event (no run): rungate's events belong to a run");
  const carried = parentRun(ctx, row.run_id);
  if (typeof carried === "string") return err(carried);
  return fitRecord(
    RunEvent,
    {
      id: idAt(ctx, "event_log", "id", row.id),
      run_id: carried.run.id,
      project_id: idAt(ctx, "project", "project_id", row.project_id),
      event_type: row.event_type,
      actor: row.actor,
      payload: row.payload,
      created_at: row.created_at,
      sequence: 0,
    },
    "event",
  ).map(({ sequence: _sequence, ...draft }): RunEventDraft => draft);
}
