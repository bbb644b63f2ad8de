import { describe, expect, it } from "vitest";
import { policyFixture } from "../../src/testing/index.js";
import { CARD, cardRequest, setup } from "./helpers.js";

const REPO = "https://example.invalid/acme/shop.git";
const remotes = { [REPO]: { "src/adapters/x.ts": "export const x = 1;\n", "src/core/a.ts": "export {};\n" } };
const policy = policyFixture({
  architecture_policy: { forbidden_imports: [{ from: "src/core/**", to: "src/adapters/**" }] },
});

/** A run of one card whose agent commits `files`, under a policy that keeps core from importing adapters. */
async function run(files: Record<string, string>) {
  const { ports, orchestrator } = setup({ remotes, agent: { [CARD]: [{ commits: [{ files }] }] } });
  const built = (
    await orchestrator.triggerBuild(
      cardRequest({ cards: [{ card_id: CARD, title: "Layers", allowed_paths: ["src/**"] }] }, policy),
    )
  )._unsafeUnwrap();
  const approvals = (await ports.storage.listApprovals(built.run.id))._unsafeUnwrap();
  return { built, approvals, policyCheck: built.checks.find((c) => c.check_type === "policy") };
}

describe("the policy check enforces the architecture policy's import rules", () => {
  it("fails on a misbehaving agent's forbidden import, names file and line, and asks nobody for approval", async () => {
    const { built, approvals, policyCheck } = await run({
      "src/core/total.ts": 'import { ok } from "neverthrow";\n\nexport { x } from "../adapters/x.js";\n',
    });
    expect(policyCheck?.status).toBe("failed");
    expect(policyCheck?.output).toContain('src/core/total.ts:3: imports "../adapters/x.js"');
    expect(built.assignments[0]?.phase).toBe("checks_failed");
    expect(approvals).toEqual([]);
  });

  it("passes a change whose imports keep within the rules", async () => {
    const { built, approvals, policyCheck } = await run({
      "src/core/total.ts": 'import { ok } from "neverthrow";\nimport "./a.js";\nexport const t = ok(1);\n',
      "src/adapters/y.ts": 'import { t } from "../core/total.js";\nexport const y = t;\n',
    });
    expect(policyCheck?.status).toBe("passed");
    expect(policyCheck?.output).toContain("imports of 1 file(s) within the architecture rules");
    expect(built.assignments[0]?.phase).toBe("awaiting_approval");
    expect(approvals.length).toBeGreaterThan(0);
  });
});
