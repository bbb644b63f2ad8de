import { err, ok, type Result } from "neverthrow";
import { OrchestrationRun } from "../core/schemas/orchestration-run.js";
import { captureSnapshot } from "../core/snapshot/snapshot.js";
import { type CarriedRun, idAt, type RowContext, reportLoss } from "./conversion-context.js";
import { convertPolicySnapshot } from "./convert-policy.js";
import { RUN_STATUS_PHASE } from "./legacy-status.js";
import type { ReferenceRunRow } from "./reference-rows.js";
import { describeIssues } from "./row-issues.js";

/**
 * An `orchestration_run` row as a rungate run: its policy snapshot made a rungate policy (identity filled from
 * the run, substring rules made globs), both snapshots captured with their content hashes (so the store
 * verifies them on every read, as for a run rungate created), its status kept and read as a phase.
 */
export function convertRun(row: ReferenceRunRow, ctx: RowContext): Result<CarriedRun, string> {
  const id = idAt(ctx, "orchestration_run", "id", row.id);
  const policy = convertPolicySnapshot(row.system_policy_snapshot, row, ctx.report);
  if (policy.isErr()) return err(policy.error);
  const policySnap = captureSnapshot(policy.value);
  const inputSnap = captureSnapshot(row.run_input_snapshot);
  if (policySnap.isErr() || inputSnap.isErr()) return err("its snapshots are not plain JSON");
  const mapping = RUN_STATUS_PHASE[row.status];
  reportLoss(ctx, "phase", row.status, mapping.to, mapping.loses);
  const parsed = OrchestrationRun.safeParse({
    id,
    project_id: idAt(ctx, "project", "project_id", row.project_id),
    scope: row.scope,
    workflow_id: row.workflow_id === null ? null : idAt(ctx, "workflow", "workflow_id", row.workflow_id),
    card_id: row.card_id === null ? null : idAt(ctx, "card", "card_id", row.card_id),
    trigger_type: row.trigger_type,
    status: row.status,
    phase: mapping.to,
    initiated_by: row.initiated_by,
    repo_url: row.repo_url,
    base_branch: row.base_branch,
    system_policy_profile_id: idAt(
      ctx,
      "system_policy_profile",
      "system_policy_profile_id",
      row.system_policy_profile_id,
    ),
    system_policy_snapshot: policySnap.value.value,
    run_input_snapshot: inputSnap.value.value,
    snapshot_hashes: { system_policy: policySnap.value.hash, run_input: inputSnap.value.hash },
    worktree_root: row.worktree_root,
    failure: null,
    started_at: row.started_at,
    ended_at: row.ended_at,
    created_at: row.created_at,
    updated_at: row.updated_at,
    version: 0,
  });
  return parsed.success
    ? ok({ run: parsed.data, policy: policy.value })
    : err(`it does not fit rungate's run: ${describeIssues(parsed.error)}`);
}
