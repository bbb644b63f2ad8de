import { err, ok, type Result } from "neverthrow";
import { type GateClosedError, type GateReason, rungateError } from "../errors.js";
import type { CardAssignment } from "../schemas/card-assignment.js";
import { ASSIGNMENT_PHASE_STATUS } from "../schemas/phases.js";
import type { RunCheck } from "../schemas/run-check.js";
import type { SystemPolicyProfile } from "../schemas/system-policy-profile.js";
import { latestBy } from "./latest.js";

/** What the approval gate needs to know about an assignment. */
export type ApprovalGateSubject = Pick<CardAssignment, "id" | "run_id" | "head_sha">;

/**
 * Why a card that has ended (failed, cancelled, merged, closed) can never be approved, or null while it lives:
 * said first when a host asks for its approval, so a person learns that the card failed and why, rather than
 * only which checks have no result.
 */
export function cardEndedReason(
  assignment: Pick<CardAssignment, "id" | "phase" | "failure">,
): GateReason | null {
  const { phase } = assignment;
  // Ended: the statuses of the phases no event leaves (merged, closed, failed, cancelled).
  const status = ASSIGNMENT_PHASE_STATUS[phase];
  if (status !== "completed" && status !== "failed" && status !== "cancelled") return null;
  const failure = assignment.failure;
  return {
    code: "card_ended",
    subject: assignment.id,
    message:
      phase === "failed" && failure
        ? `the card failed (${failure.kind}): ${failure.message}`
        : `the card is ${phase}, so it can no longer be approved`,
  };
}

/**
 * The reasons the approval gate is closed for `assignment` (empty when it is open). Exposed for guards that
 * need the reasons without the error wrapper.
 */
export function approvalGateReasons(
  assignment: ApprovalGateSubject,
  checks: readonly RunCheck[],
  policy: Pick<SystemPolicyProfile, "required_checks">,
): GateReason[] {
  const head = assignment.head_sha;
  if (head === null) {
    return [
      { code: "no_head", subject: assignment.id, message: "the assignment has no commit to check yet" },
    ];
  }
  // Legacy run-wide results (no assignment_id) belong to every assignment of their run.
  const mine = checks.filter(
    (c) => c.assignment_id === assignment.id || (c.assignment_id === null && c.run_id === assignment.run_id),
  );
  const reasons: GateReason[] = [];
  for (const type of new Set(policy.required_checks)) {
    const ofType = mine.filter((c) => c.check_type === type);
    const latest = latestBy(
      ofType.filter((c) => c.head_sha === head),
      (c) => c.executed_at,
    );
    if (latest === undefined) {
      reasons.push(
        ofType.length > 0
          ? {
              code: "check_stale",
              subject: type,
              message: `required check "${type}" only ran on an older head, not on ${head.slice(0, 12)}`,
            }
          : { code: "check_missing", subject: type, message: `required check "${type}" has no result` },
      );
    } else if (latest.status !== "passed") {
      reasons.push({
        code: "check_not_passed",
        subject: type,
        message: `required check "${type}" is ${latest.status} on ${head.slice(0, 12)}`,
      });
    }
  }
  return reasons;
}

/**
 * The approval gate: open only when every required check of the policy has a `passed` result for the
 * assignment's current head (the latest result per check type counts; `skipped`, `pending`, `running`,
 * `failed` and `error` never do; a result on an older head is stale). When closed, the error lists every
 * reason.
 */
export function canRequestApproval(
  assignment: ApprovalGateSubject,
  checks: readonly RunCheck[],
  policy: Pick<SystemPolicyProfile, "required_checks">,
): Result<true, GateClosedError> {
  const reasons = approvalGateReasons(assignment, checks, policy);
  return reasons.length === 0
    ? ok(true)
    : err(rungateError("gate_closed", "approval_gate_closed", { gate: "request_approval", reasons }));
}
