import { describe, expect, it } from "vitest";
import { policyFixture } from "../../src/testing/index.js";
import { CARD, cardRequest, setup } from "./helpers.js";

const BASE_MANIFEST = `${JSON.stringify({ name: "shop", dependencies: { zod: "^4.0.0" } }, null, 2)}\n`;
const withDeps = (deps: Record<string, string>) =>
  `${JSON.stringify({ name: "shop", dependencies: { zod: "^4.0.0", ...deps } }, null, 2)}\n`;
const remotes = {
  "https://example.invalid/acme/shop.git": { "package.json": BASE_MANIFEST, "src/index.ts": "x\n" },
};
const policy = (dependency_policy: Record<string, unknown>) =>
  policyFixture({
    required_checks: ["policy", "dependency", "unit"],
    dependency_policy,
    protected_paths: [],
  });
const request = (p: ReturnType<typeof policy>) =>
  cardRequest({ cards: [{ card_id: CARD, title: "Deps", allowed_paths: ["**"] }] }, p);

describe("the dependency check reads what the agent did to package.json (a hostile agent adds packages)", () => {
  it("fails a blocked package before the runner is asked, and asks nobody", async () => {
    const { ports, orchestrator } = setup({
      remotes,
      agent: {
        [CARD]: [{ commits: [{ files: { "package.json": withDeps({ "event-stream": "3.3.6" }) } }] }],
      },
    });
    const built = (
      await orchestrator.triggerBuild(request(policy({ blocked_packages: ["event-stream"] })))
    )._unsafeUnwrap();
    expect(built.assignments[0]?.phase).toBe("checks_failed");
    expect(built.approvals).toEqual([]);
    expect(built.checks.find((c) => c.check_type === "dependency")).toMatchObject({
      status: "failed",
      output: "package.json dependencies: + event-stream@3.3.6  ✗ blocked_package",
    });
    expect(ports.checks.runs.map((r) => r.request.check_type)).not.toContain("dependency");
  });

  it("fails any new dependency when the policy allows none, and lets a version bump through to the runner", async () => {
    const added = setup({
      remotes,
      agent: { [CARD]: [{ commits: [{ files: { "package.json": withDeps({ "left-pad": "1.3.0" }) } }] }] },
    });
    const strict = policy({ allow_new_dependencies: false });
    const refused = (await added.orchestrator.triggerBuild(request(strict)))._unsafeUnwrap();
    expect(refused.checks.find((c) => c.check_type === "dependency")?.output).toContain(
      "+ left-pad@1.3.0  ✗ new_dependencies_not_allowed",
    );

    const bumped = setup({
      remotes,
      agent: {
        [CARD]: [{ commits: [{ files: { "package.json": BASE_MANIFEST.replace("^4.0.0", "^4.1.0") } }] }],
      },
    });
    const passed = (await bumped.orchestrator.triggerBuild(request(strict)))._unsafeUnwrap();
    const check = passed.checks.find((c) => c.check_type === "dependency");
    expect(check?.status).toBe("passed");
    expect(check?.output).toContain("package.json dependencies: ~ zod ^4.0.0 → ^4.1.0");
    expect(bumped.ports.checks.runs.map((r) => r.request.check_type)).toContain("dependency");
  });

  it("fails a package.json no package manager can read", async () => {
    const { orchestrator } = setup({
      remotes,
      agent: { [CARD]: [{ commits: [{ files: { "package.json": "{ broken" } }] }] },
    });
    const built = (await orchestrator.triggerBuild(request(policy({}))))._unsafeUnwrap();
    expect(built.checks.find((c) => c.check_type === "dependency")).toMatchObject({
      status: "failed",
      output: "package.json: not readable as a manifest or lock file by its package manager",
    });
  });
});

describe("the dependency check reads what the agent did to package-lock.json", () => {
  const lockWith = (packages: Record<string, { version: string; license?: string }>) =>
    JSON.stringify({
      name: "shop",
      lockfileVersion: 3,
      packages: {
        "": { name: "shop" },
        ...Object.fromEntries(Object.entries(packages).map(([n, p]) => [`node_modules/${n}`, p])),
      },
    });
  const lockRemotes = {
    "https://example.invalid/acme/shop.git": {
      "package.json": BASE_MANIFEST,
      "package-lock.json": lockWith({ zod: { version: "4.0.0", license: "MIT" } }),
      "src/index.ts": "x\n",
    },
  };

  it("fails a transitive package pinned to a blocked version and a license outside the allow-list", async () => {
    const { ports, orchestrator } = setup({
      remotes: lockRemotes,
      agent: {
        [CARD]: [
          {
            commits: [
              {
                // Only the lock file changes: the manifest looks innocent.
                files: {
                  "package-lock.json": lockWith({
                    zod: { version: "4.0.0", license: "MIT" },
                    "zod/node_modules/lodash": { version: "4.17.20", license: "MIT" },
                    "left-pad": { version: "1.3.0", license: "WTFPL" },
                  }),
                },
              },
            ],
          },
        ],
      },
    });
    const built = (
      await orchestrator.triggerBuild(
        request(policy({ blocked_packages: ["lodash@<4.17.21"], allowed_licenses: ["MIT", "ISC"] })),
      )
    )._unsafeUnwrap();
    const check = built.checks.find((c) => c.check_type === "dependency");
    expect(check?.status).toBe("failed");
    expect(check?.output).toContain(
      "package-lock.json node_modules/zod/node_modules/lodash: + lodash@4.17.20 (MIT)  ✗ blocked_package",
    );
    expect(check?.output).toContain(
      "package-lock.json node_modules/left-pad: + left-pad@1.3.0 (WTFPL)  ✗ license_not_allowed",
    );
    expect(built.approvals).toEqual([]);
    expect(ports.checks.runs.map((r) => r.request.check_type)).not.toContain("dependency");
  });

  it("lets a lock file within the policy through to the runner, listing what changed", async () => {
    const { orchestrator } = setup({
      remotes: lockRemotes,
      agent: {
        [CARD]: [
          {
            commits: [
              { files: { "package-lock.json": lockWith({ zod: { version: "4.1.0", license: "MIT" } }) } },
            ],
          },
        ],
      },
    });
    const built = (
      await orchestrator.triggerBuild(
        request(policy({ blocked_packages: ["lodash@<4.17.21"], allowed_licenses: ["MIT"] })),
      )
    )._unsafeUnwrap();
    const check = built.checks.find((c) => c.check_type === "dependency");
    expect(check?.status).toBe("passed");
    expect(check?.output).toContain("package-lock.json node_modules/zod: ~ zod 4.0.0 → 4.1.0 (MIT)");
  });
});
