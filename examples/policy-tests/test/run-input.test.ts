/**
 * What the shop's policy says before any agent runs: which cards it refuses (every violation at once, each
 * with a machine code), what it warns about, which checks it plans, and which approvals a change will need.
 * Pure functions of the policy: `validateRunInputAgainstPolicy` and `explainPolicy`.
 */
import { type CardInput, explainPolicy, type RunInputInput, validateRunInputAgainstPolicy } from "rungate";
import { expectErr, expectOk } from "rungate/testing";
import { describe, expect, it } from "vitest";
import { shopCard, shopPolicy, shopRun } from "../src/policy.js";

/** The violation codes of a run input, or `[]` when the policy accepts it. */
function violationsOf(input: RunInputInput): string[] {
  const validated = validateRunInputAgainstPolicy(input, shopPolicy);
  if (validated.isOk()) return [];
  const error = expectErr(validated, { kind: "policy_violation" });
  return error.kind === "policy_violation" ? error.detail.violations.map((v) => v.code) : [];
}

const card = (allowed_paths: string[], extra: Partial<CardInput> = {}) =>
  shopRun(shopCard(1, allowed_paths, extra));

/** [what the card is, its run input, the violation codes] */
const cards: [string, RunInputInput, string[]][] = [
  ["a card in the cart code", card(["src/cart/", "test/cart/"]), []],
  [
    "a card in the whole app, not planning the protected-path approval",
    card(["src/"]),
    ["protected_path_without_approval"],
  ],
  [
    "a card in the whole app, planning it",
    card(["src/"], { planned_approvals: ["protected_path_change"] }),
    [],
  ],
  ["a card on the manifest, not planning it", card(["package.json"]), ["protected_path_without_approval"]],
  [
    "a card on migrations, planning it",
    card(["migrations/"], { planned_approvals: ["protected_path_change"] }),
    [],
  ],
  ["a card asking for secrets/", card(["secrets/"]), ["allowed_path_forbidden"]],
  ["a card asking for a folder inside infra/", card(["infra/terraform/"]), ["allowed_path_forbidden"]],
  ["a card asking for CI workflows", card([".github/workflows/"]), ["allowed_path_forbidden"]],
  // `**` reaches every folder, protected ones too: the check is a deliberate over-approximation.
  [
    "a card asking for .env files",
    card(["**/.env"]),
    ["allowed_path_forbidden", "protected_path_without_approval"],
  ],
  ["a card with a path climbing out", card(["../elsewhere/**"]), ["invalid_path"]],
  ["a card with an absolute path", card(["/etc/**"]), ["invalid_path"]],
  ["a card with an unbalanced glob", card(["src/[cart"]), ["invalid_glob"]],
  [
    "a card with a negated glob (exceptions belong in forbidden_paths)",
    card(["!src/billing/**"]),
    ["invalid_path"],
  ],
  [
    "a card writing straight to main",
    card(["src/cart/"], { feature_branch: "main" }),
    ["feature_branch_is_base"],
  ],
  [
    "a card writing to a release branch",
    card(["src/cart/"], { feature_branch: "release/2026-03" }),
    ["feature_branch_protected"],
  ],
  [
    "a card for another project",
    { ...card(["src/cart/"]), project_id: "7e4c2a10-5b1d-4c3e-9f00-0000000000ff" },
    ["project_mismatch"],
  ],
  [
    "a run planning too few checks",
    { ...card(["src/cart/"]), planned_checks: ["policy", "lint"] },
    ["required_check_missing", "required_check_missing"],
  ],
  [
    "a run planning an unknown check",
    { ...card(["src/cart/"]), planned_checks: ["policy", "lint", "unit", "security", "fuzz"] },
    ["unknown_check_type"],
  ],
  [
    "a run planning the checks and more",
    { ...card(["src/cart/"]), planned_checks: ["policy", "lint", "unit", "security", "e2e"] },
    [],
  ],
  [
    "a card run with two cards",
    { ...card(["src/cart/"]), cards: [shopCard(1, ["src/cart/"]), shopCard(2, ["test/"])] },
    ["scope_card_requires_one_card", "card_id_mismatch"],
  ],
];

