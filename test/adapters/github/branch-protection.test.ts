import { describe, expect, it } from "vitest";
import {
  describeBranchProtection,
  githubBranchProtection,
  requiredStatusContexts,
} from "../../../src/adapters/github/branch-protection.js";

describe("GitHub branch protection for a policy's checks", () => {
  it("requires exactly the policy's checks as rungate/<type>, policy always among them, strictly", () => {
    expect(requiredStatusContexts({ required_checks: ["unit", "lint"] })).toEqual([
      "rungate/lint",
      "rungate/policy",
      "rungate/unit",
    ]);
    const settings = githubBranchProtection({ required_checks: ["unit"] });
    expect(settings.branch_protection.required_status_checks).toEqual({
      strict: true,
      contexts: ["rungate/policy", "rungate/unit"],
    });
    expect(settings.branch_protection.required_pull_request_reviews.required_approving_review_count).toBe(1);
    expect(settings.ruleset_rule.parameters.required_status_checks).toEqual([
      { context: "rungate/policy" },
      { context: "rungate/unit" },
    ]);
  });

  it("prints the gh command a person runs, never run by rungate", () => {
    const text = describeBranchProtection(
      { required_checks: ["unit"] },
      { owner: "acme", repo: "shop", branch: "main" },
    );
    expect(text).toContain("gh api -X PUT repos/acme/shop/branches/main/protection");
    expect(text).toContain('"contexts":["rungate/policy","rungate/unit"]');
  });
});
