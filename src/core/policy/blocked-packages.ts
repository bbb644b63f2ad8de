import semver from "semver";

/** One `blocked_packages` entry, read: a package name and the versions blocked (`null`: every version). */
export interface BlockedPackage {
  readonly name: string;
  readonly range: string | null;
}

/**
 * Reads a `blocked_packages` entry: `lodash` blocks every version, `lodash@<4.17.21` (or
 * `@scope/pkg@^1.2.0`) only the versions in that semver range. `null` when the part after `@` is not a range
 * semver can read (the policy schema refuses such entries).
 */
export function parseBlockedPackage(entry: string): BlockedPackage | null {
  // A scoped name starts with `@`: the version separator is the next `@` after it.
  const at = entry.indexOf("@", entry.startsWith("@") ? 1 : 0);
  if (at < 0) return { name: entry, range: null };
  const name = entry.slice(0, at);
  const range = entry.slice(at + 1);
  if (name === "" || semver.validRange(range) === null) return null;
  return { name, range };
}

/**
 * Whether an exact installed version (from a lock file) is blocked by `blocked`. A version semver cannot read
 * counts as blocked: what cannot be shown outside the range is not let through.
 */
export function versionBlocked(blocked: BlockedPackage, version: string): boolean {
  if (blocked.range === null) return true;
  return (
    semver.valid(version) === null || semver.satisfies(version, blocked.range, { includePrerelease: true })
  );
}

/**
 * Whether a manifest's version spec (a range such as `^4.17.0`) may install a blocked version: true when the
 * two ranges intersect, and for specs that are not semver ranges at all (`latest`, git or file URLs, aliases),
 * which may install anything.
 */
export function specMayBeBlocked(blocked: BlockedPackage, spec: string): boolean {
  if (blocked.range === null) return true;
  if (semver.validRange(spec) === null) return true;
  return semver.intersects(spec, blocked.range, { includePrerelease: true });
}

/**
 * Whether a license (an SPDX expression as a lock file records it) is within `allowed`: `MIT` when listed;
 * `(MIT OR Apache-2.0)` when any alternative is; `MIT AND BSD-3-Clause` when all parts are. Compared
 * case-insensitively. A `null` license is never allowed: unknown is not permitted.
 */
export function licenseAllowed(license: string | null, allowed: readonly string[]): boolean {
  if (license === null) return false;
  const ok = new Set(allowed.map((l) => l.toLowerCase()));
  const expression = license.replace(/[()]/g, " ").trim();
  return expression
    .split(/\s+OR\s+/i)
    .some((alternative) =>
      alternative.split(/\s+AND\s+/i).every((part) => ok.has(part.trim().toLowerCase())),
    );
}
