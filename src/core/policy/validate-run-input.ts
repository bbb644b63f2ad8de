import { err, ok, type Result } from "neverthrow";
import {
  type PolicyViolation,
  type PolicyViolationError,
  rungateError,
  type ValidationError,
  type ViolationCode,
} from "../errors.js";
import { parseInput, toFieldIssues } from "../parse.js";
import type { ApprovalType } from "../schemas/approval-type.js";
import { isRunCheckType, type RunCheckType } from "../schemas/check-type.js";
import { type CardInput, RunInput } from "../schemas/run-input.js";
import { SystemPolicyProfile } from "../schemas/system-policy-profile.js";
import {
  checkBranchName,
  defaultFeatureBranch,
  featureBranchProblem,
  plainBranchProblem,
} from "./branch-names.js";
import { compileImportRules } from "./import-rules.js";
import { normaliseGlob } from "./path-normalise.js";
import { globCoveredBy, globsMayOverlap } from "./path-rules.js";
import { repoUrlProblem } from "./repo-url.js";

/** A card after validation: normalised globs, the policy's forbidden globs merged in, its branch resolved. */
export interface ValidatedCard extends CardInput {
  /** Normalised allowed globs. */
  readonly allowed_paths: string[];
  /** The card's own forbidden globs plus the policy's, normalised, without duplicates. */
  readonly forbidden_paths: string[];
  /** The branch this card's agent commits to. */
  readonly feature_branch: string;
  /** Protected globs of the policy that this card's allowed globs may reach. */
  readonly reaches_protected_paths: string[];
}

/**
 * Something valid that may not do what its author meant, reported beside a validated run input:
 * `allowed_overlaps_forbidden` names an allowed glob of a card that a forbidden glob cuts into (`src/**` with
 * `src/secret/**`): paths under both stay forbidden.
 */
export interface PolicyWarning {
  readonly code: "allowed_overlaps_forbidden";
  /** Where the warned-about value is, e.g. `["cards", 0, "allowed_paths", 1]`. */
  readonly path: readonly (string | number)[];
  readonly value: unknown;
  /** The other rule involved (the forbidden glob). */
  readonly rule: string;
  readonly message: string;
}

/** A run input that passed every rule of the policy, with what the rules resolved. */
export interface ValidatedRunInput {
  /** What passed but may surprise (see {@link PolicyWarning}); empty when nothing does. */
  readonly warnings: PolicyWarning[];
  /** The parsed input, as given (defaults applied). */
  readonly input: RunInput;
  /** The parsed policy it was validated against. */
  readonly policy: SystemPolicyProfile;
  /** The checks this run executes: the planned ones, which include every required one. */
  readonly planned_checks: RunCheckType[];
  /** The cards, resolved. */
  readonly cards: ValidatedCard[];
}

type Path = readonly (string | number)[];

