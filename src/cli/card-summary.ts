import type { AgentExecution, CardAssignment, RunCheck, RunState } from "../index.js";

/** One card of a run as the tables show it. */
export interface CardSummary {
  readonly run_id: string;
  readonly assignment_id: string;
  readonly title: string;
  readonly phase: CardAssignment["phase"];
  readonly feature_branch: string;
  readonly head_sha: string | null;
  /** Agent attempts recorded. */
  readonly attempts: number;
  /** Model turns over every attempt; `null` when no attempt counted any (a plain command agent). */
  readonly turns: number | null;
  /** Dollars over every attempt; `null` when no attempt reported a cost (a command agent, Codex). */
  readonly cost_usd: number | null;
  /** The newest result of each check on the card's current head. */
  readonly checks: readonly Pick<RunCheck, "check_type" | "status" | "output">[];
  /** Approval requests still waiting for a person, for the current head. */
  readonly pending_approvals: readonly { readonly id: string; readonly type: string }[];
  readonly pr_url: string | null;
  /** Why the card stopped, when it is blocked or failed; `null` otherwise. */
  readonly problem: string | null;
}

/** Card phases in which nothing went wrong: waiting for a person's approval, or past it. */
export const GOOD_PHASES: ReadonlySet<CardAssignment["phase"]> = new Set([
  "awaiting_approval",
  "approved",
  "pr_open",
  "merged",
]);

/** The card's title, from its frozen input. */
export function titleOf(assignment: CardAssignment): string {
  const title = (assignment.assignment_input_snapshot as { title?: unknown }).title;
  return typeof title === "string" ? title : assignment.card_id;
}

/** Sum of a field over the attempts that reported it; `null` when none did. */
function sumReported(executions: readonly AgentExecution[], field: "num_turns" | "cost_usd"): number | null {
  const reported = executions.map((e) => e[field]).filter((v): v is number => v !== null);
  return reported.length === 0 ? null : reported.reduce((a, b) => a + b, 0);
}

/** What stopped a card, in a sentence, or `null` when it is fine. */
function problemOf(assignment: CardAssignment, checks: CardSummary["checks"]): string | null {
  if (GOOD_PHASES.has(assignment.phase)) return null;
  if (assignment.failure !== null) return assignment.failure.message;
  if (assignment.phase === "checks_failed") {
    const failed = checks.filter((c) => c.status !== "passed").map((c) => `${c.check_type} ${c.status}`);
    return `checks did not pass: ${failed.join(", ") || "none ran"}`;
  }
  if (assignment.phase === "approval_rejected") return "a person rejected the approval";
  if (assignment.phase === "cancelled") return "the run was cancelled";
  return `stopped while ${assignment.phase}`;
}

/** One {@link CardSummary} per card of a run, from everything stored about it. */
export function summariseCards(state: RunState): CardSummary[] {
  return state.assignments.map((a) => {
    const executions = state.executions.filter((e) => e.assignment_id === a.id);
    const latest = new Map<string, RunCheck>();
    for (const c of state.checks) {
      if (c.assignment_id === a.id && c.head_sha === a.head_sha) latest.set(c.check_type, c);
    }
    const checks = [...latest.values()].map(({ check_type, status, output }) => ({
      check_type,
      status,
      output,
    }));
    const pr = state.pull_requests.findLast((p) => p.assignment_id === a.id);
    return {
      run_id: state.run.id,
      assignment_id: a.id,
      title: titleOf(a),
      phase: a.phase,
      feature_branch: a.feature_branch,
      head_sha: a.head_sha,
      attempts: executions.length,
      turns: sumReported(executions, "num_turns"),
      cost_usd: sumReported(executions, "cost_usd"),
      checks,
      pending_approvals: state.approvals
        .filter((p) => p.assignment_id === a.id && p.status === "pending" && p.head_sha === a.head_sha)
        .map((p) => ({ id: p.id, type: p.approval_type })),
      pr_url: pr?.pr_url ?? null,
      problem: problemOf(a, checks),
    };
  });
}

/** `–` for a figure nobody reported. */
export const UNKNOWN = "–";

/** Turns as shown: the count, or {@link UNKNOWN}. */
export function formatTurns(turns: number | null): string {
  return turns === null ? UNKNOWN : String(turns);
}

/** Dollars as shown: `$0.0123`, or {@link UNKNOWN}. */
export function formatCost(cost: number | null): string {
  return cost === null ? UNKNOWN : `$${cost.toFixed(cost >= 1 ? 2 : 4)}`;
}

/** Checks as shown: `policy passed, unit failed`, or {@link UNKNOWN} when none ran. */
export function formatChecks(
  checks: readonly { readonly check_type: string; readonly status: string }[],
): string {
  return checks.length === 0 ? UNKNOWN : checks.map((c) => `${c.check_type} ${c.status}`).join(", ");
}
