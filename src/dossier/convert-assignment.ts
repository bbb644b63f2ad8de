import { err, ok, type Result } from "neverthrow";
import { CardAssignment } from "../core/schemas/card-assignment.js";
import { captureSnapshot } from "../core/snapshot/snapshot.js";
import { idAt, parentRun, type RowContext, reportLoss } from "./conversion-context.js";
import { convertAllowedPaths, convertSubstringRules } from "./convert-path-rules.js";
import { ASSIGNMENT_STATUS_PHASE } from "./legacy-status.js";
import type { ReferenceAssignmentRow } from "./reference-rows.js";
import { describeIssues } from "./row-issues.js";

/**
 * A `card_assignment` row as a rungate card: allowed paths (plain names in the reference) made globs matching
 * those names, its own substring rules (`null` is none) made globs and joined by its run's policy's forbidden
 * globs (a rungate card carries both), its input snapshot captured with its hash, its status read as a phase.
 */
export function convertAssignment(
  row: ReferenceAssignmentRow,
  ctx: RowContext,
): Result<CardAssignment, string> {
  const carried = parentRun(ctx, row.run_id);
  if (typeof carried === "string") return err(carried);
  const site = (field: string) => ({ table: ctx.table, row_id: ctx.row_id, field });
  const allowed = convertAllowedPaths(row.allowed_paths, site("allowed_paths"), ctx.report);
  if (allowed.length === 0) return err("it has no allowed path left (rungate's cards need at least one)");
  const forbidden = convertSubstringRules(row.forbidden_paths, site("forbidden_paths"), ctx.report);
  for (const glob of carried.policy.forbidden_paths) if (!forbidden.includes(glob)) forbidden.push(glob);
  const snapshot = captureSnapshot(row.assignment_input_snapshot);
  if (snapshot.isErr()) return err("its assignment_input_snapshot is not plain JSON");
  const mapping = ASSIGNMENT_STATUS_PHASE[row.status];
  reportLoss(ctx, "phase", row.status, mapping.to, mapping.loses);
  const parsed = CardAssignment.safeParse({
    id: idAt(ctx, "card_assignment", "id", row.id),
    run_id: carried.run.id,
    card_id: idAt(ctx, "card", "card_id", row.card_id),
    agent_role: row.agent_role,
    agent_profile: row.agent_profile === "" ? null : row.agent_profile,
    feature_branch: row.feature_branch,
    worktree_path: row.worktree_path,
    allowed_paths: allowed,
    forbidden_paths: forbidden,
    assignment_input_snapshot: snapshot.value.value,
    assignment_input_hash: snapshot.value.hash,
    status: row.status,
    phase: mapping.to,
    base_sha: null,
    head_sha: null,
    failure: null,
    created_at: row.created_at,
    updated_at: row.updated_at,
    version: 0,
  });
  return parsed.success
    ? ok(parsed.data)
    : err(`it does not fit rungate's card: ${describeIssues(parsed.error)}`);
}
