import { okAsync, type ResultAsync } from "neverthrow";
import type { RungateError } from "../core/errors.js";
import type { CardAssignment } from "../core/schemas/card-assignment.js";
import type { OrchestrationRun } from "../core/schemas/orchestration-run.js";
import type { SystemPolicyProfile } from "../core/schemas/system-policy-profile.js";
import { diffAddedLines } from "../core/security/diff-added-lines.js";
import { type SecretFinding, scanAddedLines, secretRules } from "../core/security/secret-scan.js";
import { cardDiff } from "./card-diff.js";
import type { OrchestratorDeps } from "./deps.js";
import { secretlintAddedLines } from "./secretlint-scan.js";

/**
 * The built-in half of the `security` check (`security_policy.block_secrets`): every line the card's diff
 * adds, from its base to `head`, scanned with the built-in rules, the policy's own patterns and secretlint's
 * recommended preset. Only added
 * lines count: a secret already in the base is not this card's doing, and deleting one is not a leak.
 * Deleted files add nothing; every other file is diffed as text, so a NUL byte cannot hide one.
 */
export function scanSecrets(
  deps: OrchestratorDeps,
  run: Pick<OrchestrationRun, "worktree_root">,
  assignment: CardAssignment,
  policy: SystemPolicyProfile,
  head: string,
  signal: AbortSignal | undefined,
): ResultAsync<SecretFinding[], RungateError> {
  const rules = secretRules(policy.security_policy.secret_patterns);
  return cardDiff(deps, run, assignment, head, signal).andThen(({ clone_path, base, files, opts }) =>
    files
      .filter((f) => f.status !== "deleted")
      .reduce<ResultAsync<SecretFinding[], RungateError>>(
        (found, file) =>
          found.andThen((sofar) =>
            deps.git
              .fileDiff({ clone_path, base, head, path: file.path, text: true }, opts)
              .andThen((diff) => {
                const added = diffAddedLines(diff);
                const own = scanAddedLines(file.path, added, rules);
                // One finding per line: rungate's own rule when both name the line, secretlint's otherwise.
                return secretlintAddedLines(file.path, added).map((more) => [
                  ...sofar,
                  ...own,
                  ...more.filter((m) => !own.some((o) => o.line === m.line)),
                ]);
              }),
          ),
        okAsync([]),
      ),
  );
}
