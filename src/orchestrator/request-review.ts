import { okAsync, type ResultAsync } from "neverthrow";
import type { RungateError } from "../core/errors.js";
import { actorOf } from "../core/schemas/actor-id.js";
import type { ApprovalRequest } from "../core/schemas/approval-request.js";
import type { CardAssignment } from "../core/schemas/card-assignment.js";
import type { OrchestrationRun } from "../core/schemas/orchestration-run.js";
import type { SystemPolicyProfile } from "../core/schemas/system-policy-profile.js";
import type { OrchestratorDeps } from "./deps.js";
import { commit, eventDraft, systemActor } from "./persist.js";

/**
 * Asks for a review of a freshly drafted PR on the host, when the host can (`requestReview`): the people who
 * approved the head in rungate (the policy's `pr_reviewers.request_approvers`) and the policy's teams, with
 * the policy's `pr_labels`. Best effort: the PR exists either way, and what the host refused (an approver who
 * is no host login, a team it does not know) is recorded as `pull_request.review_not_requested`; what it took
 * as `pull_request.review_requested`.
 */
export function requestPullRequestReview(
  deps: OrchestratorDeps,
  run: Pick<OrchestrationRun, "id" | "project_id">,
  assignment: Pick<CardAssignment, "id" | "head_sha">,
  policy: Pick<SystemPolicyProfile, "approval_policy">,
  approvals: readonly ApprovalRequest[],
  url: string,
): ResultAsync<void, RungateError> {
  const ask = deps.pullRequests.requestReview?.bind(deps.pullRequests);
  const { pr_reviewers, pr_labels } = policy.approval_policy;
  const reviewers = pr_reviewers.request_approvers
    ? [
        ...new Set(
          approvals
            .filter(
              (a) =>
                a.assignment_id === assignment.id &&
                a.head_sha === assignment.head_sha &&
                a.status === "approved" &&
                a.resolved_by !== null,
            )
            .map((a) => actorOf(a.resolved_by ?? ""))
            .filter((actor) => actor.type === "user")
            .map((actor) => actor.id),
        ),
      ].sort()
    : [];
  if (ask === undefined || reviewers.length + pr_reviewers.teams.length + pr_labels.length === 0) {
    return okAsync(undefined);
  }
  const input = { url, reviewers, team_reviewers: [...pr_reviewers.teams], labels: [...pr_labels] };
  const asked = {
    assignment_id: assignment.id,
    pr_url: url,
    reviewers: input.reviewers,
    team_reviewers: input.team_reviewers,
    labels: input.labels,
  };
  return ask(input)
    .map(() => eventDraft(deps, run, "pull_request.review_requested", systemActor(deps), asked))
    .orElse((error) =>
      error.kind === "cancelled"
        ? okAsync(null)
        : okAsync(
            eventDraft(deps, run, "pull_request.review_not_requested", systemActor(deps), {
              ...asked,
              reason: error.message,
            }),
          ),
    )
    .andThen((event) =>
      event === null ? okAsync(undefined) : commit(deps, { events: [event] }).map(() => undefined),
    );
}
