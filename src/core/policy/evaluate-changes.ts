import { err, ok, type Result } from "neverthrow";
import { z } from "zod";
import { rungateError, type ValidationError } from "../errors.js";
import { parseInput } from "../parse.js";
import { ApprovalType } from "../schemas/approval-type.js";
import { ChangedFile } from "../schemas/changed-file.js";
import { compilePolicyPathRules, PATH_VERDICTS, PathVerdict, PathVerdictKind } from "./path-rules.js";
import { treeSafetyVerdicts } from "./tree-safety.js";

/**
 * One changed file with what the path rules said: a verdict per path it touches (`path`, and `previous_path`
 * for a rename or copy) and the worst of them as `verdict`.
 */
export const FileEvaluation = ChangedFile.extend({
  verdicts: z.array(PathVerdict).min(1),
  verdict: PathVerdictKind,
});
/** Parsed {@link FileEvaluation}. */
export type FileEvaluation = z.infer<typeof FileEvaluation>;

/**
 * The path rules' judgement of everything an agent changed. `ok` is true iff there are no `violations`
 * (verdicts `forbidden`, `outside_allowed` or `invalid_path`, one per distinct path). `protected_paths` are the
 * normalised paths judged `protected`; when there is any, `needs_approval` is the policy's
 * `approval_policy.protected_path_approval`, else `null`.
 */
export const ChangeEvaluation = z.object({
  files: z.array(FileEvaluation),
  ok: z.boolean(),
  violations: z.array(PathVerdict),
  protected_paths: z.array(z.string()),
  needs_approval: ApprovalType.nullable(),
});
/** Parsed {@link ChangeEvaluation}. */
export type ChangeEvaluation = z.infer<typeof ChangeEvaluation>;

const ChangedFiles = z.array(ChangedFile);
/** The part of a CardAssignment (or a card of a run input) the path rules read; other fields are ignored. */
const AssignmentPathLists = z.object({
  allowed_paths: z.array(z.string()),
  forbidden_paths: z.array(z.string()),
});
/** The part of a SystemPolicyProfile the path rules read; other fields are ignored. */
const PolicyPathLists = z.object({
  forbidden_paths: z.array(z.string()),
  protected_paths: z.array(z.string()),
});
const VIOLATING: ReadonlySet<PathVerdictKind> = new Set(["invalid_path", "forbidden", "outside_allowed"]);
const severity = (v: PathVerdictKind): number => PATH_VERDICTS.indexOf(v);

/** The most severe verdict: invalid_path > forbidden > outside_allowed > protected > allowed. */
function worst(verdicts: readonly PathVerdict[]): PathVerdictKind {
  return verdicts.reduce<PathVerdictKind>(
    (w, v) => (severity(v.verdict) < severity(w) ? v.verdict : w),
    "allowed",
  );
}

/** The approval a protected change needs; a policy given before parsing falls back to zod's default. */
/** Built once: a zod schema made per call is compiled again on its first parse (a cost on every evaluation). */
const ProtectedPathApproval = ApprovalType.default("protected_path_change");

function protectedApproval(policy: unknown): Result<ApprovalType, ValidationError> {
  const approvalPolicy = (policy as { approval_policy?: { protected_path_approval?: unknown } } | null)
    ?.approval_policy;
  const parsed = ProtectedPathApproval.safeParse(approvalPolicy?.protected_path_approval);
  return parsed.success
    ? ok(parsed.data)
    : err(
        rungateError("validation", "invalid_policy", {
          issues: [
            {
              path: ["policy", "approval_policy", "protected_path_approval"],
              code: "invalid_value",
              message: "must be an approval type",
            },
          ],
        }),
      );
}

/**
 * Judges what an agent ACTUALLY changed (the diff between the assignment's base and head) against the
 * assignment's path rules ({@link compilePolicyPathRules}: its allowed globs, its and the policy's forbidden
 * globs, the policy's protected globs).
 *
 * `changedFiles` is checked at this boundary: a list of {@link ChangedFile} (`previous_path` may be left out).
 * A rename or copy is judged on BOTH `path` and `previous_path`: moving a forbidden file away changes the
 * forbidden path, and copying it spreads its content. A deletion is judged like any change, so deleting a
 * protected file needs the protected-path approval and deleting outside the allowed paths is a violation.
 *
 * Like `validateRunInputAgainstPolicy`, it takes its inputs as they arrive (a stored record, parsed JSON):
 * `assignment` needs `allowed_paths` and `forbidden_paths` (a `CardAssignment` has both), `policy` needs
 * `forbidden_paths` and `protected_paths` and may name `approval_policy.protected_path_approval` (a
 * `SystemPolicyProfile` has all three); other fields are ignored.
 *
 * Fails with a `validation` error when `changedFiles` is not such a list (`invalid_changed_files`), when the
 * assignment's lists are missing or not lists of strings (`invalid_assignment`), when the policy's are, or it
 * names no usable protected-path approval (`invalid_policy`), or when a glob cannot be compiled
 * (`invalid_glob`). Never throws.
 */
export function evaluateChanges(
  changedFiles: unknown,
  assignment: unknown,
  policy: unknown,
): Result<ChangeEvaluation, ValidationError> {
  const inputs = parseInput(ChangedFiles, changedFiles, "invalid_changed_files").andThen((files) =>
    parseInput(AssignmentPathLists, assignment, "invalid_assignment").andThen((lists) =>
      parseInput(PolicyPathLists, policy, "invalid_policy").map((policyLists) => ({
        files,
        lists,
        policyLists,
      })),
    ),
  );
  return inputs.andThen(({ files, lists, policyLists }) =>
    compilePolicyPathRules(lists, policyLists).andThen((rules) =>
      protectedApproval(policy).map((approval): ChangeEvaluation => {
        const judged: FileEvaluation[] = files.map((file) => {
          const verdicts = [
            ...[file.path, ...(file.previous_path === null ? [] : [file.previous_path])].map(rules.judge),
            ...treeSafetyVerdicts(file, rules.judge),
          ];
          return { ...file, verdicts, verdict: worst(verdicts) };
        });
        const all = judged.flatMap((f) => f.verdicts);
        const violations = [
          ...new Map(all.filter((v) => VIOLATING.has(v.verdict)).map((v) => [v.path, v])).values(),
        ];
        const protectedPaths = [...new Set(all.filter((v) => v.verdict === "protected").map((v) => v.path))];
        return {
          files: judged,
          ok: violations.length === 0,
          violations,
          protected_paths: protectedPaths,
          needs_approval: protectedPaths.length > 0 ? approval : null,
        };
      }),
    ),
  );
}
