import type { ResultAsync } from "neverthrow";
import type { RungateError } from "../core/errors.js";
import { describeImportFindings } from "../core/policy/import-rules.js";
import type { CardAssignment } from "../core/schemas/card-assignment.js";
import type { OrchestrationRun } from "../core/schemas/orchestration-run.js";
import type { SystemPolicyProfile } from "../core/schemas/system-policy-profile.js";
import type { CheckRunResult } from "../ports/check-runner.js";
import { readChanges } from "./collect-changes.js";
import type { OrchestratorDeps } from "./deps.js";
import { scanImports } from "./scan-imports.js";

/**
 * The `policy` check, rungate's own: the path rules on what the card actually changed, then the
 * architecture policy's import rules on the changed files' imports. Every finding of either fails it, each on
 * its own line; nothing of it runs in the check runner, so no command can answer for it.
 */
export function policyCheck(
  deps: OrchestratorDeps,
  run: OrchestrationRun,
  assignment: CardAssignment,
  policy: SystemPolicyProfile,
  head: string,
  signal: AbortSignal | undefined,
  elapsed: () => number,
): ResultAsync<CheckRunResult, RungateError> {
  return readChanges(deps, run, assignment, policy, head, signal).andThen((evaluation) =>
    scanImports(deps, run, assignment, policy, head, signal).map((imports): CheckRunResult => {
      const problems = [
        ...evaluation.violations.map((v) => `${v.path}: ${v.verdict} (${v.rule})`),
        ...(imports.findings.length > 0 ? [describeImportFindings(imports.findings)] : []),
      ];
      const checkedImports =
        policy.architecture_policy.forbidden_imports.length > 0
          ? `; imports of ${imports.files.length} file(s) within the architecture rules`
          : "";
      return {
        status: problems.length === 0 ? "passed" : "failed",
        output:
          problems.length === 0
            ? `${evaluation.files.length} changed file(s) within the path rules${checkedImports}`
            : problems.join("\n"),
        duration_ms: elapsed(),
      };
    }),
  );
}
