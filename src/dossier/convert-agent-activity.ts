import { err, ok, type Result } from "neverthrow";
import { AgentCommit, AgentExecution, EMPTY_AGENT_REPORT } from "../core/schemas/agent-execution.js";
import { idAt, parentAssignment, type RowContext, reportLoss } from "./conversion-context.js";
import { EXECUTION_STATUS } from "./legacy-status.js";
import type { ReferenceCommitRow, ReferenceExecutionRow } from "./reference-rows.js";
import { describeIssues } from "./row-issues.js";

/**
 * An `agent_execution` row as a rungate execution. The reference wrote no `run_id`: it is its assignment's.
 * `attempt` is 1 here; the conversion numbers each card's attempts afterwards, in the order they started.
 */
export function convertExecution(
  row: ReferenceExecutionRow,
  ctx: RowContext,
): Result<AgentExecution, string> {
  const assignment = parentAssignment(ctx, row.assignment_id);
  if (typeof assignment === "string") return err(assignment);
  if (row.run_id !== null && row.run_id !== assignment.run_id) {
    ctx.report.changed.push({
      table: ctx.table,
      row_id: ctx.row_id,
      field: "run_id",
      from: row.run_id,
      to: assignment.run_id,
      reason: "an execution belongs to its assignment's run",
    });
  }
  const mapping = EXECUTION_STATUS[row.status];
  reportLoss(ctx, "status", row.status, mapping.to, mapping.loses);
  const parsed = AgentExecution.safeParse({
    id: idAt(ctx, "agent_execution", "id", row.id),
    run_id: assignment.run_id,
    assignment_id: assignment.id,
    attempt: 1,
    status: mapping.to,
    outcome: null,
    started_at: row.started_at,
    ended_at: row.ended_at,
    summary: row.summary,
    error: row.error,
    exit_code: null,
    ...EMPTY_AGENT_REPORT,
  });
  return parsed.success
    ? ok(parsed.data)
    : err(`it does not fit rungate's execution: ${describeIssues(parsed.error)}`);
}

/**
 * Numbers each card's executions 1, 2, … in the order they started (one that never started comes last; ties
 * keep the export's order), as rungate counts attempts.
 */
export function numberAttempts(executions: readonly AgentExecution[]): AgentExecution[] {
  const started = (e: AgentExecution) =>
    e.started_at === null ? Number.POSITIVE_INFINITY : Date.parse(e.started_at);
  const order = executions
    .map((execution, index) => ({ execution, index }))
    .sort((a, b) => started(a.execution) - started(b.execution) || a.index - b.index);
  const attempts = new Map<string, number>();
  const numbered = new Map<number, AgentExecution>();
  for (const { execution, index } of order) {
    const attempt = (attempts.get(execution.assignment_id) ?? 0) + 1;
    attempts.set(execution.assignment_id, attempt);
    numbered.set(index, { ...execution, attempt });
  }
  return executions.map((execution, index) => numbered.get(index) ?? execution);
}

/** An `agent_commit` row as a rungate commit of its (carried) assignment. */
export function convertCommit(row: ReferenceCommitRow, ctx: RowContext): Result<AgentCommit, string> {
  const assignment = parentAssignment(ctx, row.assignment_id);
  if (typeof assignment === "string") return err(assignment);
  const parsed = AgentCommit.safeParse({
    id: idAt(ctx, "agent_commit", "id", row.id),
    assignment_id: assignment.id,
    sha: row.sha,
    branch: row.branch,
    message: row.message,
    committed_at: row.committed_at,
  });
  return parsed.success
    ? ok(parsed.data)
    : err(`it does not fit rungate's commit: ${describeIssues(parsed.error)}`);
}
