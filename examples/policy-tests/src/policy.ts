/**
 * The shop team's rungate policy, as their app stores it, and the helpers their tests use to build runs of it.
 * Nothing here is test code: this is the file the team would review when the rules change, and the tests in
 * `test/` pin what each rule means.
 */
import type { CardInput, RunInputInput, SystemPolicyProfileInput } from "rungate";

/** The project this policy belongs to (any UUID your app uses for it). */
export const SHOP_PROJECT_ID = "7e4c2a10-5b1d-4c3e-9f00-000000000001";

/** The shop's repository. The in-memory git of `rungate/testing` serves it under this URL in the tests. */
export const SHOP_REPO_URL = "https://git.example.invalid/acme/shop.git";

/**
 * The rules, one line each:
 * - four checks must pass on the card's head before anyone is asked (`policy` is rungate's own: the path and
 *   import rules, judged on what the agent committed);
 * - no agent writes secrets, keys, infrastructure or CI workflows, whatever its card allows;
 * - dependency manifests, migrations and billing code may change, but only with a person's protected-path
 *   approval on top of the usual ones;
 * - a draft PR needs `create_pr` and `code_review`, and the person who started the run cannot be the only
 *   one who approved it (four eyes).
 */
export const shopPolicy = {
  id: "7e4c2a10-5b1d-4c3e-9f00-0000000000a1",
  project_id: SHOP_PROJECT_ID,
  required_checks: ["policy", "lint", "unit", "security"],
  forbidden_paths: [
    "**/.env",
    "**/.env.*",
    "**/*.pem",
    "**/*.key",
    "secrets/",
    "infra/",
    ".github/workflows/",
  ],
  protected_paths: ["package.json", "package-lock.json", "migrations/", "src/billing/"],
  dependency_policy: {},
  security_policy: {},
  architecture_policy: {},
  approval_policy: {
    required_approvals: ["create_pr", "code_review"],
    protected_path_approval: "protected_path_change",
    require_independent_approval: true,
  },
  updated_at: "2026-03-01T09:00:00.000Z",
} satisfies SystemPolicyProfileInput;

/** What the shop's repository holds on `main`, for the runs of the tests. */
export const SHOP_FILES: Readonly<Record<string, string>> = {
  "README.md": "# shop\n",
  "package.json": '{ "name": "shop", "private": true }\n',
  "src/cart/total.ts": "export const total = (prices: number[]) => prices.reduce((a, b) => a + b, 0);\n",
  "src/billing/invoice.ts": "export const invoice = () => 'INV-1';\n",
  "migrations/001_init.sql": "create table carts (id uuid primary key);\n",
  "test/cart.test.ts": "// cart tests\n",
};

/**
 * The kinds of card on the shop's board, each with where its agent may write. A card that may reach a protected
 * path must plan the protected-path approval, or the policy refuses the run before any agent starts.
 */
export const CARD_TEMPLATES = {
  feature: { allowed_paths: ["src/", "test/"], planned_approvals: ["protected_path_change"] },
  docs: { allowed_paths: ["docs/", "README.md"], planned_approvals: [] },
  migration: { allowed_paths: ["migrations/", "src/db/"], planned_approvals: ["protected_path_change"] },
  dependencies: {
    allowed_paths: ["package.json", "package-lock.json"],
    planned_approvals: ["protected_path_change"],
  },
} satisfies Record<string, Pick<CardInput, "allowed_paths" | "planned_approvals">>;

/** One of {@link CARD_TEMPLATES}. */
export type CardKind = keyof typeof CARD_TEMPLATES;

/** One card of the shop's board, with the globs its agent may write. */
export function shopCard(n: number, allowed_paths: string[], extra: Partial<CardInput> = {}): CardInput {
  return {
    card_id: `7e4c2a10-5b1d-4c3e-9f00-${n.toString(16).padStart(12, "0")}`,
    title: `Card ${n}`,
    description: "",
    agent_role: "coder",
    agent_profile: null,
    forbidden_paths: [],
    feature_branch: null,
    planned_approvals: [],
    allowed_paths,
    ...extra,
  };
}

/** A single-card run of the shop, started by `initiated_by`. */
export function shopRun(card: CardInput, initiated_by = "user:ana"): RunInputInput {
  return {
    project_id: SHOP_PROJECT_ID,
    scope: "card",
    card_id: card.card_id,
    trigger_type: "card",
    initiated_by,
    repo_url: SHOP_REPO_URL,
    base_branch: "main",
    cards: [card],
  };
}
