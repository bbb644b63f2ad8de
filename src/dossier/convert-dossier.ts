import { err, ok, type Result } from "neverthrow";
import type { z } from "zod";
import type { ValidationError } from "../core/errors.js";
import type { AgentCommit, AgentExecution } from "../core/schemas/agent-execution.js";
import type { ApprovalRequest } from "../core/schemas/approval-request.js";
import type { CardAssignment } from "../core/schemas/card-assignment.js";
import type { OrchestrationRun } from "../core/schemas/orchestration-run.js";
import type { PullRequestCandidate } from "../core/schemas/pull-request-candidate.js";
import type { RunCheck } from "../core/schemas/run-check.js";
import type { SystemPolicyProfile } from "../core/schemas/system-policy-profile.js";
import type { RunEventDraft } from "../ports/storage-port.js";
import type { CarriedRun, RowContext } from "./conversion-context.js";
import { convertCommit, convertExecution, numberAttempts } from "./convert-agent-activity.js";
import { convertAssignment } from "./convert-assignment.js";
import { convertPolicyRow } from "./convert-policy.js";
import { convertRun } from "./convert-run.js";
import { convertApproval, convertCheck, convertEvent, convertPullRequest } from "./convert-run-outcomes.js";
import { rungateId } from "./dossier-ids.js";
import {
  DOSSIER_TABLES,
  type DossierReport,
  type DossierTable,
  type DroppedField,
  newReportBuilder,
  type ReportBuilder,
} from "./dossier-report.js";
import { isRow, readTables } from "./read-tables.js";
import {
  DROPPED_COLUMNS,
  READ_COLUMNS,
  ReferenceApprovalRow,
  ReferenceAssignmentRow,
  ReferenceCheckRow,
  ReferenceCommitRow,
  ReferenceEventRow,
  ReferenceExecutionRow,
  ReferencePolicyRow,
  ReferencePullRequestRow,
  ReferenceRunRow,
} from "./reference-rows.js";
import { describeIssues } from "./row-issues.js";

/**
 * The rungate records made from an export, per kind. `policies` are for the host to keep (rungate stores no
 * policy: a run carries its own snapshot); everything else is written by `importDossier`.
 */
export interface DossierRecords {
  readonly policies: readonly SystemPolicyProfile[];
  readonly runs: readonly OrchestrationRun[];
  readonly assignments: readonly CardAssignment[];
  readonly executions: readonly AgentExecution[];
  readonly commits: readonly AgentCommit[];
  readonly checks: readonly RunCheck[];
  readonly approvals: readonly ApprovalRequest[];
  readonly pull_requests: readonly PullRequestCandidate[];
  /** In the order they happened (`created_at`), which is the order storage numbers them in. */
  readonly events: readonly RunEventDraft[];
}

/** What {@link convertDossier} made of an export: the records and the report of what did not carry over. */
export interface DossierImport {
  readonly records: DossierRecords;
  readonly report: DossierReport;
}

/** The state of one conversion: parents carried so far, the report, the dropped columns' counts. */
interface Conversion {
  readonly report: ReportBuilder;
  readonly runs: Map<string, CarriedRun>;
  readonly assignments: Map<string, CardAssignment>;
  readonly dropped: Map<DossierTable, Map<string, number>>;
}

/** The reference's id of a row, for the report; a row without one is named by its place. */
function rowIdOf(row: unknown, index: number): string {
  const id = isRow(row) ? row.id : undefined;
  return typeof id === "string" && id !== "" ? id : `(row ${index})`;
}

/** Counts the columns of a carried row that no rungate field holds (those with a value). */
function countDropped(state: Conversion, table: DossierTable, row: Record<string, unknown>): void {
  const read = READ_COLUMNS[table];
  const counts = state.dropped.get(table) ?? new Map<string, number>();
  for (const [column, value] of Object.entries(row)) {
    if (read.includes(column) || value === null || value === undefined) continue;
    counts.set(column, (counts.get(column) ?? 0) + 1);
  }
  state.dropped.set(table, counts);
}

/**
 * Converts every row of one table: a row that is not an object, does not parse, repeats an id, or whose
 * conversion refuses it is skipped with the reason; a carried row's report entries join the import's report.
 */
function convertTable<S extends z.ZodObject, R>(
  state: Conversion,
  table: DossierTable,
  rows: readonly unknown[],
  schema: S,
  convert: (row: z.infer<S>, ctx: RowContext) => Result<R, string>,
): R[] {
  const out: R[] = [];
  const seen = new Set<string>();
  rows.forEach((raw, index) => {
    const row_id = rowIdOf(raw, index);
    const converted = convertRow(state, { table, row_id, raw, seen }, schema, convert);
    if (converted.isErr()) state.report.skipped.push({ table, row_id, reason: converted.error });
    else out.push(converted.value);
  });
  return out;
}

/** One row of a table, with the ids its table has already carried. */
interface RowInput {
  readonly table: DossierTable;
  readonly row_id: string;
  readonly raw: unknown;
  readonly seen: Set<string>;
}

