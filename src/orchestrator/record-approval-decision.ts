import { errAsync, ok, type ResultAsync, safeTry } from "neverthrow";
import { z } from "zod";
import { type RungateError, rungateError } from "../core/errors.js";
import { pullRequestGateReasons } from "../core/gates/pull-request-gate.js";
import { parseInput } from "../core/parse.js";
import { actorOf, UserActorId } from "../core/schemas/actor-id.js";
import type { ApprovalRequest } from "../core/schemas/approval-request.js";
import type { CardAssignment } from "../core/schemas/card-assignment.js";
import { Uuid } from "../core/schemas/primitives.js";
import type { AssignmentEvent } from "../core/state/assignment-machine.js";
import { transitionAssignment } from "../core/state/assignment-machine.js";
import { readChanges } from "./collect-changes.js";
import type { OrchestratorDeps } from "./deps.js";
import { loadRunRecords } from "./load.js";
import { observeHead } from "./observe-head.js";
import { effectEvents, eventDraft } from "./persist.js";
import { advanceRun, commitAdvancing } from "./transitions.js";

/** A person's decision on one approval request, as the host app passes it. */
export const ApprovalDecisionInput = z.object({
  approval_id: Uuid,
  decision: z.enum(["approve", "reject"]),
  /**
   * The deciding person, `user:<id>` (a bare id is read as a user). Only a person decides: `agent:…`,
   * `system:…` and `pr_host:…` are refused, and rungate never decides.
   */
  decided_by: UserActorId,
  notes: z.string().max(10_000).nullable().default(null),
});
/** What a host passes to {@link recordApprovalDecision}. */
export type ApprovalDecisionInput = z.input<typeof ApprovalDecisionInput>;

/** The decision as stored, and where it left the assignment. */
export interface ApprovalDecision {
  readonly approval: ApprovalRequest;
  readonly assignment: CardAssignment;
}

/**
 * Records a user's approve or reject on a pending approval request, once: a second decision on the same
 * request is a `conflict` (`already_decided`), and a request for a head the branch has moved past is a
 * `conflict` (`stale_approval`). A rejection sends the assignment to `approval_rejected`; an approval moves
 * it to `approved` once every approval kind its changes need is approved for the current head. The decision,
 * the move and their events are one write.
 */
export function recordApprovalDecision(
  deps: OrchestratorDeps,
  input: { readonly run_id: string } & ApprovalDecisionInput,
): ResultAsync<ApprovalDecision, RungateError> {
  return safeTry<ApprovalDecision, RungateError>(async function* () {
    const decision = yield* parseInput(ApprovalDecisionInput, input);
    const records = yield* loadRunRecords(deps, input.run_id);
    const approvals = yield* records.approvals();
    const approval = approvals.find((a) => a.id === decision.approval_id);
    if (approval === undefined)
      return errAsync(
        rungateError("not_found", "approval_not_found", {
          entity: "approval request",
          id: decision.approval_id,
        }),
      );
    if (approval.status !== "pending" || approval.assignment_id === null) {
      return errAsync(
        rungateError("conflict", "already_decided", { entity: "approval request", id: approval.id }),
      );
    }
    const { run, policy } = records;
    const assignment = yield* observeHead(deps, run, yield* records.card(approval.assignment_id));
    if (approval.head_sha !== assignment.head_sha) {
      return errAsync(
        rungateError("conflict", "stale_approval", { entity: "approval request", id: approval.id }),
      );
    }
    // A decision counts only while its card awaits one: after a cancel (or a failure) the request stays
    // pending for good, and recording an approval there would still count towards a PR gate one day.
    if (assignment.phase !== "awaiting_approval") {
      return errAsync(
        rungateError("conflict", "not_awaiting_approval", {
          entity: "approval request",
          id: approval.id,
          way_on: `its card is ${assignment.phase}, not awaiting approval, so nothing can be decided on it.`,
        }),
      );
    }
    const actor = actorOf(decision.decided_by);
    const decided: ApprovalRequest = {
      ...approval,
      status: decision.decision === "approve" ? "approved" : "rejected",
      resolved_by: decision.decided_by,
      resolved_at: deps.clock.now(),
      notes: decision.notes,
    };
    const others = approvals.filter((a) => a.id !== approval.id);
    let event: AssignmentEvent | null = null;
    if (decided.status === "rejected") {
      event = { type: "approval_rejected", actor, approval: decided };
    } else if (assignment.head_sha !== null) {
      const changes = yield* readChanges(deps, run, assignment, policy, assignment.head_sha);
      const stillNeeded = pullRequestGateReasons(assignment, [...others, decided], policy, {
        ...changes,
        initiated_by: run.initiated_by,
      });
      if (stillNeeded.length === 0) event = { type: "approval_granted", actor, approval: decided };
      // Everything else is decided and only this approver is missing: the initiator approving alone would
      // close the request for good, so the decision is refused and the request stays open for somebody else.
      const alone = stillNeeded.find((r) => r.code === "approval_not_independent");
      if (alone !== undefined && stillNeeded.length === 1) {
        return errAsync(
          rungateError("gate_closed", "pull_request_gate_closed", {
            gate: "create_pull_request",
            reasons: [alone],
          }),
        );
      }
    }
    const moved = event === null ? null : yield* transitionAssignment(assignment, event, deps.clock.now());
    const next = moved?.assignment;
    const { stored, advanced } = yield* commitAdvancing(
      deps,
      {
        approvals: [{ record: decided, expected_version: approval.version }],
        ...(next === undefined
          ? {}
          : { assignments: [{ record: next, expected_version: assignment.version }] }),
        events: [
          eventDraft(deps, run, "approval.decided", actor, {
            assignment_id: assignment.id,
            approval_id: approval.id,
            approval_type: approval.approval_type,
            decision: decision.decision === "approve" ? "approved" : "rejected",
            head_sha: approval.head_sha,
            notes: decided.notes,
          }),
          ...(moved ? effectEvents(deps, run, moved.effects, actor) : []),
        ],
      },
      records.state,
      actor,
    );
    if (!advanced) yield* advanceRun(deps, run.id, actor);
    return ok({
      approval: stored.approvals[0] ?? decided,
      assignment: stored.assignments.find((a) => a.id === assignment.id) ?? assignment,
    });
  });
}
