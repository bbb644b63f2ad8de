/**
 * The shop's card templates against its policy: each kind of card is accepted as it is, and each answers the
 * questions the team keeps asking ("may a docs card touch the README?") with a row of its own. Pure and fast:
 * `validateRunInputAgainstPolicy` and `evaluateChanges`, no run.
 */
import { evaluateChanges, type PathVerdictKind, validateRunInputAgainstPolicy } from "rungate";
import { expectErr, expectOk } from "rungate/testing";
import { describe, expect, it } from "vitest";
import { CARD_TEMPLATES, type CardKind, shopCard, shopPolicy, shopRun } from "../src/policy.js";

const kinds = Object.keys(CARD_TEMPLATES) as CardKind[];

/** The verdict the policy gives `path` changed by a card of `kind`. */
function verdict(kind: CardKind, path: string): PathVerdictKind | undefined {
  const card = { ...CARD_TEMPLATES[kind], forbidden_paths: [] };
  const evaluation = expectOk(evaluateChanges([{ path, status: "modified" }], card, shopPolicy));
  return evaluation.files[0]?.verdict;
}

describe("the shop's card templates", () => {
  it.each(kinds)("a %s card is accepted by the policy", (kind) => {
    const card = shopCard(20, CARD_TEMPLATES[kind].allowed_paths, {
      planned_approvals: CARD_TEMPLATES[kind].planned_approvals,
    });
    const validated = expectOk(validateRunInputAgainstPolicy(shopRun(card), shopPolicy));
    // Stored normalised: a folder rule `src/` is kept as `src/**`.
    expect(validated.cards[0]?.allowed_paths).toHaveLength(CARD_TEMPLATES[kind].allowed_paths.length);
  });

  it.each(kinds.filter((k) => CARD_TEMPLATES[k].planned_approvals.length > 0))(
    "a %s card that forgets to plan the protected-path approval is refused",
    (kind) => {
      const card = shopCard(21, CARD_TEMPLATES[kind].allowed_paths);
      const refused = expectErr(validateRunInputAgainstPolicy(shopRun(card), shopPolicy), {
        kind: "policy_violation",
      });
      expect(refused.kind === "policy_violation" && refused.detail.violations.map((v) => v.code)).toContain(
        "protected_path_without_approval",
      );
    },
  );
});

/** [card kind, path, verdict] */
const rows: [CardKind, string, PathVerdictKind][] = [
  ["feature", "src/cart/total.ts", "allowed"],
  ["feature", "src/cart/total.test.ts", "allowed"],
  ["feature", "test/cart/total.test.ts", "allowed"],
  ["feature", "src/db/schema.ts", "allowed"],
  ["feature", "src/billing/invoice.ts", "protected"],
  ["feature", "src/.env", "forbidden"],
  ["feature", "src/config/.env.staging", "forbidden"],
  ["feature", "docs/cart.md", "outside_allowed"],
  ["feature", "README.md", "outside_allowed"],
  ["feature", "package.json", "outside_allowed"],
  ["feature", "migrations/003_totals.sql", "outside_allowed"],
  ["feature", ".github/workflows/ci.yml", "forbidden"],
  ["feature", "src/tls/server.pem", "forbidden"],
  ["docs", "docs/cart.md", "allowed"],
  ["docs", "docs/CHANGELOG.md", "allowed"],
  ["docs", "docs/img/cart.png", "allowed"],
  ["docs", "docs/.vitepress/config.ts", "allowed"],
  ["docs", "README.md", "allowed"],
  ["docs", "docs/README.md", "allowed"],
  ["docs", "readme.md", "outside_allowed"],
  ["docs", "README.md.bak", "outside_allowed"],
  ["docs", "src/cart/total.ts", "outside_allowed"],
  ["docs", "docs/.env", "forbidden"],
  ["docs", "docs/certs/ca.pem", "forbidden"],
  ["docs", "package.json", "outside_allowed"],
  ["docs", "infra/README.md", "forbidden"],
  ["migration", "migrations/003_totals.sql", "protected"],
  ["migration", "migrations/seeds/carts.sql", "protected"],
  ["migration", "src/db/schema.ts", "allowed"],
  ["migration", "src/db/queries/carts.ts", "allowed"],
  ["migration", "src/db/.env", "forbidden"],
  ["migration", "src/cart/total.ts", "outside_allowed"],
  ["migration", "src/billing/invoice.ts", "outside_allowed"],
  ["migration", "test/db.test.ts", "outside_allowed"],
  ["migration", "package.json", "outside_allowed"],
  ["migration", "secrets/db.json", "forbidden"],
  ["migration", "migrations/../secrets/db.json", "invalid_path"],
  ["migration", "Migrations/004.sql", "outside_allowed"],
  ["dependencies", "package.json", "protected"],
  ["dependencies", "package-lock.json", "protected"],
  ["dependencies", "packages/web/package.json", "outside_allowed"],
  ["dependencies", "yarn.lock", "outside_allowed"],
  ["dependencies", "src/index.ts", "outside_allowed"],
  ["dependencies", ".npmrc", "outside_allowed"],
  ["dependencies", "package.json.pem", "forbidden"],
  ["dependencies", "node_modules/left-pad/index.js", "outside_allowed"],
];

describe("the shop's card templates, path by path", () => {
  it.each(rows)("a %s card changing %s: %s", (kind, path, expected) => {
    expect(verdict(kind, path)).toBe(expected);
  });
});
