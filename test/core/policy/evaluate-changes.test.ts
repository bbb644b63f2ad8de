import { describe, expect, it } from "vitest";
import { ChangeEvaluation, evaluateChanges } from "../../../src/core/policy/evaluate-changes.js";
import { SystemPolicyProfile } from "../../../src/core/schemas/system-policy-profile.js";
import { policyFixture } from "../../../src/testing/fixtures.js";

// forbidden: **/.env, **/*.pem, secrets/**; protected: package.json, migrations/**
const policy = Object.freeze(SystemPolicyProfile.parse(policyFixture()));
const assignment = Object.freeze({
  allowed_paths: ["src/**", "test/**", "package.json", "migrations/**", "secrets/**"],
  forbidden_paths: ["src/generated/**"],
});

const evaluate = (files: unknown) => evaluateChanges(files, assignment, policy)._unsafeUnwrap();

describe("evaluateChanges", () => {
  it("passes when every change is allowed", () => {
    const e = evaluate([
      { path: "src/cart/total.ts", status: "added" },
      { path: "test/cart/total.test.ts", status: "modified" },
      { path: "src/old.ts", status: "deleted" },
    ]);
    expect(e.ok).toBe(true);
    expect(e.violations).toEqual([]);
    expect(e.protected_paths).toEqual([]);
    expect(e.needs_approval).toBeNull();
    expect(e.files.map((f) => f.verdict)).toEqual(["allowed", "allowed", "allowed"]);
    expect(ChangeEvaluation.parse(e)).toEqual(e);
  });

  it("judges a mixed change list file by file and collects the violations", () => {
    const e = evaluate([
      { path: "src/a.ts", status: "modified" },
      { path: "src/config/.env", status: "added" },
      { path: "README.md", status: "modified" },
      { path: "src/generated/api.ts", status: "modified" },
      { path: "../outside", status: "added" },
      { path: "migrations/002.sql", status: "added" },
    ]);
    expect(e.files.map((f) => [f.path, f.verdict])).toEqual([
      ["src/a.ts", "allowed"],
      ["src/config/.env", "forbidden"],
      ["README.md", "outside_allowed"],
      ["src/generated/api.ts", "forbidden"],
      ["../outside", "invalid_path"],
      ["migrations/002.sql", "protected"],
    ]);
    expect(e.ok).toBe(false);
    expect(e.violations.map((v) => [v.path, v.verdict, v.rule])).toEqual([
      ["src/config/.env", "forbidden", "**/.env"],
      ["README.md", "outside_allowed", "(no allowed glob matched)"],
      ["src/generated/api.ts", "forbidden", "src/generated/**"],
      ["../outside", "invalid_path", "traversal"],
    ]);
    expect(e.protected_paths).toEqual(["migrations/002.sql"]);
    expect(e.needs_approval).toBe("protected_path_change");
  });

  it("treats renaming a file out of a forbidden path as a violation", () => {
    const e = evaluate([{ path: "src/settings.txt", status: "renamed", previous_path: "secrets/api-key" }]);
    expect(e.ok).toBe(false);
    const [file] = e.files;
    expect(file?.verdicts.map((v) => [v.path, v.verdict])).toEqual([
      ["src/settings.txt", "allowed"],
      ["secrets/api-key", "forbidden"],
    ]);
    expect(file?.verdict).toBe("forbidden");
    expect(e.violations.map((v) => v.path)).toEqual(["secrets/api-key"]);
  });

  it("treats copying a forbidden file as a violation too", () => {
    const e = evaluate([{ path: "src/env.txt", status: "copied", previous_path: ".env" }]);
    expect(e.violations.map((v) => [v.path, v.rule])).toEqual([[".env", "**/.env"]]);
  });

  it("treats renaming into a protected path as needing the approval", () => {
    const e = evaluate([{ path: "migrations/003.sql", status: "renamed", previous_path: "src/draft.sql" }]);
    expect(e.ok).toBe(true);
    expect(e.files[0]?.verdict).toBe("protected");
    expect(e.needs_approval).toBe("protected_path_change");
  });

  it("judges a deletion of a protected file like any change: protected, needs the approval", () => {
    const e = evaluate([{ path: "package.json", status: "deleted" }]);
    expect(e.ok).toBe(true);
    expect(e.files[0]?.verdict).toBe("protected");
    expect(e.protected_paths).toEqual(["package.json"]);
    expect(e.needs_approval).toBe("protected_path_change");
  });

  it("names the approval kind the policy asks for", () => {
    const strict = SystemPolicyProfile.parse(
      policyFixture({ approval_policy: { protected_path_approval: "code_review" } }),
    );
    const e = evaluateChanges(
      [{ path: "package.json", status: "modified" }],
      assignment,
      strict,
    )._unsafeUnwrap();
    expect(e.needs_approval).toBe("code_review");
  });

  it("judges deletion outside the allowed paths as a violation", () => {
    expect(evaluate([{ path: "docs/x.md", status: "deleted" }]).violations[0]?.verdict).toBe(
      "outside_allowed",
    );
  });

  it("lists each path once, with normalised paths", () => {
    const e = evaluate([
      { path: "./package.json", status: "modified" },
      { path: "package.json", status: "modified" },
      { path: "README.md", status: "modified" },
      { path: "./README.md", status: "modified" },
    ]);
    expect(e.protected_paths).toEqual(["package.json"]);
    expect(e.violations.map((v) => v.path)).toEqual(["README.md"]);
    expect(e.files.map((f) => f.path)).toEqual([
      "./package.json",
      "package.json",
      "README.md",
      "./README.md",
    ]);
  });

  it("accepts an empty change list", () => {
    expect(evaluate([])).toEqual({
      files: [],
      ok: true,
      violations: [],
      protected_paths: [],
      needs_approval: null,
    });
  });

  it.each([
    ["not an array", { path: "src/a.ts", status: "added" }],
    ["a null", null],
    ["an unknown status", [{ path: "src/a.ts", status: "exploded" }]],
    ["a missing path", [{ status: "added" }]],
  ])("refuses %s as a validation error", (_, input) => {
    const e = evaluateChanges(input, assignment, policy)._unsafeUnwrapErr();
    expect(e.kind).toBe("validation");
    expect(e.code).toBe("invalid_changed_files");
  });

  it("reports unusable globs as a validation error instead of judging with them", () => {
    const e = evaluateChanges(
      [],
      { allowed_paths: ["src/**"], forbidden_paths: ["!x"] },
      policy,
    )._unsafeUnwrapErr();
    expect(e.code).toBe("invalid_glob");
    expect(e.detail.issues[0]?.path).toEqual(["assignment", "forbidden_paths", 0]);
  });
});

