import type { RunCheckType } from "../../core/schemas/check-type.js";

/** The commit status contexts rungate publishes for a policy's required checks (`policy` always among them). */
export function requiredStatusContexts(policy: {
  readonly required_checks: readonly RunCheckType[];
}): string[] {
  return [...new Set<RunCheckType>([...policy.required_checks, "policy"])].sort().map((t) => `rungate/${t}`);
}

/**
 * The GitHub settings that make GitHub's own gate require exactly what the policy requires, in both forms
 * GitHub offers: the body of `PUT /repos/{owner}/{repo}/branches/{branch}/protection` (classic branch
 * protection) and a `required_status_checks` rule for a repository ruleset. Strict: the branch must be up to
 * date with the base, so a status on an old head cannot satisfy a new one. Reviews are required too (one
 * approving review): merging stays a person's act. rungate never applies these itself; a person with admin
 * rights does, once per protected branch.
 */
export function githubBranchProtection(policy: { readonly required_checks: readonly RunCheckType[] }) {
  const contexts = requiredStatusContexts(policy);
  return {
    branch_protection: {
      required_status_checks: { strict: true, contexts },
      enforce_admins: true,
      required_pull_request_reviews: { required_approving_review_count: 1 },
      restrictions: null,
    },
    ruleset_rule: {
      type: "required_status_checks" as const,
      parameters: {
        strict_required_status_checks_policy: true,
        required_status_checks: contexts.map((context) => ({ context })),
      },
    },
  };
}

/**
 * The same as a command a person can run (`gh api`), for a repository and a branch: printed by a host app's
 * setup screen or CLI, never run by rungate.
 */
export function describeBranchProtection(
  policy: { readonly required_checks: readonly RunCheckType[] },
  repository: { readonly owner: string; readonly repo: string; readonly branch: string },
): string {
  const body = JSON.stringify(githubBranchProtection(policy).branch_protection);
  return [
    `# Require rungate's checks (${requiredStatusContexts(policy).join(", ")}) on ${repository.branch}:`,
    `gh api -X PUT repos/${repository.owner}/${repository.repo}/branches/${repository.branch}/protection --input - <<'JSON'`,
    body,
    "JSON",
  ].join("\n");
}
