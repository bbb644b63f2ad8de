import { errAsync, ok, type ResultAsync, safeTry } from "neverthrow";
import { type RungateError, rungateError } from "../core/errors.js";
import type { PullRequestCandidate } from "../core/schemas/pull-request-candidate.js";
import { transitionAssignment } from "../core/state/assignment-machine.js";
import type { OrchestratorDeps } from "./deps.js";
import { loadCard } from "./load.js";
import { effectEvents, eventDraft } from "./persist.js";
import { advanceRun, commitAdvancing } from "./transitions.js";

/**
 * Reads an assignment's PR back from the host and records what a person did there: a merge moves the
 * assignment to `merged`, a close to `closed`, a draft marked ready to `open`; each with the person the
 * host names. Observing an unchanged PR changes nothing. rungate never performs these acts itself.
 */
export function observePullRequest(
  deps: OrchestratorDeps,
  input: { readonly assignment_id: string },
  signal?: AbortSignal,
): ResultAsync<PullRequestCandidate, RungateError> {
  return safeTry<PullRequestCandidate, RungateError>(async function* () {
    const loaded = yield* loadCard(deps, input.assignment_id);
    const { run, assignment } = loaded;
    const candidate = (yield* loaded.pull_requests()).findLast((p) => p.assignment_id === assignment.id);
    if (candidate === undefined || candidate.pr_url === null) {
      return errAsync(
        rungateError("not_found", "pull_request_not_found", {
          entity: "pull request candidate of assignment",
          id: assignment.id,
        }),
      );
    }
    const hosted = yield* deps.pullRequests.getPullRequest(
      candidate.pr_url,
      signal === undefined ? {} : { signal },
    );
    if (hosted.status === candidate.status) return ok(candidate);
    const actor = { type: "pr_host" as const, id: hosted.decided_by ?? deps.pullRequests.name };
    const updated: PullRequestCandidate = {
      ...candidate,
      status: hosted.status,
      updated_at: deps.clock.now(),
    };
    const event =
      hosted.status === "merged"
        ? ({ type: "pr_merged", actor } as const)
        : hosted.status === "closed"
          ? ({ type: "pr_closed", actor } as const)
          : null;
    const moved =
      event === null || assignment.phase !== "pr_open"
        ? null
        : yield* transitionAssignment(assignment, event, deps.clock.now());
    const { stored, advanced } = yield* commitAdvancing(
      deps,
      {
        pull_requests: [{ record: updated, expected_version: candidate.version }],
        ...(moved
          ? { assignments: [{ record: moved.assignment, expected_version: assignment.version }] }
          : {}),
        events: [
          eventDraft(deps, run, "pull_request.observed", actor, {
            assignment_id: assignment.id,
            pull_request_id: candidate.id,
            pr_url: candidate.pr_url,
            from: candidate.status,
            to: hosted.status,
            decided_by: hosted.decided_by,
          }),
          ...(moved ? effectEvents(deps, run, moved.effects, actor) : []),
        ],
      },
      loaded.state,
      actor,
    );
    if (!advanced) yield* advanceRun(deps, run.id, actor);
    return ok(stored.pull_requests[0] ?? updated);
  });
}
