/**
 * What the shop's path rules say about each path an agent might touch. Every row is judged twice, by the two
 * pure functions a host has: `evaluateChanges` (what rungate does with an agent's diff) and `explainPolicy`
 * (why), which must agree. No git, no storage: each row takes microseconds.
 */
import {
  type ChangedFile,
  evaluateChanges,
  explainPolicy,
  NO_ALLOWED_MATCH,
  type PathVerdictKind,
} from "rungate";
import { expectErr, expectOk } from "rungate/testing";
import { describe, expect, it } from "vitest";
import { shopPolicy } from "../src/policy.js";

/** The part of a card the path rules read. */
interface CardPaths {
  readonly allowed_paths: string[];
  readonly forbidden_paths: string[];
}

/** The card most rows are judged for: it may write the app, its tests, the manifest and migrations. */
const card: CardPaths = {
  allowed_paths: ["src/", "test/", "package.json", "migrations/"],
  forbidden_paths: [],
};

/** A modified regular file at `path`, as the git port reports one. */
const modified = (path: string): ChangedFile => ({
  path,
  status: "modified",
  previous_path: null,
  mode: "100644",
  previous_mode: "100644",
  symlink_target: null,
  path_bytes: null,
  previous_path_bytes: null,
});

/** The verdict `evaluateChanges` gives one changed file. */
function verdictOf(file: ChangedFile, lists: CardPaths = card): PathVerdictKind {
  const [judged] = expectOk(evaluateChanges([file], lists, shopPolicy)).files;
  if (judged === undefined) throw new Error("no file judged");
  return judged.verdict;
}

/** [path, verdict, the rule that decides it, as compiled: a folder rule `src/` reads `src/**`] */
const rows: [string, PathVerdictKind, string][] = [
  // Allowed: the card's globs match and no forbidden or protected glob does.
  ["src/cart/total.ts", "allowed", "src/**"],
  ["src/cart/ui/deep/Button.tsx", "allowed", "src/**"],
  ["test/cart.test.ts", "allowed", "test/**"],
  ["src/.eslintrc.json", "allowed", "src/**"],
  ["src/config/.envrc", "allowed", "src/**"], // `.env` is a name, not a prefix
  ["src/config/env.ts", "allowed", "src/**"],
  ["src/auth/keys.ts", "allowed", "src/**"], // not `*.key`
  ["src/tls/cert.pem.ts", "allowed", "src/**"], // ends in .ts, not .pem
  ["src/secrets.ts", "allowed", "src/**"], // `secrets/` is the root folder only
  ["test/fixtures/infra/main.tf", "allowed", "test/**"], // `infra/` is anchored at the root
  ["src/billing-report/x.ts", "allowed", "src/**"], // whole segments: not `src/billing/`
  ["./src/cart/total.ts", "allowed", "src/**"], // normalised first
  ["src//cart/total.ts", "allowed", "src/**"],
  // Forbidden: forbidden globs win over everything, and match case-insensitively.
  [".env", "forbidden", "**/.env"],
  ["src/.env", "forbidden", "**/.env"],
  ["src/config/.ENV", "forbidden", "**/.env"],
  ["src/config/.env.local", "forbidden", "**/.env.*"],
  ["test/.env.test", "forbidden", "**/.env.*"],
  ["test/fixtures/server.pem", "forbidden", "**/*.pem"],
  ["src/tls/SERVER.PEM", "forbidden", "**/*.pem"],
  ["src/auth/signing.key", "forbidden", "**/*.key"],
  ["secrets/prod.json", "forbidden", "secrets/**"],
  ["Secrets/prod.json", "forbidden", "secrets/**"],
  ["infra/terraform/main.tf", "forbidden", "infra/**"],
  [".github/workflows/ci.yml", "forbidden", ".github/workflows/**"],
  ["migrations/.env", "forbidden", "**/.env"], // forbidden beats protected
  ["package.json.pem", "forbidden", "**/*.pem"],
  // Outside the card: no allowed glob matches. Protected paths are no permission.
  ["README.md", "outside_allowed", NO_ALLOWED_MATCH],
  ["docs/guide.md", "outside_allowed", NO_ALLOWED_MATCH],
  ["scripts/release.sh", "outside_allowed", NO_ALLOWED_MATCH],
  ["packages/web/package.json", "outside_allowed", NO_ALLOWED_MATCH], // `package.json` is anchored
  ["lib/src/x.ts", "outside_allowed", NO_ALLOWED_MATCH],
  ["src-old/x.ts", "outside_allowed", NO_ALLOWED_MATCH],
  ["Src/cart/total.ts", "outside_allowed", NO_ALLOWED_MATCH], // allowed globs are case-sensitive
  [".github/CODEOWNERS", "outside_allowed", NO_ALLOWED_MATCH],
  ["tsconfig.json", "outside_allowed", NO_ALLOWED_MATCH],
  ["package-lock.json", "outside_allowed", NO_ALLOWED_MATCH], // protected, but this card may not write it
  // Protected: allowed, but a person must approve the change on top of the usual approvals.
  ["package.json", "protected", "package.json"],
  ["migrations/002_totals.sql", "protected", "migrations/**"],
  ["src/billing/invoice.ts", "protected", "src/billing/**"],
  ["src/billing/tax/vat.ts", "protected", "src/billing/**"],
  ["src/Billing/credit.ts", "protected", "src/billing/**"], // protected globs match case-insensitively
  ["migrations/seeds/carts.sql", "protected", "migrations/**"],
  ["src/billing/.env", "forbidden", "**/.env"], // forbidden beats protected here too
  ["src/billing/../cart/total.ts", "invalid_path", "traversal"],
];

