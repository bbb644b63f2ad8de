import { describe, expect, it } from "vitest";
import { policyFixture } from "../../src/testing/index.js";
import { CARD, cardRequest, setup } from "./helpers.js";

// Shapes only: none of these is a live credential.
const AWS_KEY = "AKIAQ3EXAMPLE7PLAINF";
const OWN = `ACME-${"0f".repeat(16)}`;

const policy = (security_policy: Record<string, unknown> = {}) =>
  policyFixture({ required_checks: ["policy", "security", "unit"], security_policy });

describe("the security check's secret scan (a hostile agent commits a credential)", () => {
  it("fails security naming file and line, asks nobody, and stores the secret nowhere", async () => {
    const { ports, orchestrator } = setup({
      agent: {
        [CARD]: [
          {
            commits: [
              { files: { "src/cart/total.ts": "export const total = 1;\n" } },
              { files: { "src/cart/aws.ts": `// setup\nexport const key = "${AWS_KEY}";\n` } },
            ],
          },
        ],
      },
    });
    const built = (await orchestrator.triggerBuild(cardRequest({}, policy())))._unsafeUnwrap();
    expect(built.assignments[0]?.phase).toBe("checks_failed");
    expect(built.approvals).toEqual([]);
    const security = built.checks.find((c) => c.check_type === "security");
    expect(security?.status).toBe("failed");
    expect(security?.output).toBe("src/cart/aws.ts:2: looks like a secret (aws-access-key-id)");
    // The check runner was never asked: the scan decided.
    expect(ports.checks.runs.map((r) => r.request.check_type)).not.toContain("security");
    expect(JSON.stringify(ports.storage.snapshot())).not.toContain(AWS_KEY);
  });

  it("uses the policy's own patterns, and lets a clean diff go on to the runner's security check", async () => {
    const dirty = setup({
      agent: { [CARD]: [{ commits: [{ files: { "src/cart/t.ts": `x = "${OWN}"\n` } }] }] },
    });
    const own = policy({ secret_patterns: ["ACME-[0-9a-f]{32}"] });
    const caught = (await dirty.orchestrator.triggerBuild(cardRequest({}, own)))._unsafeUnwrap();
    expect(caught.checks.find((c) => c.check_type === "security")?.output).toBe(
      "src/cart/t.ts:1: looks like a secret (policy:0)",
    );

    const clean = setup({ agent: { [CARD]: [{ commits: [{ files: { "src/cart/t.ts": "x = 1\n" } }] }] } });
    const passed = (await clean.orchestrator.triggerBuild(cardRequest({}, own)))._unsafeUnwrap();
    expect(passed.run.phase).toBe("awaiting_approval");
    expect(clean.ports.checks.runs.map((r) => r.request.check_type)).toContain("security");
  });

  it("judges only added lines: a secret already in the base, or one the agent deletes, is not this card's", async () => {
    const { orchestrator } = setup({
      remotes: { "https://example.invalid/acme/shop.git": { "src/cart/old.ts": `k = "${AWS_KEY}"\n` } },
      agent: { [CARD]: [{ commits: [{ files: { "src/cart/old.ts": null, "src/cart/t.ts": "ok\n" } }] }] },
    });
    const built = (await orchestrator.triggerBuild(cardRequest({}, policy())))._unsafeUnwrap();
    expect(built.checks.find((c) => c.check_type === "security")?.status).toBe("passed");
  });

  it("is off with block_secrets: false, and a pattern that does not compile is refused with the policy", async () => {
    const { orchestrator } = setup({
      agent: { [CARD]: [{ commits: [{ files: { "src/cart/aws.ts": `k = "${AWS_KEY}"\n` } }] }] },
    });
    const off = (
      await orchestrator.triggerBuild(cardRequest({}, policy({ block_secrets: false })))
    )._unsafeUnwrap();
    expect(off.checks.find((c) => c.check_type === "security")?.status).toBe("passed");
    const bad = await orchestrator.triggerBuild(cardRequest({}, policy({ secret_patterns: ["(unclosed"] })));
    expect(bad._unsafeUnwrapErr()).toMatchObject({ kind: "validation", code: "invalid_policy" });
  });

  it("runs secretlint's recommended preset too: a database password in a URL, even under a disable comment", async () => {
    const password = "S3cr3tPassw0rd99";
    const url = `postgres://admin:${password}@db.internal:5432/app`;
    const { ports, orchestrator } = setup({
      agent: {
        [CARD]: [
          {
            commits: [
              {
                files: {
                  "src/db.ts": `export const a = 1;\n// secretlint-disable-next-line\nexport const url = "${url}";\n`,
                },
              },
            ],
          },
        ],
      },
    });
    const built = (await orchestrator.triggerBuild(cardRequest({}, policy())))._unsafeUnwrap();
    const security = built.checks.find((c) => c.check_type === "security");
    expect(security?.status).toBe("failed");
    expect(security?.output).toBe("src/db.ts:3: looks like a secret (secretlint:database-connection-string)");
    expect(JSON.stringify(ports.storage.snapshot())).not.toContain(password);
  });
});
