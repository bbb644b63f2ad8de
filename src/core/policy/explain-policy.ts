import { err, ok, type Result } from "neverthrow";
import { z } from "zod";
import type { PolicyViolation, ValidationError } from "../errors.js";
import { requiredApprovalTypes } from "../gates/pull-request-gate.js";
import { parseInput } from "../parse.js";
import type { ApprovalType } from "../schemas/approval-type.js";
import { ChangedFile } from "../schemas/changed-file.js";
import type { RunCheckType } from "../schemas/check-type.js";
import { SystemPolicyProfile } from "../schemas/system-policy-profile.js";
import { dependencyManifestPaths } from "./dependency-manifests.js";
import { normaliseRepoPath } from "./path-normalise.js";
import {
  compileGlobMatcher,
  compilePolicyPathRules,
  type GlobMatcher,
  NO_ALLOWED_MATCH,
  PATH_VERDICTS,
  type PathVerdict,
  type PathVerdictKind,
} from "./path-rules.js";
import { treeSafetyVerdicts } from "./tree-safety.js";
import { type PolicyWarning, validateRunInputAgainstPolicy } from "./validate-run-input.js";

/** Where a glob in an explanation comes from. */
export type ExplainedRuleSource = "card" | "policy";

/** One glob of the rules that applied to a path, and whether it matched. */
export interface ExplainedRule {
  /** Which list the glob is in. */
  readonly list: "forbidden" | "allowed" | "protected";
  /** The card's own rules or the policy's. */
  readonly source: ExplainedRuleSource;
  readonly glob: string;
  readonly matched: boolean;
}

/** How the rules judged one path, rule by rule. */
export interface PathExplanation {
  /** The path, normalised (or as given when it is not a safe repository path). */
  readonly path: string;
  /** The final verdict, as {@link evaluateChanges} gives it. */
  readonly verdict: PathVerdictKind;
  /** The rule that decided: a glob, a path issue code, {@link NO_ALLOWED_MATCH} or a tree-safety rule. */
  readonly decided_by: string;
  /** Why, in a sentence. */
  readonly message: string;
  /** Every glob tried, in the order the rules try them (forbidden, allowed, protected), and whether it matched. */
  readonly rules: ExplainedRule[];
  /**
   * The verdict of the globs alone, before the kind of change is considered: a submodule at a protected path
   * is `forbidden`, and its change would still need the protected-path approval.
   */
  readonly rules_verdict: PathVerdictKind;
  /** For a changed file: what its kind of change added (a `.git` path, a submodule, a symlink's target). */
  readonly tree_safety: PathVerdict[];
}

/** An approval a run would need, and why. */
export interface ExplainedApproval {
  readonly approval_type: ApprovalType;
  readonly because: string;
}

/** What {@link explainPolicy} says. */
export interface PolicyExplanation {
  /** The checks that must pass before any approval is requested (the `policy` check always among them). */
  readonly checks: RunCheckType[];
  /** Per path: which rule decided, and why. */
  readonly paths: PathExplanation[];
  /** The approvals a draft PR of these changes would need, each with its reason. */
  readonly approvals: ExplainedApproval[];
  /** For a run input: every rule it breaks (empty when it would be accepted). */
  readonly violations: PolicyViolation[];
  /** For a run input: what passes but may surprise. */
  readonly warnings: PolicyWarning[];
}

const Globs = z.array(z.string());

/**
 * What to explain: `paths` (plain repository paths, judged as modified files), `diff` (changed files, as the
 * git port reports them, judged as {@link evaluateChanges} judges them), or `run_input` (a whole run input:
 * its violations and warnings, its checks, and its cards' rules). `allowed_paths` and `forbidden_paths` are
 * the card's own globs for `paths` and `diff` (default: everything allowed, nothing more forbidden).
 */
export const ExplainSubject = z.union([
  z.object({
    paths: z.array(z.string()),
    allowed_paths: Globs.default(["**"]),
    forbidden_paths: Globs.default([]),
  }),
  z.object({
    diff: z.array(ChangedFile),
    allowed_paths: Globs.default(["**"]),
    forbidden_paths: Globs.default([]),
  }),
  z.object({ run_input: z.unknown() }),
]);
/** What a host may pass as {@link ExplainSubject}. */
export type ExplainSubjectInput = z.input<typeof ExplainSubject>;

