import type { OrchestrationRun } from "../schemas/orchestration-run.js";
import type { Actor } from "../schemas/primitives.js";
import type { RunCheck } from "../schemas/run-check.js";
import type { SystemPolicyProfile } from "../schemas/system-policy-profile.js";
import type { RunAssignmentView, RunEventInput } from "./run-machine.js";

/** What {@link nextRunEvent} reads besides the run and its assignments. */
export interface RunProgressContext {
  readonly checks: readonly RunCheck[];
  readonly policy: Pick<SystemPolicyProfile, "required_checks">;
  /** Who caused the assignment change being aggregated (a user's decision, a PR host's report). */
  readonly actor: Actor;
  /**
   * The person who made the latest approval decision, when `actor` is not that person (a run catching up
   * after an interruption): run-level approval moves are attributed to them.
   */
  readonly decider?: Actor;
}

const APPROVED_OR_LATER = new Set<RunAssignmentView["phase"]>(["approved", "pr_open", "merged", "closed"]);
const PR_OR_LATER = new Set<RunAssignmentView["phase"]>(["pr_open", "merged", "closed"]);

const AT_OR_AFTER_CHECKS = new Set<RunAssignmentView["phase"]>([
  "checking",
  "checks_failed",
  "awaiting_approval",
  "approval_rejected",
  "approved",
  "pr_open",
  "merged",
  "closed",
]);

/**
 * The run event its assignments call for now, or `null` when the run should stay where it is. Pure; the
 * run machine's guards still have the last word. A run's phase is the slowest of its cards', except that
 * any failed card fails the run and a card waiting on a person (failed checks, rejected approval) holds it.
 */
export function nextRunEvent(
  run: Pick<OrchestrationRun, "phase" | "worktree_root">,
  assignments: readonly RunAssignmentView[],
  ctx: RunProgressContext,
): RunEventInput | null {
  if (assignments.length === 0) return null;
  const phases = assignments.map((a) => a.phase);
  const all = (p: RunAssignmentView["phase"]) => phases.every((x) => x === p);
  const any = (p: RunAssignmentView["phase"]) => phases.includes(p);
  const live = !["completed", "closed", "failed", "cancelled"].includes(run.phase);
  if (live && any("failed")) {
    const failed = assignments.filter((a) => a.phase === "failed");
    const first = failed[0];
    const why = first?.failure ? `: ${first.failure.message}` : "";
    const others =
      failed.length > 1 ? ` (and ${failed.length - 1} more card${failed.length > 2 ? "s" : ""})` : "";
    return {
      type: "fail",
      kind: "card_failed",
      reason: `card ${first?.id ?? "?"} failed${why}${others}`,
      ...(first ? { assignment_id: first.id } : {}),
    };
  }
  if (live && all("cancelled")) return { type: "cancel", actor: ctx.actor };
  switch (run.phase) {
    case "preparing":
      return run.worktree_root !== null && phases.every((p) => p !== "queued" && p !== "preparing")
        ? { type: "workspaces_ready", worktree_root: run.worktree_root }
        : null;
    case "agents_running":
      return phases.every((p) => AT_OR_AFTER_CHECKS.has(p)) ? { type: "agents_finished", assignments } : null;
    case "checking":
      if (any("checks_failed")) return { type: "checks_failed" };
      return phases.every((p) => p === "awaiting_approval")
        ? { type: "request_approval", assignments, checks: ctx.checks, policy: ctx.policy }
        : null;
    case "checks_failed":
      if (any("agent_running")) return { type: "redispatch" };
      return !any("checks_failed") && any("checking") ? { type: "retry_checks" } : null;
    case "awaiting_approval": {
      const person = ctx.actor.type === "user" ? ctx.actor : (ctx.decider ?? ctx.actor);
      if (any("approval_rejected")) return { type: "approval_rejected", actor: person };
      return phases.every((p) => APPROVED_OR_LATER.has(p))
        ? { type: "approval_granted", actor: person, assignments }
        : null;
    }
    case "approval_rejected":
      return any("agent_running") ? { type: "redispatch" } : null;
    case "approved":
      return phases.every((p) => PR_OR_LATER.has(p)) ? { type: "pr_created", assignments } : null;
    case "pr_open": {
      if (!phases.every((p) => p === "merged" || p === "closed")) return null;
      // Merges and closes are reported by the PR host; a run catching up attributes them to it.
      const observer: Actor =
        ctx.actor.type === "user" || ctx.actor.type === "pr_host"
          ? ctx.actor
          : { type: "pr_host", id: "observed" };
      return any("merged")
        ? { type: "pr_merged", actor: observer, assignments }
        : { type: "pr_closed", actor: observer, assignments };
    }
    default:
      return null;
  }
}
