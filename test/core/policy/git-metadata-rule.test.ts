import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isGitMetadataSegment, touchesGitMetadata } from "../../../src/core/policy/tree-safety.js";
import { evaluateChanges, SystemPolicyProfile } from "../../../src/index.js";
import { policyFixture } from "../../../src/testing/index.js";

const policy = SystemPolicyProfile.parse(policyFixture());
// Everything is allowed by the path rules, so a refusal can only come from the .git rule.
const assignment = { allowed_paths: ["**"], forbidden_paths: [] };
const verdictOf = (file: Record<string, unknown>) => {
  const r = evaluateChanges([{ status: "added", ...file }], assignment, policy)._unsafeUnwrap();
  return r.violations.map((v) => v.rule);
};

describe("the .git rule", () => {
  it.each([
    ".git/config",
    ".GIT/config",
    ".Git/hooks/pre-commit",
    "src/.Git/hooks/x",
    "a/.git/x",
    ".GITMODULES",
    "lib/.gitmodules",
    ".git./config",
    ".git /config",
    "GIT~1/config",
    "gitmod~1",
    "gi7eba~3",
    ".g\u200cit/config",
    ".git\ufeff/hooks/x",
  ])("forbids %s", (path) => {
    expect(verdictOf({ path })).toEqual(["(.git and .gitmodules are forbidden)"]);
  });

  it.each([
    "src/.gitignore",
    "src/.gitattributes",
    ".github/workflows/ci.yml",
    "src/git/x.ts",
    "gitx",
    ".gitkeep",
  ])("leaves %s alone", (path) => {
    expect(verdictOf({ path })).toEqual([]);
  });

  it("judges both sides of a rename: out of .git and into it", () => {
    const out = evaluateChanges(
      [{ path: "src/x", previous_path: ".git/hooks/post-checkout", status: "renamed" }],
      assignment,
      policy,
    )._unsafeUnwrap();
    expect(out.violations[0]?.message).toContain("renamed from .git/hooks/post-checkout");
    expect(verdictOf({ path: ".GIT/x", previous_path: "src/x", status: "renamed" })).toEqual([
      "(.git and .gitmodules are forbidden)",
    ]);
  });

  it("holds for every case spelling of .git as any segment of either side of a change", () => {
    const caseOf = fc
      .array(fc.boolean(), { minLength: 3, maxLength: 3 })
      .map((upper) => `.${["g", "i", "t"].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join("")}`);
    const segment = fc.stringMatching(/^[a-z0-9_-]{1,8}$/);
    fc.assert(
      fc.property(
        fc.array(segment, { maxLength: 3 }),
        caseOf,
        fc.array(segment, { minLength: 1, maxLength: 3 }),
        fc.boolean(),
        (before, dotGit, after, asPrevious) => {
          const hostile = [...before, dotGit, ...after].join("/");
          expect(touchesGitMetadata(hostile)).toBe(true);
          const file = asPrevious
            ? { path: "src/ok.ts", previous_path: hostile, status: "renamed" }
            : { path: hostile, previous_path: null, status: "added" };
          expect(verdictOf(file)).toEqual(["(.git and .gitmodules are forbidden)"]);
        },
      ),
    );
    expect(isGitMetadataSegment("git")).toBe(false);
  });
});