/** A path given on its own is explained as a modified regular file. */
const PLAIN_CHANGE: Omit<ChangedFile, "path"> = {
  status: "modified",
  previous_path: null,
  mode: null,
  previous_mode: null,
  symlink_target: null,
  path_bytes: null,
  previous_path_bytes: null,
};

interface Tried {
  readonly list: ExplainedRule["list"];
  readonly source: ExplainedRuleSource;
  readonly matcher: GlobMatcher;
}

/** Compiles every glob of the card and the policy on its own, so that each can say whether it matched. */
function compileEach(
  card: { readonly allowed_paths: readonly string[]; readonly forbidden_paths: readonly string[] },
  policy: SystemPolicyProfile,
): Tried[] {
  const lists: [ExplainedRule["list"], ExplainedRuleSource, readonly string[], boolean][] = [
    ["forbidden", "card", card.forbidden_paths, true],
    ["forbidden", "policy", policy.forbidden_paths, true],
    ["allowed", "card", card.allowed_paths, false],
    ["protected", "policy", policy.protected_paths, true],
  ];
  return lists.flatMap(([list, source, globs, nocase]) =>
    globs.flatMap((glob) => {
      const matcher = compileGlobMatcher(glob, { nocase });
      // Unusable globs were refused when the rules were compiled as a whole, before this runs.
      return matcher.isOk() ? [{ list, source, matcher: matcher.value }] : [];
    }),
  );
}

/**
 * The verdict of one path, decided again from the rule-by-rule matches (forbidden wins, then no allowed match,
 * then protected), so the explanation shows its own reasoning; a property test holds it to
 * {@link evaluateChanges}.
 */
function explainOnePath(
  path: string,
  tried: readonly Tried[],
): Omit<PathExplanation, "tree_safety" | "rules_verdict"> {
  const normalised = normaliseRepoPath(path);
  if (normalised.isErr()) {
    return {
      path,
      verdict: "invalid_path",
      decided_by: normalised.error.code,
      message: `${JSON.stringify(path)} is not a safe repository path: ${normalised.error.message}`,
      rules: [],
    };
  }
  const p = normalised.value;
  const rules = tried.map((t) => ({
    list: t.list,
    source: t.source,
    glob: t.matcher.glob,
    matched: t.matcher.test(p),
  }));
  const first = (list: ExplainedRule["list"]) => rules.find((r) => r.list === list && r.matched);
  const denied = first("forbidden");
  if (denied) {
    return {
      path: p,
      verdict: "forbidden",
      decided_by: denied.glob,
      message: `forbidden by the ${denied.source}'s glob ${JSON.stringify(denied.glob)}: forbidden globs win over everything`,
      rules,
    };
  }
  const allowed = first("allowed");
  if (!allowed) {
    return {
      path: p,
      verdict: "outside_allowed",
      decided_by: NO_ALLOWED_MATCH,
      message: "no allowed glob of the card matches it",
      rules,
    };
  }
  const guarded = first("protected");
  return guarded
    ? {
        path: p,
        verdict: "protected",
        decided_by: guarded.glob,
        message: `allowed by ${JSON.stringify(allowed.glob)}, but the protected glob ${JSON.stringify(guarded.glob)} matches: a change needs the protected-path approval`,
        rules,
      }
    : {
        path: p,
        verdict: "allowed",
        decided_by: allowed.glob,
        message: `allowed by ${JSON.stringify(allowed.glob)}; no forbidden or protected glob matches`,
        rules,
      };
}

const severity = (v: PathVerdictKind): number => PATH_VERDICTS.indexOf(v);

/** Explains a changed file: both of a rename's paths, and what its kind of change adds, worst verdict first. */
function explainFile(
  file: ChangedFile,
  tried: readonly Tried[],
  judge: (path: string) => PathVerdict,
): PathExplanation[] {
  const safety = treeSafetyVerdicts(file, judge);
  const paths = [file.path, ...(file.previous_path === null ? [] : [file.previous_path])];
  return paths.map((path, i) => {
    const own = explainOnePath(path, tried);
    // Tree-safety verdicts name the file's `path`; they belong to its first explanation.
    const extra = i === 0 ? safety : [];
    const worse = extra.find((v) => severity(v.verdict) < severity(own.verdict));
    const base = { ...own, rules_verdict: own.verdict, tree_safety: extra };
    return worse === undefined
      ? base
      : { ...base, verdict: worse.verdict, decided_by: worse.rule, message: worse.message };
  });
}

