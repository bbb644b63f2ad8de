/**
 * The tables of the reference system ("dossier") that the import reads, in the order their rows are
 * converted: a row's parent table always comes before it, so a child can ask whether its parent was carried.
 */
export const DOSSIER_TABLES = [
  "system_policy_profile",
  "orchestration_run",
  "card_assignment",
  "agent_execution",
  "agent_commit",
  "run_check",
  "approval_request",
  "pull_request_candidate",
  "event_log",
] as const;
/** One of {@link DOSSIER_TABLES}. */
export type DossierTable = (typeof DOSSIER_TABLES)[number];

/** The kinds of rungate record an import produces, one per reference table. */
export const DOSSIER_RECORD_KINDS = [
  "policies",
  "runs",
  "assignments",
  "executions",
  "commits",
  "checks",
  "approvals",
  "pull_requests",
  "events",
] as const;
/** One of {@link DOSSIER_RECORD_KINDS}. */
export type DossierRecordKind = (typeof DOSSIER_RECORD_KINDS)[number];

/** How many records of each kind. */
export type DossierCounts = { readonly [K in DossierRecordKind]: number };

/** A reference row that was not carried over, and why. `row_id` is the row's own id as the reference wrote it. */
export interface SkippedRow {
  readonly table: DossierTable;
  readonly row_id: string;
  readonly reason: string;
}

/**
 * A field whose rungate value says something other than the reference's: a legacy status read as a rungate
 * phase that loses meaning, an id that was not a UUID, a value that could not be kept. Pure format changes
 * (a SQLite time written as ISO, JSON text parsed) are not listed: they keep the meaning.
 */
export interface ChangedField {
  readonly table: DossierTable;
  readonly row_id: string;
  readonly field: string;
  readonly from: unknown;
  readonly to: unknown;
  readonly reason: string;
}

/**
 * What a converted substring rule means next to the reference's:
 * - `same`: the globs match exactly the repository paths that contain the substring;
 * - `case_insensitive`: as `same`, but rungate's forbidden and protected globs ignore case, so paths that
 *   differ from the substring only by case (`.ENV` for `.env`) are caught too: rungate forbids more;
 * - `never_matches`: no repository path rungate accepts can contain the substring (an empty or `.`/`..`
 *   segment, a backslash, a control character), so the rule is dropped: it never forbade a real change.
 */
export const RULE_MEANINGS = ["same", "case_insensitive", "never_matches"] as const;
/** One of {@link RULE_MEANINGS}. */
export type RuleMeaning = (typeof RULE_MEANINGS)[number];

/** One legacy substring rule and the globs it became, with whether its meaning changed. */
export interface RuleConversion {
  readonly table: DossierTable;
  readonly row_id: string;
  /** Where the rule was, e.g. `forbidden_paths[0]` or `system_policy_snapshot.protected_paths[1]`. */
  readonly field: string;
  readonly from: string;
  readonly to: readonly string[];
  readonly meaning: RuleMeaning;
  readonly reason: string;
}

/** A column of a reference table that rungate has no field for, with how many rows had a value in it. */
export interface DroppedField {
  readonly table: DossierTable;
  readonly field: string;
  readonly rows: number;
  readonly reason: string;
}

/** An entry of the export that is not one of {@link DOSSIER_TABLES}; `rows` is `null` when it is not a list. */
export interface IgnoredTable {
  readonly table: string;
  readonly rows: number | null;
  readonly reason: string;
}

/**
 * Everything an import did not carry over as it was: `carried` counts the records made, `skipped` names every
 * row left out, `changed` every field whose meaning changed, `rules` every substring rule converted to globs,
 * `dropped_fields` every column with no rungate field, `ignored_tables` every other table of the export.
 */
export interface DossierReport {
  readonly carried: DossierCounts;
  readonly skipped: readonly SkippedRow[];
  readonly changed: readonly ChangedField[];
  readonly rules: readonly RuleConversion[];
  readonly dropped_fields: readonly DroppedField[];
  readonly ignored_tables: readonly IgnoredTable[];
}

/** The report as it is being filled by one conversion (local, never shared). */
export interface ReportBuilder {
  readonly skipped: SkippedRow[];
  readonly changed: ChangedField[];
  readonly rules: RuleConversion[];
  readonly dropped_fields: DroppedField[];
  readonly ignored_tables: IgnoredTable[];
}

/** An empty {@link ReportBuilder}. */
export function newReportBuilder(): ReportBuilder {
  return { skipped: [], changed: [], rules: [], dropped_fields: [], ignored_tables: [] };
}