describe("the shop's policy, before a run", () => {
  it.each(cards)("%s", (_what, input, codes) => {
    expect(violationsOf(input)).toEqual(codes);
  });

  it("reports every violation of a run at once, each naming its field", () => {
    const input = shopRun(shopCard(1, ["secrets/", "../up", "src/cart/"], { feature_branch: "main" }));
    const error = expectErr(validateRunInputAgainstPolicy(input, shopPolicy), { kind: "policy_violation" });
    if (error.kind !== "policy_violation") return;
    expect(error.detail.violations.map((v) => [v.code, v.path.join(".")])).toEqual([
      ["invalid_path", "cards.0.allowed_paths.1"],
      ["allowed_path_forbidden", "cards.0.allowed_paths.0"],
      ["feature_branch_is_base", "cards.0.feature_branch"],
    ]);
  });

  it("warns, without refusing, about an allowed folder a forbidden glob cuts into", () => {
    const validated = expectOk(validateRunInputAgainstPolicy(card(["src/cart/"]), shopPolicy));
    expect(validated.warnings.map((w) => w.code)).toContain("allowed_overlaps_forbidden");
  });

  it("plans the four required checks for a run that names none", () => {
    const validated = expectOk(validateRunInputAgainstPolicy(card(["src/cart/"]), shopPolicy));
    expect([...validated.planned_checks].sort()).toEqual(["lint", "policy", "security", "unit"]);
  });

  it("explains a refused run input instead of failing", () => {
    const why = expectOk(explainPolicy(shopPolicy, { run_input: card(["secrets/"]) }));
    expect(why.violations.map((v) => v.code)).toEqual(["allowed_path_forbidden"]);
    expect(why.violations[0]?.rule).toBe("secrets/**"); // the glob as compiled
  });
});

/** [the paths a change touches, the approvals its draft PR needs] */
const approvals: [string[], string[]][] = [
  [["src/cart/total.ts"], ["create_pr", "code_review"]],
  [
    ["src/cart/total.ts", "test/cart.test.ts"],
    ["create_pr", "code_review"],
  ],
  [["package.json"], ["create_pr", "code_review", "protected_path_change"]],
  [["migrations/002_totals.sql"], ["create_pr", "code_review", "protected_path_change"]],
  [
    ["src/billing/invoice.ts", "src/cart/total.ts"],
    ["create_pr", "code_review", "protected_path_change"],
  ],
  [
    ["src/billing/a.ts", "src/billing/b.ts", "package.json"],
    ["create_pr", "code_review", "protected_path_change"],
  ],
  [[], ["create_pr", "code_review"]],
];

describe("the shop's policy: approvals a change needs", () => {
  it.each(approvals)("%j needs %j", (paths, types) => {
    const why = expectOk(explainPolicy(shopPolicy, { paths }));
    expect(why.approvals.map((a) => a.approval_type).sort()).toEqual([...types].sort());
  });

  it("says why each approval is needed", () => {
    const why = expectOk(explainPolicy(shopPolicy, { paths: ["package.json"] }));
    const protectedOne = why.approvals.find((a) => a.approval_type === "protected_path_change");
    expect(protectedOne?.because).toContain("package.json");
  });

  it("always lists the policy check among the checks that must pass", () => {
    const why = expectOk(explainPolicy(shopPolicy, { paths: ["src/cart/total.ts"] }));
    expect([...why.checks].sort()).toEqual(["lint", "policy", "security", "unit"]);
  });

  it("refuses to explain with a policy that does not parse", () => {
    expectErr(explainPolicy({ ...shopPolicy, required_checks: ["fuzz"] }, { paths: ["src/x.ts"] }), {
      kind: "validation",
      code: "invalid_policy",
    });
  });
});