const MESSAGES: { readonly [C in ViolationCode]: (at: string, rule: string) => string } = {
  invalid_input: (at, rule) => `${at}: ${rule}`,
  project_mismatch: (at, rule) => `${at} is not the policy's project (${rule})`,
  scope_workflow_requires_workflow_id: (at) => `${at} is required when scope is "workflow"`,
  scope_workflow_forbids_card_id: (at) => `${at} must be null when scope is "workflow"`,
  scope_card_requires_card_id: (at) => `${at} is required when scope is "card"`,
  scope_card_requires_one_card: (at, rule) => `${at}: scope "card" runs exactly one card (${rule})`,
  card_id_mismatch: (at, rule) => `${at} must be the run's card_id ${rule}`,
  duplicate_card: (at, rule) => `${at}: card ${rule} appears more than once`,
  unknown_check_type: (at, rule) => `${at} is not a check type (known: ${rule})`,
  required_check_missing: (at, rule) => `${at} leaves out the required check "${rule}"`,
  invalid_path: (at, rule) => `${at} is not a safe repository path (${rule})`,
  invalid_glob: (at, rule) => `${at} is not a usable glob (${rule})`,
  allowed_path_forbidden: (at, rule) => `${at} is entirely inside the forbidden glob "${rule}"`,
  protected_path_without_approval: (at, rule) =>
    `${at} may reach the protected glob ${rule}; plan that approval in planned_approvals`,
  invalid_branch_name: (at, rule) => `${at} is a branch name git refuses (${rule})`,
  unsafe_branch_name: (at, rule) => `${at} carries characters rungate refuses in branch names (${rule})`,
  duplicate_branch: (at, rule) => `${at}: branch "${rule}" is used by more than one card`,
  invalid_repo_url: (at, rule) => `${at} ${rule}`,
  branch_not_plain: (at, rule) => `${at} must be a plain branch name (${rule})`,
  feature_branch_is_base: (at, rule) =>
    `${at} is the run's base branch "${rule}": a card never commits to its base`,
  feature_branch_protected: (at, rule) =>
    `${at} is a protected branch (matches "${rule}" in the policy's protected_branches): only a person's merge moves it`,
  required_checks_empty: (at) =>
    `${at} is empty: a policy must require at least one check (nothing would stand between an agent and approval)`,
  duplicate_required_check: (at, rule) => `${at}: the check "${rule}" is required more than once`,
  workflow_requires_integration: (at) =>
    `${at} must include "integration" for a workflow run: its cards change the code together, so their combination is tested`,
  unsupported_policy_field: (at, rule) =>
    `${at} is not enforced by rungate yet (${rule}); remove it rather than rely on it`,
};

function violation(code: ViolationCode, path: Path, value: unknown, rule: string): PolicyViolation {
  const at = path.reduce<string>(
    (acc, s) => (typeof s === "number" ? `${acc}[${s}]` : acc ? `${acc}.${s}` : s),
    "",
  );
  return { code, path, value, rule, message: MESSAGES[code](at || "(input)", rule) };
}

/** Safety of every glob in a list; returns the normalised ones with their index (bad ones are reported and dropped). */
function normaliseGlobs(
  globs: readonly string[],
  path: Path,
  out: PolicyViolation[],
): { glob: string; index: number }[] {
  const good: { glob: string; index: number }[] = [];
  globs.forEach((glob, index) => {
    const n = normaliseGlob(glob);
    if (n.isOk()) good.push({ glob: n.value, index });
    else {
      const code = n.error.code === "unbalanced" ? "invalid_glob" : "invalid_path";
      out.push(violation(code, [...path, index], glob, n.error.code));
    }
  });
  return good;
}

const globsOf = (entries: readonly { glob: string }[]): string[] => entries.map((e) => e.glob);

function checkBranch(name: string, path: Path, out: PolicyViolation[]): void {
  const r = checkBranchName(name);
  if (r.isErr()) out.push(violation(r.error.code, path, name, r.error.rule));
}

function scopeViolations(input: RunInput): PolicyViolation[] {
  const out: PolicyViolation[] = [];
  if (input.scope === "workflow") {
    if (input.workflow_id === null)
      out.push(violation("scope_workflow_requires_workflow_id", ["workflow_id"], null, "scope=workflow"));
    if (input.card_id !== null)
      out.push(violation("scope_workflow_forbids_card_id", ["card_id"], input.card_id, "scope=workflow"));
  } else {
    if (input.card_id === null)
      out.push(violation("scope_card_requires_card_id", ["card_id"], null, "scope=card"));
    if (input.cards.length !== 1) {
      out.push(
        violation(
          "scope_card_requires_one_card",
          ["cards"],
          input.cards.length,
          `${input.cards.length} given`,
        ),
      );
    }
    input.cards.forEach((card, i) => {
      if (input.card_id !== null && card.card_id !== input.card_id) {
        out.push(violation("card_id_mismatch", ["cards", i, "card_id"], card.card_id, input.card_id));
      }
    });
  }
  return out;
}

