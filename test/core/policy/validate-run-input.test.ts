import { describe, expect, it } from "vitest";
import { type PolicyViolation, VIOLATION_CODES, validateRunInputAgainstPolicy } from "../../../src/index.js";
import { fixtureId, policyFixture, runInputFixture } from "../../../src/testing/index.js";

// A workflow run needs `integration` among the required checks; with it, these tests see only the rule they test.
function violationsOf(
  input: unknown,
  policy: unknown = policyFixture({ required_checks: ["policy", "lint", "unit", "integration"] }),
): PolicyViolation[] {
  const r = validateRunInputAgainstPolicy(input, policy);
  if (r.isOk()) return [];
  if (r.error.kind !== "policy_violation") throw new Error(`expected violations, got ${r.error.kind}`);
  return [...r.error.detail.violations];
}

const codes = (vs: PolicyViolation[]) => vs.map((v) => v.code);
const card = (over: Record<string, unknown> = {}) => ({
  card_id: fixtureId(100),
  title: "t",
  allowed_paths: ["src/**"],
  ...over,
});

describe("validateRunInputAgainstPolicy", () => {
  it("accepts a proper card run and resolves branch, checks and forbidden globs", () => {
    const r = validateRunInputAgainstPolicy(runInputFixture(), policyFixture());
    expect(r.isOk()).toBe(true);
    const v = r._unsafeUnwrap();
    expect(v.planned_checks).toEqual(["policy", "lint", "unit"]);
    expect(v.cards[0]?.feature_branch).toBe(`rungate/${fixtureId(100)}`);
    expect(v.cards[0]?.forbidden_paths).toEqual(
      expect.arrayContaining(["**/.env", "**/*.pem", "secrets/**"]),
    );
  });

  it("reports a policy that does not parse as a validation error, not as violations", () => {
    const r = validateRunInputAgainstPolicy(runInputFixture(), {
      ...policyFixture(),
      required_checks: ["fuzz"],
    });
    expect(r._unsafeUnwrapErr().kind).toBe("validation");
    expect(r._unsafeUnwrapErr().code).toBe("invalid_policy");
  });

  it("turns shape errors into invalid_input violations naming the field", () => {
    const vs = violationsOf({ ...runInputFixture(), cards: [card({ allowed_paths: [] })] });
    expect(codes(vs)).toEqual(["invalid_input"]);
    expect(vs[0]?.path).toEqual(["cards", 0, "allowed_paths"]);
    expect(vs[0]?.message).toContain("cards[0].allowed_paths");
  });

  it("refuses a workflow run whose policy does not require integration (the domain reference's rule)", () => {
    const workflow = runInputFixture({ scope: "workflow", workflow_id: fixtureId(50), card_id: null });
    const vs = violationsOf(workflow, policyFixture({ required_checks: ["policy", "unit"] }));
    expect(codes(vs)).toEqual(["workflow_requires_integration"]);
    expect(vs[0]?.path).toEqual(["policy", "required_checks"]);
    // A card run under the same policy is fine, and so is the workflow once integration is required.
    expect(violationsOf(runInputFixture(), policyFixture({ required_checks: ["policy", "unit"] }))).toEqual(
      [],
    );
    expect(violationsOf(workflow, policyFixture({ required_checks: ["integration"] }))).toEqual([]);
  });

  it("requires workflow_id and forbids card_id for workflow scope", () => {
    const vs = violationsOf(
      runInputFixture({ scope: "workflow", workflow_id: null, card_id: fixtureId(100) }),
    );
    expect(codes(vs)).toEqual(["scope_workflow_requires_workflow_id", "scope_workflow_forbids_card_id"]);
    expect(vs.map((v) => v.path[0])).toEqual(["workflow_id", "card_id"]);
  });

  it("requires card_id and exactly that one card for card scope", () => {
    expect(codes(violationsOf(runInputFixture({ card_id: null })))).toContain("scope_card_requires_card_id");
    const two = violationsOf(runInputFixture({ cards: [card(), card({ card_id: fixtureId(101) })] }));
    expect(codes(two)).toEqual(["scope_card_requires_one_card", "card_id_mismatch"]);
  });

  it("names unknown check types and required checks left out of the plan", () => {
    const vs = violationsOf(runInputFixture({ planned_checks: ["lint", "fuzz"] }), policyFixture());
    expect(vs.map((v) => [v.code, v.value, v.rule])).toEqual([
      ["unknown_check_type", "fuzz", expect.any(String)],
      ["required_check_missing", ["lint", "fuzz"], "policy"],
      ["required_check_missing", ["lint", "fuzz"], "unit"],
    ]);
  });

  it.each([
    ["/etc/passwd", "absolute"],
    ["../outside/**", "traversal"],
    ["src/../../x", "traversal"],
    ["src\\win", "backslash"],
    ["src/\u0000x", "nul"],
  ])("refuses the unsafe allowed path %j (%s)", (glob, rule) => {
    const vs = violationsOf(runInputFixture({ cards: [card({ allowed_paths: ["src/**", glob] })] }));
    expect(vs).toEqual([
      expect.objectContaining({
        code: "invalid_path",
        path: ["cards", 0, "allowed_paths", 1],
        value: glob,
        rule,
      }),
    ]);
  });

  it("refuses an allowed glob the policy forbids anyway, naming the forbidden glob", () => {
    const vs = violationsOf(runInputFixture({ cards: [card({ allowed_paths: ["src/**", "secrets/**"] })] }));
    expect(vs).toEqual([
      expect.objectContaining({
        code: "allowed_path_forbidden",
        path: ["cards", 0, "allowed_paths", 1],
        rule: "secrets/**",
      }),
    ]);
  });

  it("lets a forbidden glob carve an exception out of an allowed one", () => {
    expect(violationsOf(runInputFixture({ cards: [card({ allowed_paths: ["**"] })] }))).toEqual([
      expect.objectContaining({ code: "protected_path_without_approval" }),
    ]);
    expect(
      violationsOf(
        runInputFixture({ cards: [card({ allowed_paths: ["src/**"], forbidden_paths: ["src/gen/**"] })] }),
      ),
    ).toEqual([]);
  });

  it("asks a card that may reach a protected path to plan the policy's approval kind", () => {
    const vs = violationsOf(runInputFixture({ cards: [card({ allowed_paths: ["migrations/**"] })] }));
    expect(vs).toEqual([
      expect.objectContaining({
        code: "protected_path_without_approval",
        path: ["cards", 0, "planned_approvals"],
      }),
    ]);
    expect(vs[0]?.rule).toContain("protected_path_change");
    const planned = violationsOf(
      runInputFixture({
        cards: [card({ allowed_paths: ["migrations/**"], planned_approvals: ["protected_path_change"] })],
      }),
    );
    expect(planned).toEqual([]);
  });

  it("uses the approval kind the policy names for protected paths", () => {
    const policy = policyFixture({ approval_policy: { protected_path_approval: "code_review" } });
    const vs = violationsOf(
      runInputFixture({
        cards: [card({ allowed_paths: ["package.json"], planned_approvals: ["protected_path_change"] })],
      }),
      policy,
    );
    expect(vs[0]?.rule).toContain('needs "code_review"');
  });

  it.each([
    ["feat..x", "invalid_branch_name"],
    ["-x", "invalid_branch_name"],
    ["x.lock", "invalid_branch_name"],
    ["feat;rm -rf", "invalid_branch_name"],
    ["feat$(id)", "unsafe_branch_name"],
    ["feat`id`", "unsafe_branch_name"],
  ])("refuses the branch name %j (%s)", (name, code) => {
    const vs = violationsOf(runInputFixture({ cards: [card({ feature_branch: name })] }));
    expect(vs.map((v) => [v.code, v.path])).toEqual([[code, ["cards", 0, "feature_branch"]]]);
  });

  it("checks the base branch and refuses two cards on one branch", () => {
    const vs = violationsOf(
      runInputFixture({
        scope: "workflow",
        workflow_id: fixtureId(50),
        card_id: null,
        base_branch: "main|x",
        cards: [
          card({ feature_branch: "feat/a" }),
          card({ card_id: fixtureId(101), feature_branch: "feat/a" }),
        ],
      }),
    );
    expect(codes(vs)).toEqual(["unsafe_branch_name", "duplicate_branch"]);
  });

  it("refuses duplicate cards and a project the policy does not govern", () => {
    const vs = violationsOf(
      runInputFixture({
        project_id: fixtureId(2),
        scope: "workflow",
        workflow_id: fixtureId(50),
        card_id: null,
        cards: [card(), card({ feature_branch: "b" })],
      }),
    );
    expect(codes(vs)).toEqual(["project_mismatch", "duplicate_card"]);
  });

  it.each([
    ["--upload-pack=touch /tmp/x", false],
    ["ext::sh -c touch% /tmp/x", false],
    ["https://github.com/acme/shop.git", true],
    ["git@github.com:acme/shop.git", true],
    ["ssh://git@host/acme/shop.git", true],
    ["file:///tmp/repo.git", true],
    ["/tmp/repo.git", true],
    ["repo with space", false],
  ])("judges the repository URL %j (acceptable: %s)", (url, acceptable) => {
    const vs = violationsOf(runInputFixture({ repo_url: url }));
    expect(codes(vs)).toEqual(acceptable ? [] : ["invalid_repo_url"]);
  });

  it("reports every violation at once, each naming its field and rule", () => {
    const vs = violationsOf(
      runInputFixture({
        scope: "workflow",
        planned_checks: ["fuzz"],
        cards: [card({ allowed_paths: ["../x", "secrets/**"], feature_branch: "a..b" })],
      }),
    );
    expect(vs.length).toBeGreaterThanOrEqual(7);
    for (const v of vs) {
      expect(VIOLATION_CODES).toContain(v.code);
      expect(v.rule.length).toBeGreaterThan(0);
      expect(v.message.length).toBeGreaterThan(0);
    }
  });

  it("never throws, whatever it is given", () => {
    for (const junk of [undefined, null, 42, "x", [], {}, { cards: "no" }, new Date()]) {
      expect(() => validateRunInputAgainstPolicy(junk, junk)).not.toThrow();
      expect(() => validateRunInputAgainstPolicy(junk, policyFixture())).not.toThrow();
    }
  });
});