describe("the shop's path rules, path by path", () => {
  it.each(rows)("%s is %s (decided by %s)", (path, verdict, rule) => {
    expect(verdictOf(modified(path))).toBe(verdict);
    const why = expectOk(explainPolicy(shopPolicy, { paths: [path], ...card }));
    expect(why.paths[0]).toMatchObject({ verdict, decided_by: rule });
  });
});

/** Paths no rule can make safe: refused before any glob is tried. */
const unsafe = [
  "../outside.txt",
  "/etc/passwd",
  "src\\cart\\total.ts",
  "src/cart/../../x.ts",
  "",
  "src/\u0000x",
];

describe("the shop's path rules: unsafe paths", () => {
  it.each(unsafe)("%j is an invalid path", (path) => {
    expect(verdictOf(modified(path))).toBe("invalid_path");
    const why = expectOk(explainPolicy(shopPolicy, { paths: [path], ...card }));
    expect(why.paths[0]?.verdict).toBe("invalid_path");
  });
});

/** Whatever the globs say, git's own files are never an agent's to write. */
const gitInternals = [".git/config", ".git/hooks/pre-commit", "src/.GIT/hooks/x", ".gitmodules", "src/.git"];

describe("the shop's path rules: git internals", () => {
  it.each(gitInternals)("%s is forbidden even though the card allows its folder", (path) => {
    expect(verdictOf(modified(path), { allowed_paths: ["**"], forbidden_paths: [] })).toBe("forbidden");
  });
});

describe("the shop's path rules: what a change is counts too", () => {
  const change = (over: Partial<ChangedFile>): ChangedFile => ({ ...modified("src/x.ts"), ...over });

  it("a rename inside the app is allowed", () => {
    expect(
      verdictOf(change({ status: "renamed", path: "src/cart/sum.ts", previous_path: "src/cart/total.ts" })),
    ).toBe("allowed");
  });

  it("moving a secret out of secrets/ is still a change to a forbidden path", () => {
    expect(
      verdictOf(change({ status: "renamed", path: "src/prod.json", previous_path: "secrets/prod.json" })),
    ).toBe("forbidden");
  });

  it("copying .env into the app spreads a forbidden file", () => {
    expect(verdictOf(change({ status: "copied", path: "src/env.ts", previous_path: "src/.env" }))).toBe(
      "forbidden",
    );
  });

  it("deleting the manifest needs the protected-path approval like editing it", () => {
    expect(verdictOf(change({ status: "deleted", path: "package.json", mode: null }))).toBe("protected");
  });

  it("deleting outside the card is a violation like writing there", () => {
    expect(verdictOf(change({ status: "deleted", path: "README.md", mode: null }))).toBe("outside_allowed");
  });

  it("a symlink is judged by where it leads: out of the repository", () => {
    expect(
      verdictOf(
        change({
          status: "added",
          path: "src/passwd",
          mode: "120000",
          symlink_target: "../../../etc/passwd",
        }),
      ),
    ).toBe("invalid_path");
  });

  it("a symlink is judged by where it leads: into secrets/", () => {
    expect(
      verdictOf(
        change({
          status: "added",
          path: "src/prod.json",
          mode: "120000",
          symlink_target: "../secrets/prod.json",
        }),
      ),
    ).toBe("forbidden");
  });

  it("a submodule is forbidden wherever it is", () => {
    expect(verdictOf(change({ status: "added", path: "src/vendor/lib", mode: "160000" }))).toBe("forbidden");
  });
});

describe("the shop's path rules: one evaluation of a whole diff", () => {
  const diff = [
    modified("src/cart/total.ts"),
    modified("package.json"),
    modified("src/.env"),
    modified("docs/guide.md"),
    modified("migrations/002_totals.sql"),
  ];
  const evaluation = expectOk(evaluateChanges(diff, card, shopPolicy));

  it("is not ok when any file breaks a rule", () => {
    expect(evaluation.ok).toBe(false);
  });

  it("lists each violation once, with its verdict", () => {
    expect(evaluation.violations.map((v) => [v.path, v.verdict])).toEqual([
      ["src/.env", "forbidden"],
      ["docs/guide.md", "outside_allowed"],
    ]);
  });

  it("lists the protected paths and the approval they need", () => {
    expect(evaluation.protected_paths).toEqual(["package.json", "migrations/002_totals.sql"]);
    expect(evaluation.needs_approval).toBe("protected_path_change");
  });

  it("keeps every file, in order, with its worst verdict", () => {
    expect(evaluation.files.map((f) => f.verdict)).toEqual([
      "allowed",
      "protected",
      "forbidden",
      "outside_allowed",
      "protected",
    ]);
  });

  it("is ok for a diff inside the card, and needs no extra approval", () => {
    const clean = evaluateChanges(
      [modified("src/cart/total.ts"), modified("test/cart.test.ts")],
      card,
      shopPolicy,
    );
    expect(expectOk(clean)).toMatchObject({ ok: true, violations: [], needs_approval: null });
  });

  it("refuses a diff that is not a list of changed files, naming the input", () => {
    const bad = evaluateChanges([{ path: 42 }], card, shopPolicy);
    expectErr(bad, { kind: "validation", code: "invalid_changed_files" });
  });

  it("judges a card's own forbidden globs on top of the policy's", () => {
    const strict: CardPaths = { allowed_paths: ["src/"], forbidden_paths: ["src/legacy/"] };
    expect(verdictOf(modified("src/legacy/old.ts"), strict)).toBe("forbidden");
    expect(verdictOf(modified("src/cart/total.ts"), strict)).toBe("allowed");
  });
});