describe("evaluateChanges on inputs as they arrive", () => {
  it("takes a policy and an assignment straight from JSON, with the same verdicts as the parsed ones", () => {
    const fromJson = (value: unknown): unknown => JSON.parse(JSON.stringify(value));
    const files = [
      { path: "src/a.ts", status: "modified" },
      { path: "package.json", status: "modified" },
      { path: "src/config/.env", status: "added" },
    ];
    const raw = evaluateChanges(files, fromJson(assignment), fromJson(policyFixture()));
    expect(raw._unsafeUnwrap()).toEqual(evaluate(files));
  });

  it("answers invalid_assignment and invalid_policy, naming the field, instead of judging with missing lists", () => {
    const files = [{ path: "src/a.ts", status: "modified" }];
    const noAllowed = evaluateChanges(files, { forbidden_paths: [] }, policy)._unsafeUnwrapErr();
    expect(noAllowed).toMatchObject({ kind: "validation", code: "invalid_assignment" });
    expect(noAllowed.detail.issues.map((i) => i.path.join("."))).toEqual(["allowed_paths"]);

    const badPolicy = evaluateChanges(files, assignment, { forbidden_paths: "**/.env" })._unsafeUnwrapErr();
    expect(badPolicy).toMatchObject({ kind: "validation", code: "invalid_policy" });
    expect(badPolicy.detail.issues.map((i) => i.path.join(".")).sort()).toEqual([
      "forbidden_paths",
      "protected_paths",
    ]);
    expect(evaluateChanges(files, assignment, null).isErr()).toBe(true);
  });
});