/** The approvals a set of explained paths needs, each with its reason. */
function approvalsFor(policy: SystemPolicyProfile, paths: readonly PathExplanation[]): ExplainedApproval[] {
  const protectedPaths = [
    ...new Set(paths.filter((p) => p.rules_verdict === "protected").map((p) => p.path)),
  ];
  const manifests = dependencyManifestPaths(paths.map((p) => p.path));
  return requiredApprovalTypes(policy, {
    protected_paths: protectedPaths,
    files: paths.map((p) => ({ path: p.path })),
  }).map((approval_type) => ({
    approval_type,
    because:
      approval_type === "create_pr"
        ? "every draft PR needs a person's create_pr approval"
        : policy.approval_policy.required_approvals.includes(approval_type)
          ? "the policy's approval_policy.required_approvals names it"
          : approval_type === policy.approval_policy.protected_path_approval && protectedPaths.length > 0
            ? `protected paths change: ${protectedPaths.join(", ")}`
            : `dependency manifests change and dependency_policy.require_approval_for_changes is on: ${manifests.join(", ")}`,
  }));
}

const checksOf = (policy: SystemPolicyProfile, planned: readonly RunCheckType[]): RunCheckType[] => [
  ...new Set<RunCheckType>([...policy.required_checks, ...planned, "policy"]),
];

/**
 * Explains a policy on a subject ({@link ExplainSubject}): per path, every glob tried and which one decided
 * and why; the checks that must pass; the approvals a draft PR would need, each with its reason; and, for a
 * run input, every violation and warning {@link validateRunInputAgainstPolicy} reports (an input the policy
 * refuses is explained, not an error). Pure: no I/O, nothing stored. Its verdicts are the ones
 * {@link evaluateChanges} reaches (held to it by a property test).
 *
 * Fails with a `validation` error when the policy or the subject does not parse (`invalid_policy`,
 * `invalid_input`) or a glob cannot be compiled (`invalid_glob`). Never throws.
 *
 * @example
 * explainPolicy(policy, { paths: ["src/db/schema.sql", ".env"], allowed_paths: ["src/**"] })
 */
export function explainPolicy(policy: unknown, subject: unknown): Result<PolicyExplanation, ValidationError> {
  return parseInput(SystemPolicyProfile, policy, "invalid_policy").andThen((pol) =>
    parseInput(ExplainSubject, subject, "invalid_input").andThen((what) => {
      if ("run_input" in what) return explainRunInput(pol, what.run_input);
      const card = { allowed_paths: what.allowed_paths, forbidden_paths: what.forbidden_paths };
      return compilePolicyPathRules(card, pol).map((compiled) => {
        const tried = compileEach(card, pol);
        const files: ChangedFile[] =
          "diff" in what ? what.diff : what.paths.map((path) => ({ ...PLAIN_CHANGE, path }));
        const paths = files.flatMap((f) => explainFile(f, tried, compiled.judge));
        return {
          checks: checksOf(pol, []),
          paths,
          approvals: approvalsFor(pol, paths),
          violations: [],
          warnings: [],
        };
      });
    }),
  );
}

/** A run input: its violations, or its cards' planned checks and the approvals each card plans. */
function explainRunInput(
  policy: SystemPolicyProfile,
  input: unknown,
): Result<PolicyExplanation, ValidationError> {
  const validated = validateRunInputAgainstPolicy(input, policy);
  if (validated.isErr()) {
    const e = validated.error;
    if (e.kind !== "policy_violation") return err(e);
    return ok({
      checks: checksOf(policy, []),
      paths: [],
      approvals: [],
      violations: [...e.detail.violations],
      warnings: [],
    });
  }
  const v = validated.value;
  const reaches = [...new Set(v.cards.flatMap((c) => c.reaches_protected_paths))];
  const approvals = requiredApprovalTypes(policy, { protected_paths: reaches }).map((approval_type) => ({
    approval_type,
    because:
      approval_type === "create_pr"
        ? "every draft PR needs a person's create_pr approval"
        : approval_type === policy.approval_policy.protected_path_approval && reaches.length > 0
          ? `a card's allowed globs may reach the protected globs ${reaches.join(", ")} (needed only if such a path changes)`
          : "the policy's approval_policy.required_approvals names it",
  }));
  return ok({
    checks: checksOf(policy, v.planned_checks),
    paths: [],
    approvals,
    violations: [],
    warnings: v.warnings,
  });
}
