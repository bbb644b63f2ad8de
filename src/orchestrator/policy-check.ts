import type { ResultAsync } from "neverthrow";
import type { RungateError } from "../core/errors.js";
import { describeImportFindings } from "../core/policy/import-rules.js";
import { describeTestIntegrityFindings } from "../core/policy/test-integrity.js";
import type { CardAssignment } from "../core/schemas/card-assignment.js";
import type { OrchestrationRun } from "../core/schemas/orchestration-run.js";
import type { SystemPolicyProfile } from "../core/schemas/system-policy-profile.js";
import type { CheckRunResult } from "../ports/check-runner.js";
import { readChanges } from "./collect-changes.js";
import type { OrchestratorDeps } from "./deps.js";
import { scanImports } from "./scan-imports.js";
import { scanTestIntegrity } from "./scan-test-integrity.js";

/**
 * The `policy` check, rungate's own: the path rules on what the card actually changed, the architecture
 * policy's import rules on the changed files' imports, and the test-integrity judgement of its test changes.
 * Every path or import finding fails it, each on its own line; a weakened test fails it when
 * `test_integrity.on_finding` is `fail`, and is listed (its `test_change` approval asked for later) when it
 * is `require_approval`. Nothing of it runs in the check runner, so no command can answer for it.
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
    scanImports(deps, run, assignment, policy, head, signal).andThen((imports) =>
      scanTestIntegrity(deps, run, assignment, policy, head, signal).map((tests): CheckRunResult => {
        const weakened = tests.length > 0 ? describeTestIntegrityFindings(tests) : null;
        const failsOnTests = weakened !== null && policy.test_integrity.on_finding === "fail";
        const problems = [
          ...evaluation.violations.map((v) => `${v.path}: ${v.verdict} (${v.rule})`),
          ...(imports.findings.length > 0 ? [describeImportFindings(imports.findings)] : []),
          ...(failsOnTests ? [weakened] : []),
        ];
        const checkedImports =
          policy.architecture_policy.forbidden_imports.length > 0
            ? `; imports of ${imports.files.length} file(s) within the architecture rules`
            : "";
        const asked =
          weakened !== null && !failsOnTests
            ? `\ntests weakened, a test_change approval will be needed:\n${weakened}`
            : "";
        return {
          status: problems.length === 0 ? "passed" : "failed",
          output:
            problems.length === 0
              ? `${evaluation.files.length} changed file(s) within the path rules${checkedImports}${asked}`
              : problems.join("\n"),
          duration_ms: elapsed(),
        };
      }),
    ),
  );
}
