import { okAsync, type ResultAsync } from "neverthrow";
import type { RungateError } from "../core/errors.js";
import { type ApprovalContentFile, approvalContentDigest } from "../core/gates/approval-content.js";
import { newestChecksOfHead } from "../core/gates/latest.js";
import type { CardAssignment } from "../core/schemas/card-assignment.js";
import type { OrchestrationRun } from "../core/schemas/orchestration-run.js";
import type { RunCheck } from "../core/schemas/run-check.js";
import { cardDiff } from "./card-diff.js";
import type { OrchestratorDeps } from "./deps.js";

/**
 * The content digest of a card at `head` ({@link approvalContentDigest}): its base, every changed file with
 * its diff read from the clone, the final results of the checks on `head`, and the run's policy snapshot hash.
 */
export function approvalDigestAt(
  deps: OrchestratorDeps,
  run: Pick<OrchestrationRun, "worktree_root" | "snapshot_hashes">,
  assignment: CardAssignment,
  head: string,
  checks: readonly RunCheck[],
): ResultAsync<string, RungateError> {
  // The latest result per check type: a retried flaky check counts once, with its final word.
  const mine = newestChecksOfHead(checks, assignment.id, head);
  return cardDiff(deps, run, assignment, head, undefined).andThen(({ clone_path, base, files, opts }) =>
    files
      .reduce<ResultAsync<ApprovalContentFile[], RungateError>>(
        (sofar, file) =>
          sofar.andThen((done) =>
            deps.git.fileDiff({ clone_path, base, head, path: file.path, text: true }, opts).map((diff) => [
              ...done,
              {
                path: file.path,
                previous_path: file.previous_path,
                status: file.status,
                mode: file.mode,
                diff,
              },
            ]),
          ),
        okAsync([]),
      )
      .map((content) =>
        approvalContentDigest({
          base_sha: assignment.base_sha,
          files: content,
          checks: mine.map((c) => ({ check_type: c.check_type, status: c.status })),
          policy_snapshot_hash: run.snapshot_hashes?.system_policy ?? null,
        }),
      ),
  );
}
