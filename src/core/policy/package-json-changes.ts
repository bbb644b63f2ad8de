import type { DependencyPolicy } from "../schemas/system-policy-profile.js";
import { type BlockedPackage, parseBlockedPackage, specMayBeBlocked } from "./blocked-packages.js";

/** The dependency sections of a `package.json` that install code. */
export const PACKAGE_JSON_SECTIONS = [
  "dependencies",
  "devDependencies",
  "optionalDependencies",
  "peerDependencies",
] as const;

/** One dependency a change added, removed or changed the version range of, in one manifest. */
export interface DependencyChange {
  /** The manifest's path. */
  readonly manifest: string;
  readonly section: (typeof PACKAGE_JSON_SECTIONS)[number];
  readonly name: string;
  readonly change: "added" | "removed" | "changed";
  /** The version range before (`null` when added). */
  readonly from: string | null;
  /** The version range after (`null` when removed). */
  readonly to: string | null;
}

/** Why a dependency change breaks the policy. */
export interface DependencyFinding {
  readonly change: DependencyChange;
  readonly rule: "blocked_package" | "new_dependencies_not_allowed";
}

type Sections = Partial<Record<(typeof PACKAGE_JSON_SECTIONS)[number], Record<string, string>>>;

/** The dependency sections of a manifest's text; `null` when it is not a JSON object (unreadable). */
function sectionsOf(text: string | null): Sections | null {
  if (text === null) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return null;
  const out: Sections = {};
  for (const section of PACKAGE_JSON_SECTIONS) {
    const value = (parsed as Record<string, unknown>)[section];
    if (typeof value !== "object" || value === null || Array.isArray(value)) continue;
    out[section] = Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([name, range]) => [name, String(range)]),
    );
  }
  return out;
}

/**
 * What a change did to the dependencies of one `package.json`, from its text at the base and at the head
 * (`null`: the file does not exist there). `null` when the head's text is not a JSON object: a manifest the
 * package manager cannot read either, which the `dependency` check fails.
 */
export function packageJsonChanges(
  manifest: string,
  before: string | null,
  after: string | null,
): DependencyChange[] | null {
  const base = sectionsOf(before) ?? {};
  const head = sectionsOf(after);
  if (head === null) return null;
  const changes: DependencyChange[] = [];
  for (const section of PACKAGE_JSON_SECTIONS) {
    const was = base[section] ?? {};
    const now = head[section] ?? {};
    for (const name of [...new Set([...Object.keys(was), ...Object.keys(now)])].sort()) {
      const from = was[name] ?? null;
      const to = now[name] ?? null;
      if (from === to) continue;
      const change = from === null ? "added" : to === null ? "removed" : "changed";
      changes.push({ manifest, section, name, change, from, to });
    }
  }
  return changes;
}

/** The policy's `blocked_packages`, read (entries that do not parse are refused by the schema before this). */
export function blockedPackagesOf(policy: Pick<DependencyPolicy, "blocked_packages">): BlockedPackage[] {
  return policy.blocked_packages.flatMap((entry) => parseBlockedPackage(entry) ?? []);
}

/**
 * Judges dependency changes against the policy: a blocked package added or changed (`blocked_packages`: a name
 * blocks every version, `name@range` a range, which a manifest's spec is blocked by when the two may overlap)
 * and, with `allow_new_dependencies: false`, any dependency added. Removing one is always fine.
 */
export function judgeDependencyChanges(
  changes: readonly DependencyChange[],
  policy: Pick<DependencyPolicy, "allow_new_dependencies" | "blocked_packages">,
): DependencyFinding[] {
  const blocked = blockedPackagesOf(policy);
  const findings: DependencyFinding[] = [];
  for (const change of changes) {
    if (change.change === "removed") continue;
    if (blocked.some((b) => b.name === change.name && specMayBeBlocked(b, change.to ?? "")))
      findings.push({ change, rule: "blocked_package" });
    else if (change.change === "added" && !policy.allow_new_dependencies) {
      findings.push({ change, rule: "new_dependencies_not_allowed" });
    }
  }
  return findings;
}

/** A version change in a few characters: `+ name@to`, `- name@from`, `~ name from → to`. */
export function versionChangeText(c: {
  readonly change: "added" | "removed" | "changed";
  readonly name: string;
  readonly from: string | null;
  readonly to: string | null;
}): string {
  return c.change === "added"
    ? `+ ${c.name}@${c.to}`
    : c.change === "removed"
      ? `- ${c.name}@${c.from}`
      : `~ ${c.name} ${c.from} → ${c.to}`;
}

/** One line per change for a check's output, findings marked. */
export function describeDependencyChanges(
  changes: readonly DependencyChange[],
  findings: readonly DependencyFinding[],
): string {
  const marked = new Map(findings.map((f) => [f.change, f.rule]));
  return changes
    .map((c) => {
      const rule = marked.get(c);
      return `${c.manifest} ${c.section}: ${versionChangeText(c)}${rule ? `  ✗ ${rule}` : ""}`;
    })
    .join("\n");
}
