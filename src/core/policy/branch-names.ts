import { err, ok, type Result } from "neverthrow";
import picomatch from "picomatch";

/**
 * Why a branch name was refused: `invalid_branch_name` when git itself refuses it, `unsafe_branch_name` when
 * git would accept it but rungate does not (see {@link checkBranchName}). `rule` names the broken rule.
 */
export interface BranchNameIssue {
  /** Machine code. */
  readonly code: "invalid_branch_name" | "unsafe_branch_name";
  /** Human sentence naming the branch and the rule. */
  readonly message: string;
  /** The broken rule, short, e.g. `no ".."`. */
  readonly rule: string;
}

interface BranchRule {
  /** Short name of the rule. */
  readonly rule: string;
  /** True when `name` breaks the rule. */
  readonly broken: (name: string) => boolean;
}

const components = (name: string): string[] => name.split("/");

/**
 * `git check-ref-format --branch` as data (see git-check-ref-format(1)); a branch name is checked as
 * `refs/heads/<name>`, so one level is fine. The first broken rule is reported.
 */
const GIT_RULES: readonly BranchRule[] = [
  { rule: "not empty", broken: (n) => n.length === 0 },
  { rule: 'not exactly "@"', broken: (n) => n === "@" },
  { rule: 'not "HEAD"', broken: (n) => n === "HEAD" },
  { rule: 'no leading "-"', broken: (n) => n.startsWith("-") },
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what git refuses.
  { rule: "no control characters or spaces", broken: (n) => /[\u0000-\u0020\u007f]/.test(n) },
  { rule: 'no "~", "^" or ":"', broken: (n) => /[~^:]/.test(n) },
  { rule: 'no "?", "*" or "["', broken: (n) => /[?*[]/.test(n) },
  { rule: 'no "\\"', broken: (n) => n.includes("\\") },
  { rule: 'no ".."', broken: (n) => n.includes("..") },
  { rule: 'no "@{"', broken: (n) => n.includes("@{") },
  { rule: 'not starting or ending with "/"', broken: (n) => n.startsWith("/") || n.endsWith("/") },
  { rule: 'no "//"', broken: (n) => n.includes("//") },
  { rule: 'not ending with "."', broken: (n) => n.endsWith(".") },
  { rule: 'no component starting with "."', broken: (n) => components(n).some((c) => c.startsWith(".")) },
  { rule: 'no component ending with ".lock"', broken: (n) => components(n).some((c) => c.endsWith(".lock")) },
];

/** The characters rungate accepts in a branch name; anything else git accepts is refused as unsafe. */
const SAFE_CHARACTERS = /^[A-Za-z0-9._/+=-]+$/;

/** What rungate refuses on top of git, as data. */
const SAFETY_RULES: readonly BranchRule[] = [
  { rule: "only [A-Za-z0-9._/+=-]", broken: (n) => !SAFE_CHARACTERS.test(n) },
  { rule: 'no leading "+"', broken: (n) => n.startsWith("+") },
];

const quote = (s: string): string => JSON.stringify(s);

/**
 * Checks a branch name and returns it unchanged when usable.
 *
 * First the rules of `git check-ref-format --branch`, code `invalid_branch_name`: not empty, not `@`, not
 * `HEAD`, no leading `-`, no ASCII control character or space, none of `~ ^ : ? * [ \`, no `..`, no `@{`, not
 * starting or ending with `/`, no `//`, not ending with `.`, no component starting with `.` or ending with
 * `.lock`.
 *
 * Then rungate's stricter rule, code `unsafe_branch_name`: a branch name ends up in commands, refspecs, URLs
 * and logs, so only `A-Z a-z 0-9 . _ / + = -` are accepted. Everything else git accepts is refused, among it
 * the shell metacharacters `` ` $ ; & | < > ( ) ' " ! # % ``, any non-ASCII letter (look-alikes) and any
 * whitespace. A leading `+` is refused too: in a push refspec it means "force".
 *
 * Fails with a {@link BranchNameIssue} naming the first broken rule. Never throws.
 */
export function checkBranchName(name: string): Result<string, BranchNameIssue> {
  if (typeof name !== "string") {
    return err({ code: "invalid_branch_name", rule: "a string", message: "the branch name is not a string" });
  }
  const invalid = GIT_RULES.find((r) => r.broken(name));
  if (invalid !== undefined) {
    return err({
      code: "invalid_branch_name",
      rule: invalid.rule,
      message: `git refuses the branch name ${quote(name)}: ${invalid.rule}`,
    });
  }
  const unsafe = SAFETY_RULES.find((r) => r.broken(name));
  if (unsafe !== undefined) {
    const offending = [...new Set([...name].filter((c) => !SAFE_CHARACTERS.test(c)))].join("");
    return err({
      code: "unsafe_branch_name",
      rule: unsafe.rule,
      message: `rungate refuses the branch name ${quote(name)}: ${unsafe.rule}${offending ? ` (found ${quote(offending)})` : ""}`,
    });
  }
  return ok(name);
}

/** Why a branch may not be a card's feature branch (see {@link featureBranchProblem}). */
export interface FeatureBranchProblem {
  readonly code: "branch_not_plain" | "feature_branch_is_base" | "feature_branch_protected";
  /** The rule broken: the `refs/` prefix, the base branch, or the protected glob matched. */
  readonly rule: string;
}

/**
 * Whether `name` is a plain branch name: not a full ref (`refs/…`), which git would read as something other
 * than `refs/heads/<name>`. Compared case-insensitively, as every branch rule here.
 */
export function plainBranchProblem(name: string): FeatureBranchProblem | null {
  return name.toLowerCase().startsWith("refs/")
    ? { code: "branch_not_plain", rule: 'no "refs/" prefix' }
    : null;
}

/**
 * Why `feature` cannot be a card's feature branch in a run on `base`, or `null`: it must be plain
 * ({@link plainBranchProblem}), differ from the base, and match none of the `protected_branches` globs, all
 * compared case-insensitively (a case variant of `main` is refused: on a case-insensitive file system or
 * host it is `main`). A card's branch is what rungate pushes; these rules make sure that is never a branch
 * only a person's merge may move.
 */
export function featureBranchProblem(
  feature: string,
  base: string,
  protected_branches: readonly string[],
): FeatureBranchProblem | null {
  const plain = plainBranchProblem(feature);
  if (plain !== null) return plain;
  if (feature.toLowerCase() === base.toLowerCase()) return { code: "feature_branch_is_base", rule: base };
  const matched = protected_branches.find((glob) =>
    picomatch.isMatch(feature, glob, { nocase: true, dot: true }),
  );
  return matched === undefined ? null : { code: "feature_branch_protected", rule: matched };
}

/** The feature branch a card's agent commits to unless the run input names one: `rungate/<cardId>`. */
export function defaultFeatureBranch(cardId: string): string {
  return `rungate/${cardId}`;
}
