import { errAsync, ok, type ResultAsync, safeTry } from "neverthrow";
import { type RungateError, rungateError } from "../core/errors.js";
import { carriedApprovals } from "../core/gates/approval-content.js";
import { approvalGateReasons, canRequestApproval, cardEndedReason } from "../core/gates/approval-gate.js";
import { pullRequestGateReasons, requiredApprovalTypes } from "../core/gates/pull-request-gate.js";
import { actorOf } from "../core/schemas/actor-id.js";
import type { ApprovalRequest } from "../core/schemas/approval-request.js";
import type { CardAssignment } from "../core/schemas/card-assignment.js";
import { approvalDigestAt } from "./approval-digest.js";
import { readChanges } from "./collect-changes.js";
import type { OrchestratorDeps } from "./deps.js";
import { type CardRecords, loadCard } from "./load.js";
import { observeHead } from "./observe-head.js";
import { eventDraft, systemActor } from "./persist.js";
import { scanTestIntegrity } from "./scan-test-integrity.js";
import { advanceRun, applyAssignmentEvent, applyAssignmentEventStored } from "./transitions.js";

/** An assignment awaiting a person, with the approval requests put to them. */
export interface ApprovalRequested {
  readonly assignment: CardAssignment;
  readonly approvals: readonly ApprovalRequest[];
}

/**
 * Opens the approval requests of a checked assignment, only through the approval gate: every required
 * check must have passed on the current head, or this fails with `gate_closed` naming each reason and
 * stores nothing. One pending request per approval kind the changes need (`create_pr`, the policy's
 * required approvals, and its protected-path approval when a protected path changed), all bound to the
 * head, stored with the move to `awaiting_approval`. Repeating it for the same head returns the same
 * requests.
 */
export function requestApproval(
  deps: OrchestratorDeps,
  input: { readonly assignment_id: string },
  /** The card and its run's records as the caller just read them (saves reading them again). */
  known?: CardRecords,
): ResultAsync<ApprovalRequested, RungateError> {
  return safeTry<ApprovalRequested, RungateError>(async function* () {
    const loaded = known ?? (yield* loadCard(deps, input.assignment_id));
    const { run, policy } = loaded;
    const assignment = yield* observeHead(deps, run, loaded.assignment);
    const head = assignment.head_sha;
    const stored = yield* loaded.approvals();
    const existing = stored.filter((a) => a.assignment_id === assignment.id && a.head_sha === head);
    if (assignment.phase === "awaiting_approval") {
      yield* advanceRun(deps, run.id, systemActor(deps));
      return ok({ assignment, approvals: existing });
    }
    const checks = yield* loaded.checks();
    const ended = cardEndedReason(assignment);
    if (ended !== null) {
      return errAsync(
        rungateError("gate_closed", "approval_gate_closed", {
          gate: "request_approval",
          reasons: [ended, ...approvalGateReasons(assignment, checks, policy)],
        }),
      );
    }
    yield* canRequestApproval(assignment, checks, policy);
    if (head === null) return errAsync(unreachableNoHead(assignment.id));
    const changes = yield* readChanges(deps, run, assignment, policy, head);
    if (!changes.ok) {
      return errAsync(
        rungateError("gate_closed", "approval_gate_closed", {
          gate: "request_approval",
          reasons: changes.violations.map((v) => ({
            code: "changes_violate_path_rules" as const,
            subject: v.path,
            message: `${v.path} is ${v.verdict} (${v.rule})`,
          })),
        }),
      );
    }
    const now = deps.clock.now();
    const digest = yield* approvalDigestAt(deps, run, assignment, head, checks);
    const weakened = yield* scanTestIntegrity(deps, run, assignment, policy, head, undefined);
    const kinds = requiredApprovalTypes(policy, {
      ...changes,
      weakens_tests: weakened.length > 0 && policy.test_integrity.on_finding === "require_approval",
    });
    const carried = carriedApprovals(stored, assignment.id, head, digest, kinds);
    const approvals: ApprovalRequest[] = kinds.map((kind) => {
      const from = carried.find((c) => c.approval_type === kind);
      const request: ApprovalRequest = {
        id: deps.ids.next(),
        run_id: run.id,
        assignment_id: assignment.id,
        approval_type: kind,
        status: "pending",
        requested_by: `system:${deps.options.system_actor}`,
        requested_at: now,
        resolved_by: null,
        resolved_at: null,
        notes: null,
        head_sha: head,
        content_digest: digest,
        carried_from: null,
        version: 0,
      };
      // The same content a person already approved: their decision stands for this head too.
      return from === undefined
        ? request
        : {
            ...request,
            status: "approved",
            resolved_by: from.resolved_by,
            resolved_at: now,
            notes: from.notes,
            carried_from: from.id,
          };
    });
    // Every approval carried (and the policy's four-eyes rule met): the card is approved as it was before.
    const granted = approvals.find((a) => a.carried_from !== null);
    const requested = yield* applyAssignmentEventStored(
      deps,
      run,
      assignment,
      { type: "request_approval", checks, policy },
      systemActor(deps),
      {
        idempotency_key: `request_approval:${assignment.id}:${head}`,
        approvals: approvals.map((record) => ({ record, expected_version: null })),
        events: approvals.flatMap((a) => {
          const from = carried.find((c) => c.id === a.carried_from);
          return [
            eventDraft(deps, run, "approval.requested", systemActor(deps), {
              assignment_id: assignment.id,
              approval_id: a.id,
              approval_type: a.approval_type,
              head_sha: head,
              protected_paths: changes.protected_paths,
            }),
            ...(from === undefined
              ? []
              : [
                  eventDraft(deps, run, "approval.carried", systemActor(deps), {
                    assignment_id: assignment.id,
                    approval_id: a.id,
                    approval_type: a.approval_type,
                    head_sha: head,
                    content_digest: digest,
                    from_approval_id: from.id,
                    from_head_sha: from.head_sha,
                    approved_by: from.resolved_by ?? "",
                  }),
                ]),
          ];
        }),
      },
      // A carried grant moves the card again right after: the run is moved once, after both.
      granted === undefined ? loaded.state : undefined,
    );
    let next = requested.assignment;
    if (
      granted !== undefined &&
      pullRequestGateReasons(next, approvals, policy, { ...changes, initiated_by: run.initiated_by })
        .length === 0
    ) {
      next = yield* applyAssignmentEvent(
        deps,
        run,
        next,
        { type: "approval_granted", actor: actorOf(granted.resolved_by ?? ""), approval: granted },
        actorOf(granted.resolved_by ?? ""),
      );
    }
    if (!requested.advanced || granted !== undefined) yield* advanceRun(deps, run.id, systemActor(deps));
    return ok({ assignment: next, approvals });
  });
}

function unreachableNoHead(id: string): RungateError {
  // canRequestApproval already refuses a missing head; this keeps the types honest without a cast.
  return {
    kind: "gate_closed",
    code: "approval_gate_closed",
    message: `assignment ${id} has no head`,
    detail: { gate: "request_approval", reasons: [] },
  };
}
