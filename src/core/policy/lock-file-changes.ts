/** One installed package as an npm lock file (v2/v3 `packages`) pins it. */
export interface LockedPackage {
  readonly name: string;
  readonly version: string;
  /** The package's license as the lock file records it; `null` when it records none. */
  readonly license: string | null;
}

/** A package the lock file now installs, or installs at another version, than at the base. */
export interface LockedPackageChange {
  /** The lock file's path. */
  readonly lock_file: string;
  /** Where it installs: `node_modules/a/node_modules/b`. */
  readonly location: string;
  readonly name: string;
  readonly change: "added" | "removed" | "changed";
  readonly from: string | null;
  readonly to: string | null;
  /** The license at the head (`null`: none recorded, or removed). */
  readonly license: string | null;
}

/** The file names read as npm lock files. */
export const NPM_LOCK_FILES: ReadonlySet<string> = new Set(["package-lock.json", "npm-shrinkwrap.json"]);

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** The package name of a `packages` key: the part after its last `node_modules/`. */
function nameOf(location: string, entry: Record<string, unknown>): string {
  if (typeof entry.name === "string") return entry.name;
  const at = location.lastIndexOf("node_modules/");
  return at < 0 ? location : location.slice(at + "node_modules/".length);
}

/** A license field as text: a string, or the old `{ type }` object form. */
function licenseOf(entry: Record<string, unknown>): string | null {
  if (typeof entry.license === "string") return entry.license;
  if (isObject(entry.license) && typeof entry.license.type === "string") return entry.license.type;
  return null;
}

/**
 * The packages an npm lock file (lockfileVersion 2 or 3) installs, by location; `{}` for `null` (no file),
 * `null` when the text is not a lock file with a `packages` object (lockfileVersion 1 is not read: npm 7+
 * writes 2 or 3). The root entry (`""`) and links to workspace folders are not packages from a registry and
 * are left out.
 */
export function lockedPackages(text: string | null): Record<string, LockedPackage> | null {
  if (text === null) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isObject(parsed) || !isObject(parsed.packages)) return null;
  const out: Record<string, LockedPackage> = {};
  for (const [location, entry] of Object.entries(parsed.packages)) {
    if (location === "" || !isObject(entry) || entry.link === true) continue;
    if (!location.includes("node_modules/")) continue;
    out[location] = {
      name: nameOf(location, entry),
      version: typeof entry.version === "string" ? entry.version : "",
      license: licenseOf(entry),
    };
  }
  return out;
}

/**
 * What a change did to the packages an npm lock file installs, from its text at the base and at the head:
 * every location added, removed, or pinned to another version. `null` when the head's text is not a lock file
 * npm can read (the `dependency` check fails then).
 */
export function lockFileChanges(
  lockFile: string,
  before: string | null,
  after: string | null,
): LockedPackageChange[] | null {
  const base = lockedPackages(before) ?? {};
  const head = lockedPackages(after);
  if (head === null) return null;
  const changes: LockedPackageChange[] = [];
  for (const location of [...new Set([...Object.keys(base), ...Object.keys(head)])].sort()) {
    const was = base[location];
    const now = head[location];
    if (was?.version === now?.version && was?.name === now?.name) continue;
    changes.push({
      lock_file: lockFile,
      location,
      name: (now ?? was)?.name ?? location,
      change: was === undefined ? "added" : now === undefined ? "removed" : "changed",
      from: was?.version ?? null,
      to: now?.version ?? null,
      license: now?.license ?? null,
    });
  }
  return changes;
}
