import Table from "cli-table3";
import type { OrchestrationRun, PathExplanation, RunState } from "../index.js";
import { type CardSummary, formatChecks, formatCost, formatTurns, UNKNOWN } from "./card-summary.js";

/** A table with plain borders; headings bold only on a terminal, so piped output holds no escape codes. */
function table(head: string[], isTTY: boolean): Table.Table {
  return new Table({ head, style: { head: isTTY ? ["bold"] : [], border: [] } });
}

/** The first 8 characters of an id or sha: enough to tell them apart on screen. */
export function short(id: string | null): string {
  return id === null ? UNKNOWN : id.slice(0, 8);
}

/** The final table of `rungate run`: one row per card. Approval ids are printed whole: they are to be typed. */
export function cardsTable(cards: readonly CardSummary[], isTTY: boolean): string {
  const t = table(["card", "phase", "turns", "cost", "checks", "approval"], isTTY);
  for (const c of cards) {
    t.push([
      c.title,
      c.phase,
      formatTurns(c.turns),
      formatCost(c.cost_usd),
      formatChecks(c.checks),
      c.pending_approvals.map((p) => p.id).join("\n") || UNKNOWN,
    ]);
  }
  return t.toString();
}

/** `rungate runs`: one row per stored run, newest first. */
export function runsTable(runs: readonly OrchestrationRun[], isTTY: boolean): string {
  const t = table(["run", "created", "phase", "cards", "base", "by"], isTTY);
  for (const run of runs) {
    const cards = (run.run_input_snapshot as { cards?: { title?: unknown }[] }).cards ?? [];
    t.push([
      run.id,
      run.created_at.replace("T", " ").slice(0, 19),
      run.phase,
      cards.map((c) => (typeof c.title === "string" ? c.title : "?")).join("\n"),
      run.base_branch,
      run.initiated_by,
    ]);
  }
  return t.toString();
}

/** `rungate show`: the run's cards. */
export function showCardsTable(cards: readonly CardSummary[], isTTY: boolean): string {
  const t = table(["card", "branch", "phase", "head", "attempts", "turns", "cost"], isTTY);
  for (const c of cards) {
    t.push([
      c.title,
      c.feature_branch,
      c.phase,
      short(c.head_sha),
      c.attempts,
      formatTurns(c.turns),
      formatCost(c.cost_usd),
    ]);
  }
  return t.toString();
}

/** `rungate show`: every check result of the run, oldest first. */
export function checksTable(state: RunState, titles: ReadonlyMap<string, string>, isTTY: boolean): string {
  const t = table(["card", "check", "status", "head", "ms"], isTTY);
  for (const c of state.checks) {
    t.push([
      titles.get(c.assignment_id ?? "") ?? UNKNOWN,
      c.check_type,
      c.status,
      short(c.head_sha),
      c.duration_ms ?? UNKNOWN,
    ]);
  }
  return t.toString();
}

/** `rungate show`: every approval request of the run. */
export function approvalsTable(state: RunState, titles: ReadonlyMap<string, string>, isTTY: boolean): string {
  const t = table(["approval", "card", "type", "status", "decided by", "notes"], isTTY);
  for (const a of state.approvals) {
    t.push([
      a.id,
      titles.get(a.assignment_id ?? "") ?? UNKNOWN,
      a.approval_type,
      a.status,
      a.resolved_by ?? UNKNOWN,
      a.notes ?? "",
    ]);
  }
  return t.toString();
}

/** `rungate show`: the run's draft pull requests. */
export function pullRequestsTable(
  state: RunState,
  titles: ReadonlyMap<string, string>,
  isTTY: boolean,
): string {
  const t = table(["card", "status", "branch", "url"], isTTY);
  for (const p of state.pull_requests) {
    t.push([titles.get(p.assignment_id ?? "") ?? UNKNOWN, p.status, p.head_branch, p.pr_url ?? UNKNOWN]);
  }
  return t.toString();
}

/** `rungate explain`: each path's verdict and the rule that decided it. */
export function explainTable(paths: readonly PathExplanation[], isTTY: boolean): string {
  const t = table(["path", "verdict", "decided by", "why"], isTTY);
  for (const p of paths) t.push([p.path, p.verdict, p.decided_by, p.message]);
  return t.toString();
}
