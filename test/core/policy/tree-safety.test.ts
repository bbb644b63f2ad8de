import { describe, expect, it } from "vitest";
import { evaluateChanges, resolveLink, SystemPolicyProfile } from "../../../src/index.js";
import { policyFixture } from "../../../src/testing/index.js";

const policy = SystemPolicyProfile.parse(policyFixture());
const assignment = { allowed_paths: ["src/**"], forbidden_paths: ["**/.env", "secrets/**"] };
const judge = (files: unknown[]) => evaluateChanges(files, assignment, policy)._unsafeUnwrap();

describe("tree safety", () => {
  it.each([
    ["src/link", "../README.md", "README.md"],
    ["src/a/link", "../b.ts", "src/b.ts"],
    ["src/link", "./x/../y", "src/y"],
    ["src/link", "../../etc/passwd", null],
    ["src/link", "/etc/passwd", null],
    ["link", "..", null],
    ["src/link", "C:\\x", null],
  ])("resolves the symlink %s → %s to %s", (link, target, expected) => {
    expect(resolveLink(link, target)).toBe(expected);
  });

  it("refuses a symlink that leaves the repository", () => {
    const r = judge([
      { path: "src/evil", status: "added", mode: "120000", symlink_target: "../../../etc/shadow" },
    ]);
    expect(r.ok).toBe(false);
    expect(r.violations).toEqual([
      expect.objectContaining({
        path: "src/evil",
        verdict: "invalid_path",
        rule: "(symlink leaves the repository)",
      }),
    ]);
  });

  it("refuses a symlink into a forbidden path, naming the rule", () => {
    const r = judge([
      { path: "src/keys", status: "added", mode: "120000", symlink_target: "../secrets/prod.key" },
    ]);
    expect(r.violations).toEqual([
      expect.objectContaining({ verdict: "forbidden", rule: "symlink to secrets/prod.key: secrets/**" }),
    ]);
  });

  it("accepts a symlink inside the allowed paths", () => {
    expect(
      judge([{ path: "src/alias.ts", status: "added", mode: "120000", symlink_target: "real.ts" }]).ok,
    ).toBe(true);
  });

  it("forbids submodules and edits to .git and .gitmodules by default", () => {
    const r = judge([
      { path: "src/vendor", status: "added", mode: "160000" },
      { path: "src/.gitmodules", status: "added", mode: "100644" },
      { path: "src/x/.git/config", status: "added" },
    ]);
    expect(r.violations.map((v) => [v.path, v.verdict])).toEqual([
      ["src/vendor", "forbidden"],
      ["src/.gitmodules", "forbidden"],
      ["src/x/.git/config", "forbidden"],
    ]);
  });

  it("keeps plain files as they were judged", () => {
    expect(judge([{ path: "src/a.ts", status: "modified", mode: "100755" }]).ok).toBe(true);
  });
});
