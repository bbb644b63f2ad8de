import { errAsync, okAsync, type ResultAsync } from "neverthrow";
import type { RungateError } from "../core/errors.js";
import { newestChecksOfHead } from "../core/gates/latest.js";
import type { CardAssignment } from "../core/schemas/card-assignment.js";
import type { OrchestrationRun } from "../core/schemas/orchestration-run.js";
import type { RunCheck } from "../core/schemas/run-check.js";
import type { CommitStatusInput } from "../ports/pull-request-host.js";
import type { OrchestratorDeps } from "./deps.js";
import { commit, eventDraft, systemActor } from "./persist.js";

/** A check's status as a commit status: only `passed` is success; `skipped` never satisfies a required check. */
const STATE: { readonly [S in RunCheck["status"]]: CommitStatusInput["state"] } = {
  passed: "success",
  failed: "failure",
  skipped: "failure",
  error: "error",
  pending: "pending",
  running: "pending",
};

/** The commit status context of a check type: `rungate/<type>`, what branch protection requires. */
export const statusContext = (checkType: string): string => `rungate/${checkType}`;

/**
 * Mirrors the newest result of each check of `head` as a commit status on the PR host, when the host offers
 * statuses (`publishCommitStatus`): GitHub's own gate then sees what rungate's saw. Best effort: a status the
 * host refuses (the head is not pushed yet, the token may not write statuses) is recorded as a
 * `commit_status.unpublished` event and the card goes on; rungate's gates never depend on the host's copy.
 * The description says type, result and head, never a check's output.
 */
export function publishCheckStatuses(
  deps: OrchestratorDeps,
  run: Pick<OrchestrationRun, "id" | "project_id">,
  assignment: Pick<CardAssignment, "id">,
  head: string,
  checks: readonly RunCheck[],
): ResultAsync<void, RungateError> {
  const publish = deps.pullRequests.publishCommitStatus?.bind(deps.pullRequests);
  if (publish === undefined) return okAsync(undefined);
  const template = deps.options.status_target_url;
  return newestChecksOfHead(checks, assignment.id, head).reduce<ResultAsync<void, RungateError>>(
    (done, check) =>
      done.andThen(() => {
        const context = statusContext(check.check_type);
        const input: CommitStatusInput = {
          head_sha: head,
          context,
          state: STATE[check.status],
          description: `${check.check_type} ${check.status} on ${head.slice(0, 12)} (rungate)`,
          target_url:
            template === null
              ? null
              : template
                  .replaceAll("{run_id}", run.id)
                  .replaceAll("{assignment_id}", assignment.id)
                  .replaceAll("{check_type}", check.check_type),
        };
        return publish(input).orElse((error) =>
          error.kind === "cancelled"
            ? errAsync<void, RungateError>(error)
            : commit(deps, {
                events: [
                  eventDraft(deps, run, "commit_status.unpublished", systemActor(deps), {
                    assignment_id: assignment.id,
                    head_sha: head,
                    context,
                    reason: error.message,
                  }),
                ],
              }).map(() => undefined),
        );
      }),
    okAsync(undefined),
  );
}
