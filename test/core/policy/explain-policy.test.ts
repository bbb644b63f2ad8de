import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { evaluateChanges } from "../../../src/core/policy/evaluate-changes.js";
import { explainPolicy } from "../../../src/core/policy/explain-policy.js";
import { SystemPolicyProfile } from "../../../src/core/schemas/system-policy-profile.js";
import { policyFixture, runInputFixture } from "../../../src/testing/fixtures.js";

const policy = policyFixture();

describe("explainPolicy", () => {
  it("names, per path, every glob tried and the one that decided", () => {
    const explained = explainPolicy(policy, {
      paths: ["src/cart.ts", "src/config/.env", "docs/a.md", "package.json", "../etc/passwd"],
      allowed_paths: ["src/**", "package.json"],
    })._unsafeUnwrap();
    const byPath = Object.fromEntries(explained.paths.map((p) => [p.path, p]));
    expect(byPath["src/cart.ts"]).toMatchObject({ verdict: "allowed", decided_by: "src/**" });
    expect(byPath["src/config/.env"]).toMatchObject({ verdict: "forbidden", decided_by: "**/.env" });
    expect(byPath["src/config/.env"]?.rules).toContainEqual({
      list: "forbidden",
      source: "policy",
      glob: "**/.env",
      matched: true,
    });
    expect(byPath["src/config/.env"]?.rules).toContainEqual({
      list: "allowed",
      source: "card",
      glob: "src/**",
      matched: true,
    });
    expect(byPath["docs/a.md"]).toMatchObject({ verdict: "outside_allowed" });
    expect(byPath["docs/a.md"]?.rules.every((r) => !r.matched)).toBe(true);
    expect(byPath["package.json"]).toMatchObject({ verdict: "protected", decided_by: "package.json" });
    expect(byPath["../etc/passwd"]).toMatchObject({ verdict: "invalid_path", rules: [] });
  });

  it("says which checks must pass and which approvals a PR of these paths needs, with reasons", () => {
    const explained = explainPolicy(
      { ...policy, dependency_policy: { require_approval_for_changes: true } },
      { paths: ["package.json", "src/a.ts"] },
    )._unsafeUnwrap();
    expect(explained.checks).toEqual(["policy", "lint", "unit"]);
    expect(explained.approvals.map((a) => a.approval_type)).toEqual([
      "create_pr",
      "protected_path_change",
      "dependency_change",
    ]);
    expect(explained.approvals[1]?.because).toContain("package.json");
    expect(explained.approvals[2]?.because).toContain("require_approval_for_changes");
  });

  it("adds the policy check even when the policy does not require it", () => {
    const explained = explainPolicy(policyFixture({ required_checks: ["unit"] }), {
      paths: [],
    })._unsafeUnwrap();
    expect(explained.checks).toEqual(["unit", "policy"]);
  });

  it("judges a diff like evaluateChanges: a rename on both paths, a submodule and .git by their kind", () => {
    const explained = explainPolicy(policy, {
      diff: [
        { path: "src/moved.ts", previous_path: "secrets/key.txt", status: "renamed" },
        { path: "src/vendor", status: "added", mode: "160000" },
        { path: "src/.git/config", status: "added" },
      ],
      allowed_paths: ["src/**"],
    })._unsafeUnwrap();
    expect(explained.paths.map((p) => [p.path, p.verdict])).toEqual([
      ["src/moved.ts", "allowed"],
      ["secrets/key.txt", "forbidden"],
      ["src/vendor", "forbidden"],
      ["src/.git/config", "forbidden"],
    ]);
    expect(explained.paths[2]?.tree_safety.length).toBeGreaterThan(0);
  });

  it("explains a run input the policy refuses instead of failing", () => {
    const explained = explainPolicy(policy, {
      run_input: runInputFixture({
        cards: [{ card_id: runInputFixture().card_id ?? "", title: "x", allowed_paths: ["secrets/**"] }],
      }),
    })._unsafeUnwrap();
    expect(explained.violations.map((v) => v.code)).toContain("allowed_path_forbidden");
  });

  it("explains an accepted run input: its checks, and the protected-path approval its cards may need", () => {
    const explained = explainPolicy(policy, {
      run_input: runInputFixture({
        cards: [
          {
            card_id: runInputFixture().card_id ?? "",
            title: "x",
            allowed_paths: ["src/**", "migrations/**"],
            planned_approvals: ["protected_path_change"],
          },
        ],
      }),
    })._unsafeUnwrap();
    expect(explained.violations).toEqual([]);
    expect(explained.checks).toEqual(["policy", "lint", "unit"]);
    expect(explained.approvals.map((a) => a.approval_type)).toEqual(["create_pr", "protected_path_change"]);
    expect(explained.approvals[1]?.because).toContain("migrations/**");
  });

  it("fails with a typed error on a policy or subject that does not parse, or a glob that does not compile", () => {
    expect(explainPolicy({}, { paths: [] })._unsafeUnwrapErr().code).toBe("invalid_policy");
    expect(explainPolicy(policy, { files: [] })._unsafeUnwrapErr().code).toBe("invalid_input");
    expect(explainPolicy(policy, { paths: ["a"], allowed_paths: ["src/["] })._unsafeUnwrapErr().code).toBe(
      "invalid_glob",
    );
  });

  it("agrees with evaluateChanges on every verdict (property)", () => {
    const segment = fc.constantFrom("src", "secrets", ".env", "a.pem", "migrations", "x.ts", "SRC", "..", "");
    const path = fc.array(segment, { minLength: 1, maxLength: 4 }).map((s) => s.join("/"));
    const glob = fc.constantFrom(
      "src/**",
      "src",
      "**/.env",
      "secrets",
      "**/*.pem",
      "migrations/**",
      "*.ts",
      "**",
    );
    const file = fc.record({
      path,
      previous_path: fc.option(path, { nil: null }),
      status: fc.constantFrom("added", "modified", "deleted", "renamed"),
      mode: fc.constantFrom(null, "100644", "160000"),
    });
    fc.assert(
      fc.property(
        fc.array(file, { maxLength: 5 }),
        fc.array(glob, { maxLength: 3 }),
        fc.array(glob, { maxLength: 2 }),
        fc.array(glob, { maxLength: 2 }),
        (diff, allowed, forbidden, guarded) => {
          const pol = SystemPolicyProfile.parse(policyFixture({ protected_paths: guarded }));
          const card = { allowed_paths: allowed, forbidden_paths: forbidden };
          const evaluated = evaluateChanges(diff, card, pol)._unsafeUnwrap();
          const explained = explainPolicy(pol, { diff, ...card })._unsafeUnwrap();
          // One explanation per path of each file (path, then previous_path), worst verdict first in evaluateChanges.
          const perFile: string[] = [];
          let i = 0;
          for (const f of diff) {
            const n = f.previous_path === null ? 1 : 2;
            const worst = explained.paths
              .slice(i, i + n)
              .map((p) => p.verdict)
              .sort((a, b) => ORDER.indexOf(a) - ORDER.indexOf(b))[0];
            perFile.push(worst ?? "allowed");
            i += n;
          }
          expect(perFile).toEqual(evaluated.files.map((f) => f.verdict));
          expect(explained.approvals.some((a) => a.approval_type === "protected_path_change")).toBe(
            evaluated.needs_approval !== null,
          );
        },
      ),
      { numRuns: 1500 },
    );
  });
});

const ORDER = ["invalid_path", "forbidden", "outside_allowed", "protected", "allowed"];
