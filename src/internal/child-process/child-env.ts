/**
 * The environment a child process gets: never the whole host environment, only a short list of names passed
 * through, plus values set explicitly. Pure (the host environment comes in as an argument).
 *
 * This file is kept identical in `process-checks/` and `process-dispatch/` (adapters never import each
 * other); a test compares the two copies.
 */

/** Host variables every child gets when present: enough to find programs, a home and a locale. */
export const BASE_ENV_ALLOW: readonly string[] = ["PATH", "HOME", "LANG", "TMPDIR", "CI", "NODE_*"];

/** A variable name, or a prefix ending in `*` (`NODE_*`). */
export const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*\*?$/;

/** True when `name` is matched by `pattern` (an exact name, or a prefix ending in `*`). */
function allows(pattern: string, name: string): boolean {
  return pattern.endsWith("*") ? name.startsWith(pattern.slice(0, -1)) : name === pattern;
}

/**
 * Builds a child's environment: the host variables named by {@link BASE_ENV_ALLOW} and `allow` (exact names or
 * `PREFIX_*`), then `explicit` on top (explicit values win). Host variables not named never reach the child.
 */
export function buildChildEnv(
  allow: readonly string[],
  explicit: Readonly<Record<string, string>>,
  host: Readonly<Record<string, string | undefined>>,
): Record<string, string> {
  const patterns = [...BASE_ENV_ALLOW, ...allow];
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(host)) {
    if (value !== undefined && patterns.some((p) => allows(p, name))) env[name] = value;
  }
  return { ...env, ...explicit };
}
