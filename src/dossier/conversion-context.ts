import type { CardAssignment } from "../core/schemas/card-assignment.js";
import type { OrchestrationRun } from "../core/schemas/orchestration-run.js";
import type { SystemPolicyProfile } from "../core/schemas/system-policy-profile.js";
import { rungateId } from "./dossier-ids.js";
import type { DossierTable, ReportBuilder } from "./dossier-report.js";

/** A run carried over, with the policy its snapshot became (its cards take their forbidden globs from it). */
export interface CarriedRun {
  readonly run: OrchestrationRun;
  readonly policy: SystemPolicyProfile;
}

/**
 * What the conversion of one row may read and add to: the runs and cards carried so far (a child row finds
 * its parent here), and the report of this row, merged into the import's report only if the row is carried.
 */
export interface RowContext {
  readonly table: DossierTable;
  /** The row's id as the reference wrote it. */
  readonly row_id: string;
  readonly runs: ReadonlyMap<string, CarriedRun>;
  readonly assignments: ReadonlyMap<string, CardAssignment>;
  readonly report: ReportBuilder;
}

/**
 * The rungate id of the reference id in `field` of the current row (see {@link rungateId}); an id that had to
 * change is reported, so a person can find the row again.
 */
export function idAt(ctx: RowContext, kind: string, field: string, id: string): string {
  const mapped = rungateId(kind, id);
  if (mapped !== id) {
    ctx.report.changed.push({
      table: ctx.table,
      row_id: ctx.row_id,
      field,
      from: id,
      to: mapped,
      reason:
        mapped === id.toLowerCase()
          ? "rungate writes UUIDs in lower case"
          : "not a UUID; replaced by a UUID derived from it (the same on every import)",
    });
  }
  return mapped;
}

/** Records in `ctx.report.changed` that a legacy status was read with a meaning it did not have. */
export function reportLoss(
  ctx: RowContext,
  field: string,
  from: string,
  to: string,
  loses: string | null,
): void {
  if (loses !== null) {
    ctx.report.changed.push({ table: ctx.table, row_id: ctx.row_id, field, from, to, reason: loses });
  }
}

/** The carried run a child row refers to, or the reason the child cannot be carried. */
export function parentRun(ctx: RowContext, run_id: string): CarriedRun | string {
  return ctx.runs.get(rungateId("orchestration_run", run_id)) ?? `its run ${run_id} was not carried over`;
}

/** The carried assignment a child row refers to, or the reason the child cannot be carried. */
export function parentAssignment(ctx: RowContext, assignment_id: string): CardAssignment | string {
  return (
    ctx.assignments.get(rungateId("card_assignment", assignment_id)) ??
    `its assignment ${assignment_id} was not carried over`
  );
}
