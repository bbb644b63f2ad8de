import { errAsync, type ResultAsync } from "neverthrow";
import { type RungateError, rungateError } from "../core/errors.js";
import type { CardAssignment } from "../core/schemas/card-assignment.js";
import type { OrchestrationRun } from "../core/schemas/orchestration-run.js";
import type { PortCallOptions } from "../ports/port-error.js";
import type { OrchestratorDeps } from "./deps.js";
import { decidedEarlierPullRequest } from "./earlier-cards.js";
import { commit, eventDraft, systemActor } from "./persist.js";

/**
 * Pushes a card's approved `head` to its feature branch on the remote, for its draft pull request: a push that
 * only creates or fast-forwards the branch. When the remote refuses (`conflict` `non_fast_forward`) because the
 * card was built again and the branch still holds an earlier run's head, the push is made once more as a lease
 * on exactly that head (`replaces_sha`), provided the earlier run's pull request was merged or closed, and an
 * `assignment.remote_branch_replaced` event records it. Any other refusal is returned as it is: a branch
 * someone moved since that earlier head, an earlier run that never pushed, a pull request still undecided.
 */
export function pushCardHead(
  deps: OrchestratorDeps,
  run: OrchestrationRun,
  assignment: CardAssignment,
  head: string,
  options: PortCallOptions,
): ResultAsync<void, RungateError> {
  const clone_path = run.worktree_root ?? "";
  const branch = assignment.feature_branch;
  return deps.git.push({ clone_path, branch, head_sha: head }, options).orElse((refused) => {
    if (refused.kind !== "conflict" || refused.code !== "non_fast_forward") return errAsync(refused);
    // Only this failure reads more: a normal lifecycle pays nothing for it.
    return decidedEarlierPullRequest(deps, run, assignment).andThen((earlier) => {
      if (earlier === null) {
        return errAsync(
          withWayOn(
            refused,
            `the remote branch ${branch} holds commits that no pull request of this card, merged or closed by a person, accounts for; review them, delete the remote branch, then create the pull request again (the card stays approved)`,
          ),
        );
      }
      const replaces_sha = earlier.head_sha;
      // The lease is the head rungate itself pushed for that PR, never what the remote says now: whatever
      // anyone pushed after it (a reviewer's fix, an agent that reached the remote) makes git refuse.
      return deps.git
        .push({ clone_path, branch, head_sha: head, replaces_sha }, options)
        .mapErr((leaseRefused) =>
          withWayOn(
            leaseRefused,
            `someone pushed to the remote branch ${branch} after pull request ${earlier.pull_request.id} was ${earlier.status} (it no longer ends at ${replaces_sha}); review those commits, delete the remote branch, then create the pull request again (the card stays approved)`,
          ),
        )
        .andThen(() =>
          commit(deps, {
            events: [
              eventDraft(deps, run, "assignment.remote_branch_replaced", systemActor(deps), {
                assignment_id: assignment.id,
                feature_branch: branch,
                replaced_sha: replaces_sha,
                head_sha: head,
                earlier_run_id: earlier.holder.run.id,
                earlier_pull_request_id: earlier.pull_request.id,
                earlier_pr_url: earlier.pull_request.pr_url,
                earlier_status: earlier.status,
              }),
            ],
          }),
        )
        .map(() => undefined);
    });
  });
}

/** A push refused as `conflict`, with what a person can do about it; any other error as it is. */
function withWayOn(error: RungateError, way_on: string): RungateError {
  return error.kind === "conflict"
    ? rungateError("conflict", error.code, { ...error.detail, way_on })
    : error;
}
