import { err, ok, type Result } from "neverthrow";
import { type GateClosedError, type GateReason, rungateError } from "../errors.js";
import { dependencyManifestPaths } from "../policy/dependency-manifests.js";
import { actorOf, formatActor } from "../schemas/actor-id.js";
import type { ApprovalRequest } from "../schemas/approval-request.js";
import type { ApprovalType } from "../schemas/approval-type.js";
import type { CardAssignment } from "../schemas/card-assignment.js";
import type { SystemPolicyProfile } from "../schemas/system-policy-profile.js";
import { latestBy } from "./latest.js";

/** What the pull-request gate needs to know about an assignment. */
export type PullRequestGateSubject = Pick<CardAssignment, "id" | "run_id" | "head_sha">;

/** Facts about the assignment's changes that decide which approvals are needed. */
export interface PullRequestGateChanges {
  /** Changed paths judged `protected` by the path rules; any one needs the policy's protected-path approval. */
  readonly protected_paths: readonly string[];
  /**
   * Every changed file; when the policy's `dependency_policy.require_approval_for_changes` is on, a changed
   * dependency manifest or lock file among them needs a `dependency_change` approval.
   */
  readonly files?: readonly { readonly path: string }[];
  /**
   * Who started the run (its `initiated_by`), read when the approval policy sets `require_independent_approval`:
   * then approvals all decided by that person leave the gate closed, and so does an unknown initiator.
   */
  readonly initiated_by?: string;
  /**
   * The change weakens tests and the policy's `test_integrity.on_finding` is `require_approval`: a
   * `test_change` approval is needed.
   */
  readonly weakens_tests?: boolean;
}

/** What the approval gates read of a policy: its approval policy, and its dependency policy when it has one. */
export type ApprovalPolicySubject = Pick<SystemPolicyProfile, "approval_policy"> &
  Partial<Pick<SystemPolicyProfile, "dependency_policy">>;

/**
 * The approval kinds a PR candidate for these changes needs: `create_pr`, the policy's
 * `required_approvals`, its `protected_path_approval` when a protected path changed, and `dependency_change`
 * when a dependency manifest or lock file changed and the dependency policy asks for approval. `merge_pr` is
 * never needed here: merging is the person's own act on the PR host.
 */
export function requiredApprovalTypes(
  policy: ApprovalPolicySubject,
  changes: PullRequestGateChanges,
): ApprovalType[] {
  const kinds = new Set<ApprovalType>(["create_pr", ...policy.approval_policy.required_approvals]);
  if (changes.protected_paths.length > 0) kinds.add(policy.approval_policy.protected_path_approval);
  if (
    policy.dependency_policy?.require_approval_for_changes === true &&
    dependencyManifestPaths((changes.files ?? []).map((f) => f.path)).length > 0
  ) {
    kinds.add("dependency_change");
  }
  if (changes.weakens_tests === true) kinds.add("test_change");
  kinds.delete("merge_pr");
  return [...kinds];
}

/** The reasons the pull-request gate is closed (empty when open). */
export function pullRequestGateReasons(
  assignment: PullRequestGateSubject,
  approvals: readonly ApprovalRequest[],
  policy: ApprovalPolicySubject,
  changes: PullRequestGateChanges,
): GateReason[] {
  const head = assignment.head_sha;
  if (head === null) {
    return [{ code: "no_head", subject: assignment.id, message: "the assignment has no commit to propose" }];
  }
  const mine = approvals.filter((a) => a.assignment_id === assignment.id);
  const reasons: GateReason[] = [];
  // Whatever was asked of a person for this head must be answered too (e.g. a `test_change` request made
  // when the checks found weakened tests): a gate never forgets a question it put.
  const asked = mine.filter((a) => a.head_sha === head).map((a) => a.approval_type);
  const needed = new Set([...requiredApprovalTypes(policy, changes), ...asked]);
  needed.delete("merge_pr");
  for (const kind of needed) {
    const ofKind = mine.filter((a) => a.approval_type === kind);
    const latest = latestBy(
      ofKind.filter((a) => a.head_sha === head),
      (a) => a.resolved_at ?? a.requested_at,
    );
    const why =
      kind === policy.approval_policy.protected_path_approval && changes.protected_paths.length > 0
        ? ` (protected paths changed: ${changes.protected_paths.slice(0, 3).join(", ")})`
        : "";
    if (latest === undefined) {
      reasons.push(
        ofKind.length > 0
          ? {
              code: "approval_stale",
              subject: kind,
              message: `"${kind}" was approved for an older head, not ${head.slice(0, 12)}${why}`,
            }
          : {
              code: "approval_missing",
              subject: kind,
              message: `no "${kind}" approval has been requested${why}`,
            },
      );
    } else if (latest.status === "pending") {
      reasons.push({
        code: "approval_pending",
        subject: kind,
        message: `"${kind}" approval is still pending${why}`,
      });
    } else if (latest.status === "rejected") {
      reasons.push({
        code: "approval_rejected",
        subject: kind,
        message: `"${kind}" was rejected by ${latest.resolved_by ?? "someone"}${latest.notes ? `: ${latest.notes}` : ""}`,
      });
    } else if (latest.resolved_by === null) {
      reasons.push({
        code: "approval_not_by_user",
        subject: kind,
        message: `"${kind}" is marked approved but no person decided it`,
      });
    }
  }
  if (reasons.length === 0 && policy.approval_policy.require_independent_approval === true) {
    const independence = independenceReason(mine, head, changes.initiated_by);
    if (independence) reasons.push(independence);
  }
  return reasons;
}

/** Closed unless an approval for `head` was decided by someone other than the run's initiator. */
function independenceReason(
  approvals: readonly ApprovalRequest[],
  head: string,
  initiated_by: string | undefined,
): GateReason | null {
  const starter = initiated_by === undefined ? null : formatActor(actorOf(initiated_by));
  const deciders = approvals
    .filter((a) => a.head_sha === head && a.status === "approved" && a.resolved_by !== null)
    .map((a) => formatActor(actorOf(a.resolved_by ?? "")));
  if (starter !== null && deciders.some((d) => d !== starter)) return null;
  return {
    code: "approval_not_independent",
    subject: "approvals",
    message:
      starter === null
        ? "the policy requires an approver other than the run's initiator, and the initiator is unknown"
        : `the policy requires an approver other than ${starter}, who started the run`,
  };
}

/**
 * The pull-request gate: open only when every approval kind the changes need ({@link requiredApprovalTypes})
 * has an `approved` decision, made by a person, for the assignment's current head. Says why when closed.
 */
export function canCreatePullRequest(
  assignment: PullRequestGateSubject,
  approvals: readonly ApprovalRequest[],
  policy: ApprovalPolicySubject,
  changes: PullRequestGateChanges = { protected_paths: [] },
): Result<true, GateClosedError> {
  const reasons = pullRequestGateReasons(assignment, approvals, policy, changes);
  return reasons.length === 0
    ? ok(true)
    : err(rungateError("gate_closed", "pull_request_gate_closed", { gate: "create_pull_request", reasons }));
}
