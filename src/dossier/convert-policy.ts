import { err, ok, type Result } from "neverthrow";
import { SystemPolicyProfile } from "../core/schemas/system-policy-profile.js";
import { convertSubstringRules } from "./convert-path-rules.js";
import { rungateId } from "./dossier-ids.js";
import type { DossierTable, ReportBuilder } from "./dossier-report.js";
import { type ReferencePolicyRow, ReferencePolicySnapshot } from "./reference-rows.js";
import { describeIssues } from "./row-issues.js";

/** The rules of a reference policy, whether a profile row or a run's snapshot of one. */
type PolicyRules = Pick<
  ReferencePolicyRow,
  | "required_checks"
  | "protected_paths"
  | "forbidden_paths"
  | "dependency_policy"
  | "security_policy"
  | "architecture_policy"
  | "approval_policy"
>;

/** Where a policy comes from, for the report and the ids. */
interface PolicySource {
  readonly table: DossierTable;
  readonly row_id: string;
  /** Prefix of the report's field names: `""` for a profile row, `system_policy_snapshot.` for a run's. */
  readonly prefix: string;
}

/**
 * A rungate {@link SystemPolicyProfile} from reference rules: substring path rules converted to globs (each
 * reported), sections kept (rungate keeps keys it does not know), rungate's defaults filled in. A reason when
 * rungate's policy schema refuses the result.
 */
function toProfile(
  rules: PolicyRules,
  identity: { readonly id: string; readonly project_id: string; readonly updated_at: string },
  source: PolicySource,
  report: ReportBuilder,
): Result<SystemPolicyProfile, string> {
  const site = (field: string) => ({
    table: source.table,
    row_id: source.row_id,
    field: source.prefix + field,
  });
  const parsed = SystemPolicyProfile.safeParse({
    ...identity,
    required_checks: rules.required_checks,
    protected_paths: convertSubstringRules(rules.protected_paths, site("protected_paths"), report),
    forbidden_paths: convertSubstringRules(rules.forbidden_paths, site("forbidden_paths"), report),
    dependency_policy: rules.dependency_policy,
    security_policy: rules.security_policy,
    architecture_policy: rules.architecture_policy,
    approval_policy: rules.approval_policy,
  });
  return parsed.success
    ? ok(parsed.data)
    : err(`its policy does not fit rungate's: ${describeIssues(parsed.error)}`);
}

/** A `system_policy_profile` row as a rungate policy (rungate stores none: the host keeps its policies). */
export function convertPolicyRow(
  row: ReferencePolicyRow,
  report: ReportBuilder,
): Result<SystemPolicyProfile, string> {
  return toProfile(
    row,
    {
      id: rungateId("system_policy_profile", row.id),
      project_id: rungateId("project", row.project_id),
      updated_at: row.updated_at,
    },
    { table: "system_policy_profile", row_id: row.id, prefix: "" },
    report,
  );
}

/** The run a policy snapshot belongs to: what fills the snapshot's missing identity. */
export interface SnapshotOwner {
  readonly id: string;
  readonly project_id: string;
  readonly system_policy_profile_id: string;
  readonly created_at: string;
}

/**
 * A run's reference `system_policy_snapshot` as the rungate policy the run is judged by: `id` and `project_id`,
 * which the reference left out, are the run's `system_policy_profile_id` and `project_id` (as rungate's own
 * snapshots carry them); a missing `updated_at` is the run's `created_at`.
 */
export function convertPolicySnapshot(
  snapshot: unknown,
  owner: SnapshotOwner,
  report: ReportBuilder,
): Result<SystemPolicyProfile, string> {
  const parsed = ReferencePolicySnapshot.safeParse(snapshot);
  if (!parsed.success) return err(`its system_policy_snapshot is malformed: ${describeIssues(parsed.error)}`);
  const snap = parsed.data;
  return toProfile(
    snap,
    {
      id: rungateId("system_policy_profile", snap.id ?? owner.system_policy_profile_id),
      project_id: rungateId("project", snap.project_id ?? owner.project_id),
      updated_at: snap.updated_at ?? owner.created_at,
    },
    { table: "orchestration_run", row_id: owner.id, prefix: "system_policy_snapshot." },
    report,
  );
}