/** The policy's own rules: at least one required check, none listed twice, no field rungate cannot enforce. */
function requiredCheckViolations(policy: SystemPolicyProfile): PolicyViolation[] {
  const out: PolicyViolation[] = [];
  if (policy.required_checks.length === 0) {
    out.push(violation("required_checks_empty", ["policy", "required_checks"], [], "at least one"));
  }
  // Import rules are compiled here so that an unusable glob is refused before anything runs.
  const imports = compileImportRules(policy.architecture_policy.forbidden_imports);
  if (imports.isErr()) {
    for (const issue of imports.error.detail.issues) {
      out.push(violation("invalid_glob", ["policy", ...issue.path], undefined, issue.message));
    }
  }
  policy.required_checks.forEach((check, i) => {
    if (policy.required_checks.indexOf(check) !== i) {
      out.push(violation("duplicate_required_check", ["policy", "required_checks", i], check, check));
    }
  });
  return out;
}

function checkPlan(input: RunInput, policy: SystemPolicyProfile, out: PolicyViolation[]): RunCheckType[] {
  if (input.planned_checks === null) return [...new Set(policy.required_checks)];
  const planned: RunCheckType[] = [];
  input.planned_checks.forEach((name, i) => {
    if (isRunCheckType(name)) planned.push(name);
    else
      out.push(
        violation(
          "unknown_check_type",
          ["planned_checks", i],
          name,
          "dependency, security, policy, lint, unit, integration, e2e",
        ),
      );
  });
  for (const required of new Set(policy.required_checks)) {
    if (!planned.includes(required))
      out.push(violation("required_check_missing", ["planned_checks"], input.planned_checks, required));
  }
  return [...new Set(planned)];
}

/** The most `allowed_overlaps_forbidden` warnings one allowed glob gets (the first forbidden globs, in order). */
const MAX_OVERLAP_WARNINGS = 10;

function checkCard(
  card: CardInput,
  i: number,
  policyGlobs: { forbidden: string[]; protected: string[] },
  protectedApproval: ApprovalType,
  { base, protected_branches }: { readonly base: string; readonly protected_branches: readonly string[] },
  out: PolicyViolation[],
  warnings: PolicyWarning[],
): ValidatedCard {
  const at: Path = ["cards", i];
  const allowedEntries = normaliseGlobs(card.allowed_paths, [...at, "allowed_paths"], out);
  const allowed = globsOf(allowedEntries);
  const forbidden = [
    ...new Set([
      ...globsOf(normaliseGlobs(card.forbidden_paths, [...at, "forbidden_paths"], out)),
      ...policyGlobs.forbidden,
    ]),
  ];
  for (const { glob, index } of allowedEntries) {
    const cover = globCoveredBy(glob, forbidden);
    if (cover !== null) {
      out.push(violation("allowed_path_forbidden", [...at, "allowed_paths", index], glob, cover));
      continue;
    }
    // Bounded: a policy of many deny-anywhere globs (`**/x`) overlaps every allowed glob.
    for (const cut of forbidden.filter((f) => globsMayOverlap(glob, f)).slice(0, MAX_OVERLAP_WARNINGS)) {
      warnings.push({
        code: "allowed_overlaps_forbidden",
        path: [...at, "allowed_paths", index],
        value: glob,
        rule: cut,
        message: `cards[${i}].allowed_paths[${index}] "${glob}" overlaps the forbidden glob "${cut}": paths under both stay forbidden`,
      });
    }
  }
  const reaches = policyGlobs.protected.filter((p) => allowed.some((a) => globsMayOverlap(a, p)));
  if (reaches.length > 0 && !card.planned_approvals.includes(protectedApproval)) {
    out.push(
      violation(
        "protected_path_without_approval",
        [...at, "planned_approvals"],
        card.planned_approvals,
        `"${reaches.join('", "')}" (needs "${protectedApproval}")`,
      ),
    );
  }
  const branch = card.feature_branch ?? defaultFeatureBranch(card.card_id);
  checkBranch(branch, [...at, "feature_branch"], out);
  const role = featureBranchProblem(branch, base, protected_branches);
  if (role !== null) out.push(violation(role.code, [...at, "feature_branch"], branch, role.rule));
  return {
    ...card,
    allowed_paths: allowed,
    forbidden_paths: forbidden,
    feature_branch: branch,
    reaches_protected_paths: reaches,
  };
}

