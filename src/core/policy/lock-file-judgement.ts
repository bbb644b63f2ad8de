import type { DependencyPolicy } from "../schemas/system-policy-profile.js";
import { licenseAllowed, versionBlocked } from "./blocked-packages.js";
import type { LockedPackageChange } from "./lock-file-changes.js";
import { blockedPackagesOf, versionChangeText } from "./package-json-changes.js";

/** Why a package a lock file now installs breaks the dependency policy. */
export interface LockFileFinding {
  readonly change: LockedPackageChange;
  readonly rule: "blocked_package" | "license_not_allowed" | "license_unknown";
}

/**
 * Judges what a lock file now installs (direct and transitive packages alike) against the dependency policy:
 * a blocked package at a blocked version, and, when the policy has `allowed_licenses`, a package whose license
 * is not among them or is not recorded at all. Removed packages are always fine.
 */
export function judgeLockFileChanges(
  changes: readonly LockedPackageChange[],
  policy: Pick<DependencyPolicy, "blocked_packages" | "allowed_licenses">,
): LockFileFinding[] {
  const blocked = blockedPackagesOf(policy);
  const findings: LockFileFinding[] = [];
  for (const change of changes) {
    if (change.change === "removed" || change.to === null) continue;
    const version = change.to;
    if (blocked.some((b) => b.name === change.name && versionBlocked(b, version))) {
      findings.push({ change, rule: "blocked_package" });
    } else if (policy.allowed_licenses !== null && !licenseAllowed(change.license, policy.allowed_licenses)) {
      findings.push({ change, rule: change.license === null ? "license_unknown" : "license_not_allowed" });
    }
  }
  return findings;
}

/** One line per lock file change for a check's output, findings marked. */
export function describeLockFileChanges(
  changes: readonly LockedPackageChange[],
  findings: readonly LockFileFinding[],
): string {
  const marked = new Map(findings.map((f) => [f.change, f.rule]));
  return changes
    .map((c) => {
      const what = versionChangeText(c);
      const license = c.change === "removed" ? "" : ` (${c.license ?? "no license recorded"})`;
      const rule = marked.get(c);
      return `${c.lock_file} ${c.location}: ${what}${license}${rule ? `  ✗ ${rule}` : ""}`;
    })
    .join("\n");
}
