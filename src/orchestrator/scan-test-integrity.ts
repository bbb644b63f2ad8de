import { errAsync, okAsync, ResultAsync } from "neverthrow";
import type { RungateError } from "../core/errors.js";
import {
  judgeTestIntegrity,
  type TestIntegrityFile,
  type TestIntegrityFinding,
} from "../core/policy/test-integrity.js";
import type { CardAssignment } from "../core/schemas/card-assignment.js";
import type { ChangedFile } from "../core/schemas/changed-file.js";
import type { OrchestrationRun } from "../core/schemas/orchestration-run.js";
import type { SystemPolicyProfile } from "../core/schemas/system-policy-profile.js";
import { cardDiff } from "./card-diff.js";
import type { OrchestratorDeps } from "./deps.js";

/** Modes whose "content" is not text a test runner reads: symlinks and submodules. */
const NOT_TEXT = new Set(["120000", "160000"]);

/**
 * What a card's diff did to its tests (`test_integrity`): every changed file read at the base and at `head`
 * from the clone (never the agent's worktree), judged by {@link judgeTestIntegrity}. Nothing is read when the
 * policy switched the judgement off.
 */
export function scanTestIntegrity(
  deps: OrchestratorDeps,
  run: Pick<OrchestrationRun, "worktree_root">,
  assignment: Pick<CardAssignment, "base_sha">,
  policy: Pick<SystemPolicyProfile, "test_integrity">,
  head: string,
  signal: AbortSignal | undefined,
): ResultAsync<TestIntegrityFinding[], RungateError> {
  if (!policy.test_integrity.enabled) return okAsync([]);
  return cardDiff(deps, run, assignment, head, signal).andThen(({ clone_path, base, files, opts }) => {
    const read = (ref: string, path: string | null, mode: string | null) =>
      path === null || (mode !== null && NOT_TEXT.has(mode))
        ? okAsync<string | null, RungateError>(null)
        : deps.git.fileContent({ clone_path, ref, path }, opts);
    const one = (file: ChangedFile): ResultAsync<TestIntegrityFile, RungateError> =>
      ResultAsync.combine([
        file.status === "added"
          ? okAsync(null)
          : read(base, file.previous_path ?? file.path, file.previous_mode),
        file.status === "deleted" ? okAsync(null) : read(head, file.path, file.mode),
      ]).map(([before, after]) => ({
        path: file.path,
        previous_path: file.previous_path,
        status: file.status,
        before,
        after,
      }));
    return files
      .reduce<ResultAsync<TestIntegrityFile[], RungateError>>(
        (sofar, file) => sofar.andThen((done) => one(file).map((f) => [...done, f])),
        okAsync([]),
      )
      .andThen((read) => {
        const judged = judgeTestIntegrity(read, policy.test_integrity);
        return judged.isOk() ? okAsync(judged.value) : errAsync(judged.error);
      });
  });
}
