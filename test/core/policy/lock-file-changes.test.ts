import { describe, expect, it } from "vitest";
import {
  licenseAllowed,
  parseBlockedPackage,
  specMayBeBlocked,
  versionBlocked,
} from "../../../src/core/policy/blocked-packages.js";
import { lockedPackages, lockFileChanges } from "../../../src/core/policy/lock-file-changes.js";
import { judgeLockFileChanges } from "../../../src/core/policy/lock-file-judgement.js";
import { judgeDependencyChanges, packageJsonChanges } from "../../../src/core/policy/package-json-changes.js";
import { SystemPolicyProfile } from "../../../src/core/schemas/system-policy-profile.js";
import { policyFixture } from "../../../src/testing/index.js";

/** An npm v3 lock file installing `packages` (location → version and license). */
function lock(packages: Record<string, { version: string; license?: string }>): string {
  return JSON.stringify({
    name: "shop",
    lockfileVersion: 3,
    packages: {
      "": { name: "shop", dependencies: {} },
      ...Object.fromEntries(Object.entries(packages).map(([loc, p]) => [`node_modules/${loc}`, p])),
      "packages/web": { name: "web" },
      "node_modules/web": { resolved: "packages/web", link: true },
    },
  });
}

describe("blocked packages with versions", () => {
  it("reads name and name@range, scoped names included, and refuses a range semver cannot read", () => {
    expect(parseBlockedPackage("lodash")).toEqual({ name: "lodash", range: null });
    expect(parseBlockedPackage("lodash@<4.17.21")).toEqual({ name: "lodash", range: "<4.17.21" });
    expect(parseBlockedPackage("@acme/pkg@^1.2.0")).toEqual({ name: "@acme/pkg", range: "^1.2.0" });
    expect(parseBlockedPackage("@acme/pkg")).toEqual({ name: "@acme/pkg", range: null });
    expect(parseBlockedPackage("lodash@not a range!")).toBeNull();
    const refused = SystemPolicyProfile.safeParse(
      policyFixture({ dependency_policy: { blocked_packages: ["lodash@not a range!"] } }),
    );
    expect(refused.success).toBe(false);
  });

  it("blocks an exact version inside the range, and a manifest spec that may reach it", () => {
    const old = { name: "lodash", range: "<4.17.21" };
    expect(versionBlocked(old, "4.17.20")).toBe(true);
    expect(versionBlocked(old, "4.17.21")).toBe(false);
    expect(versionBlocked(old, "not-semver")).toBe(true);
    expect(specMayBeBlocked(old, "^4.17.0")).toBe(true);
    expect(specMayBeBlocked(old, "^4.17.21")).toBe(false);
    expect(specMayBeBlocked(old, "github:lodash/lodash")).toBe(true);
    const changes = packageJsonChanges(
      "package.json",
      null,
      JSON.stringify({ dependencies: { lodash: "^4.17.21" } }),
    );
    const policy = { allow_new_dependencies: true, blocked_packages: ["lodash@<4.17.21"] };
    expect(judgeDependencyChanges(changes ?? [], policy)).toEqual([]);
    const risky = packageJsonChanges(
      "package.json",
      null,
      JSON.stringify({ dependencies: { lodash: "^4.0.0" } }),
    );
    expect(judgeDependencyChanges(risky ?? [], policy).map((f) => f.rule)).toEqual(["blocked_package"]);
  });

  it("reads SPDX expressions for the license allow-list; an unrecorded license is never allowed", () => {
    const allowed = ["MIT", "Apache-2.0", "BSD-3-Clause"];
    expect(licenseAllowed("MIT", allowed)).toBe(true);
    expect(licenseAllowed("mit", allowed)).toBe(true);
    expect(licenseAllowed("(GPL-3.0 OR MIT)", allowed)).toBe(true);
    expect(licenseAllowed("MIT AND GPL-3.0", allowed)).toBe(false);
    expect(licenseAllowed("GPL-3.0", allowed)).toBe(false);
    expect(licenseAllowed(null, allowed)).toBe(false);
  });
});

describe("npm lock files", () => {
  it("lists what a lock file installs, without the root and workspace links; refuses what is not a lock file", () => {
    expect(Object.keys(lockedPackages(lock({ zod: { version: "4.0.0" } })) ?? {})).toEqual([
      "node_modules/zod",
    ]);
    expect(lockedPackages("not json")).toBeNull();
    expect(lockedPackages(JSON.stringify({ lockfileVersion: 1, dependencies: {} }))).toBeNull();
    expect(lockedPackages(null)).toEqual({});
  });

  it("finds a transitive package the change pins to a blocked version, and licenses outside the allow-list", () => {
    const before = lock({ zod: { version: "4.0.0", license: "MIT" } });
    const after = lock({
      zod: { version: "4.1.0", license: "MIT" },
      "left-pad": { version: "1.3.0", license: "WTFPL" },
      "a/node_modules/lodash": { version: "4.17.20", license: "MIT" },
      mystery: { version: "1.0.0" },
    });
    const changes = lockFileChanges("package-lock.json", before, after) ?? [];
    expect(changes.map((c) => [c.location, c.change, c.from, c.to])).toEqual([
      ["node_modules/a/node_modules/lodash", "added", null, "4.17.20"],
      ["node_modules/left-pad", "added", null, "1.3.0"],
      ["node_modules/mystery", "added", null, "1.0.0"],
      ["node_modules/zod", "changed", "4.0.0", "4.1.0"],
    ]);
    const findings = judgeLockFileChanges(changes, {
      blocked_packages: ["lodash@<4.17.21"],
      allowed_licenses: ["MIT", "Apache-2.0"],
    });
    expect(findings.map((f) => [f.change.name, f.rule])).toEqual([
      ["lodash", "blocked_package"],
      ["left-pad", "license_not_allowed"],
      ["mystery", "license_unknown"],
    ]);
    // Without an allow-list, licenses are not judged.
    expect(judgeLockFileChanges(changes, { blocked_packages: [], allowed_licenses: null })).toEqual([]);
  });
});