/**
 * Judges a run input against a project's {@link SystemPolicyProfile} before anything runs, and returns
 * every violation at once (each with a machine code, the offending value, the field path and the rule):
 * project mismatch, scope rules (`workflow` needs `workflow_id`, no `card_id`, and a policy that requires the
 * `integration` check; `card` needs `card_id` and exactly that one card), duplicate cards, unknown check types and required checks left out of the
 * plan, unsafe paths and globs (absolute, `..`, NUL, backslash, negation), allowed globs that are forbidden
 * anyway, protected globs reached without planning the approval the policy names, branch names git refuses
 * or that carry shell metacharacters, duplicate branches, a feature branch that is not plain (`refs/…`), is
 * the base branch or matches the policy's `protected_branches` (all compared case-insensitively), unsafe
 * repository URLs, a policy that requires no check or the same check twice, and globs with an unbalanced
 * `[`, `{` or `(`. An allowed glob that a forbidden glob cuts into passes, with a warning in `warnings`.
 *
 * Fails with `validation` (code `invalid_policy`) when the policy itself does not parse, and with
 * `policy_violation` otherwise. Never throws.
 */
export function validateRunInputAgainstPolicy(
  input: unknown,
  policy: unknown,
): Result<ValidatedRunInput, PolicyViolationError | ValidationError> {
  const parsedPolicy = parseInput(SystemPolicyProfile, policy, "invalid_policy");
  if (parsedPolicy.isErr()) return err(parsedPolicy.error);
  const pol = parsedPolicy.value;

  const parsed = RunInput.safeParse(input);
  if (!parsed.success) {
    const violations = toFieldIssues(parsed.error).map((issue) =>
      violation("invalid_input", issue.path, undefined, issue.message),
    );
    return err(rungateError("policy_violation", "run_input_rejected", { violations }));
  }
  const run = parsed.data;
  const out: PolicyViolation[] = [];

  if (run.project_id !== pol.project_id)
    out.push(violation("project_mismatch", ["project_id"], run.project_id, pol.project_id));
  out.push(...scopeViolations(run));
  const urlProblem = repoUrlProblem(run.repo_url);
  if (urlProblem !== null) out.push(violation("invalid_repo_url", ["repo_url"], run.repo_url, urlProblem));
  checkBranch(run.base_branch, ["base_branch"], out);
  const basePlain = plainBranchProblem(run.base_branch);
  if (basePlain !== null)
    out.push(violation(basePlain.code, ["base_branch"], run.base_branch, basePlain.rule));
  out.push(...requiredCheckViolations(pol));
  // The domain reference's rule: cards of one workflow land together, so the policy must test them together.
  if (run.scope === "workflow" && !pol.required_checks.includes("integration")) {
    out.push(
      violation(
        "workflow_requires_integration",
        ["policy", "required_checks"],
        pol.required_checks,
        "integration",
      ),
    );
  }
  const planned_checks = checkPlan(run, pol, out);
  const warnings: PolicyWarning[] = [];

  const policyGlobs = {
    forbidden: globsOf(normaliseGlobs(pol.forbidden_paths, ["policy", "forbidden_paths"], out)),
    protected: globsOf(normaliseGlobs(pol.protected_paths, ["policy", "protected_paths"], out)),
  };
  const seenCards = new Set<string>();
  const seenBranches = new Set<string>();
  const cards = run.cards.map((card, i) => {
    if (seenCards.has(card.card_id))
      out.push(violation("duplicate_card", ["cards", i, "card_id"], card.card_id, card.card_id));
    seenCards.add(card.card_id);
    const branches = { base: run.base_branch, protected_branches: pol.protected_branches };
    const checked = checkCard(
      card,
      i,
      policyGlobs,
      pol.approval_policy.protected_path_approval,
      branches,
      out,
      warnings,
    );
    if (seenBranches.has(checked.feature_branch)) {
      out.push(
        violation(
          "duplicate_branch",
          ["cards", i, "feature_branch"],
          checked.feature_branch,
          checked.feature_branch,
        ),
      );
    }
    seenBranches.add(checked.feature_branch);
    return checked;
  });

  return out.length > 0
    ? err(rungateError("policy_violation", "run_input_rejected", { violations: out }))
    : ok({ input: run, policy: pol, planned_checks, cards, warnings });
}