describe("the policy's own rules (issue 14)", () => {
  it("refuses a policy that requires no check, or the same check twice", () => {
    expect(codes(violationsOf(runInputFixture(), policyFixture({ required_checks: [] })))).toContain(
      "required_checks_empty",
    );
    const twice = violationsOf(
      runInputFixture(),
      policyFixture({ required_checks: ["policy", "unit", "unit"] }),
    );
    expect(twice.find((v) => v.code === "duplicate_required_check")).toMatchObject({
      path: ["policy", "required_checks", 2],
      value: "unit",
    });
  });

  it("refuses a glob with an unbalanced bracket instead of matching a literal one", () => {
    for (const glob of ["src/[", "src/{a,b", "src/a}", "src/@(x"]) {
      const found = violationsOf({ ...runInputFixture(), cards: [card({ allowed_paths: [glob] })] });
      expect(
        found.find((v) => v.code === "invalid_glob"),
        glob,
      ).toMatchObject({
        path: ["cards", 0, "allowed_paths", 0],
        rule: "unbalanced",
      });
    }
    const policyGlob = violationsOf(runInputFixture(), policyFixture({ forbidden_paths: ["secrets/["] }));
    expect(policyGlob.map((v) => [v.code, v.path])).toContainEqual([
      "invalid_glob",
      ["policy", "forbidden_paths", 0],
    ]);
    // Balanced classes, braces and extglobs are fine, brackets inside a class included.
    const fine = validateRunInputAgainstPolicy(
      {
        ...runInputFixture(),
        cards: [card({ allowed_paths: ["src/[a-z{]*/**", "src/{a,b}/**", "src/!(gen)/**"] })],
      },
      policyFixture(),
    );
    expect(fine.isOk()).toBe(true);
  });

  it("warns when a forbidden glob cuts into an allowed one, and stays silent when none does", () => {
    const policy = policyFixture({ forbidden_paths: ["src/secret/**"] });
    const cut = validateRunInputAgainstPolicy(
      { ...runInputFixture(), cards: [card({ allowed_paths: ["docs/**", "src/**"] })] },
      policy,
    )._unsafeUnwrap();
    expect(cut.warnings).toEqual([
      expect.objectContaining({
        code: "allowed_overlaps_forbidden",
        path: ["cards", 0, "allowed_paths", 1],
        value: "src/**",
        rule: "src/secret/**",
      }),
    ]);
    const apart = validateRunInputAgainstPolicy(
      { ...runInputFixture(), cards: [card({ allowed_paths: ["docs/**"] })] },
      policy,
    )._unsafeUnwrap();
    expect(apart.warnings).toEqual([]);
  });
});

describe("architecture_policy.forbidden_imports", () => {
  it("accepts usable import rules and refuses a glob that cannot be used, before anything runs", () => {
    const rules = (from: string) =>
      policyFixture({ architecture_policy: { forbidden_imports: [{ from, to: "src/adapters/**" }] } });
    expect(violationsOf(runInputFixture(), rules("src/core/**"))).toEqual([]);
    expect(violationsOf(runInputFixture(), rules("src/[core"))).toMatchObject([
      { code: "invalid_glob", path: ["policy", "architecture_policy", "forbidden_imports", 0, "from"] },
    ]);
  });
});