/** Converts one row, or says why it is skipped; a carried row's report entries join the import's report. */
function convertRow<S extends z.ZodObject, R>(
  state: Conversion,
  { table, row_id, raw, seen }: RowInput,
  schema: S,
  convert: (row: z.infer<S>, ctx: RowContext) => Result<R, string>,
): Result<R, string> {
  if (!isRow(raw)) return err("not a row (an object of columns)");
  const parsed = schema.safeParse(raw);
  if (!parsed.success) return err(`malformed: ${describeIssues(parsed.error)}`);
  const id = rungateId(table, String((parsed.data as { id: unknown }).id));
  if (seen.has(id)) return err("an earlier row of this table has the same id");
  seen.add(id);
  const scratch = newReportBuilder();
  const ctx: RowContext = {
    table,
    row_id,
    runs: state.runs,
    assignments: state.assignments,
    report: scratch,
  };
  return convert(parsed.data, ctx).map((record) => {
    state.report.changed.push(...scratch.changed);
    state.report.rules.push(...scratch.rules);
    countDropped(state, table, raw);
    return record;
  });
}

function droppedFields(state: Conversion): DroppedField[] {
  return DOSSIER_TABLES.flatMap((table) =>
    [...(state.dropped.get(table) ?? new Map<string, number>())].map(
      ([field, rows]): DroppedField => ({
        table,
        field,
        rows,
        reason:
          DROPPED_COLUMNS[table][field] ??
          "a column this importer does not know (a newer or modified reference); rungate has no field for it",
      }),
    ),
  );
}

/** Events in the order they happened (stable for equal times), which is the order storage numbers them in. */
function chronological(events: readonly RunEventDraft[]): RunEventDraft[] {
  return events
    .map((event, index) => ({ event, index }))
    .sort((a, b) => Date.parse(a.event.created_at) - Date.parse(b.event.created_at) || a.index - b.index)
    .map(({ event }) => event);
}

/**
 * Converts an export of the reference system (an object of tables, each an array of rows with the reference's
 * column names: `sqlite3 -json` output, or JSON columns already parsed) into rungate records, pure.
 *
 * Lenient where the reference is: SQLite times (`YYYY-MM-DD HH:MM:SS`, UTC) become ISO; JSON held as text is
 * parsed; `forbidden_paths: null` is `[]`; a run's policy snapshot without `id`/`project_id` takes the run's;
 * executions without `run_id` take their assignment's; legacy statuses are kept and read as rungate phases.
 * Substring path rules become globs ({@link DossierReport} `rules` says which changed meaning). Ids are kept
 * (a non-UUID id becomes a name-based UUID), so converting twice gives the same records.
 *
 * A row that cannot be carried (malformed, its parent not carried, a project-level event) is skipped with its
 * reason; it never fails the whole conversion. Fails only with a `validation` error when `input` is not an
 * export at all (see `readTables`). Never throws.
 */
export function convertDossier(input: unknown): Result<DossierImport, ValidationError> {
  return readTables(input).andThen(({ tables, ignored }) => {
    const state: Conversion = {
      report: newReportBuilder(),
      runs: new Map(),
      assignments: new Map(),
      dropped: new Map(),
    };
    const policies = convertTable(
      state,
      "system_policy_profile",
      tables.system_policy_profile,
      ReferencePolicyRow,
      (row, ctx) => convertPolicyRow(row, ctx.report),
    );
    const carriedRuns = convertTable(
      state,
      "orchestration_run",
      tables.orchestration_run,
      ReferenceRunRow,
      (row, ctx) =>
        convertRun(row, ctx).map((carried) => {
          state.runs.set(carried.run.id, carried);
          return carried;
        }),
    );
    const assignments = convertTable(
      state,
      "card_assignment",
      tables.card_assignment,
      ReferenceAssignmentRow,
      (row, ctx) =>
        convertAssignment(row, ctx).map((assignment) => {
          state.assignments.set(assignment.id, assignment);
          return assignment;
        }),
    );
    const executions = convertTable(
      state,
      "agent_execution",
      tables.agent_execution,
      ReferenceExecutionRow,
      convertExecution,
    );
    const commits = convertTable(
      state,
      "agent_commit",
      tables.agent_commit,
      ReferenceCommitRow,
      convertCommit,
    );
    const checks = convertTable(state, "run_check", tables.run_check, ReferenceCheckRow, convertCheck);
    const approvals = convertTable(
      state,
      "approval_request",
      tables.approval_request,
      ReferenceApprovalRow,
      convertApproval,
    );
    const pull_requests = convertTable(
      state,
      "pull_request_candidate",
      tables.pull_request_candidate,
      ReferencePullRequestRow,
      convertPullRequest,
    );
    const events = chronological(
      convertTable(state, "event_log", tables.event_log, ReferenceEventRow, convertEvent),
    );
    const records: DossierRecords = {
      policies,
      runs: carriedRuns.map(({ run }) => run),
      assignments,
      executions: numberAttempts(executions),
      commits,
      checks,
      approvals,
      pull_requests,
      events,
    };
    const report: DossierReport = {
      carried: {
        policies: records.policies.length,
        runs: records.runs.length,
        assignments: records.assignments.length,
        executions: records.executions.length,
        commits: records.commits.length,
        checks: records.checks.length,
        approvals: records.approvals.length,
        pull_requests: records.pull_requests.length,
        events: records.events.length,
      },
      skipped: state.report.skipped,
      changed: state.report.changed,
      rules: state.report.rules,
      dropped_fields: droppedFields(state),
      ignored_tables: ignored,
    };
    return ok({ records, report });
  });
}
