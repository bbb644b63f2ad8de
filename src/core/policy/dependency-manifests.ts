/**
 * File names that declare or pin dependencies, across the ecosystems agents commonly touch. A change to one
 * of them is a dependency change for `dependency_policy.require_approval_for_changes`.
 */
export const DEPENDENCY_MANIFESTS: ReadonlySet<string> = new Set([
  "package.json",
  "package-lock.json",
  "npm-shrinkwrap.json",
  "yarn.lock",
  "pnpm-lock.yaml",
  "bun.lockb",
  "requirements.txt",
  "pyproject.toml",
  "poetry.lock",
  "Pipfile",
  "Pipfile.lock",
  "go.mod",
  "go.sum",
  "Cargo.toml",
  "Cargo.lock",
  "Gemfile",
  "Gemfile.lock",
  "pom.xml",
  "build.gradle",
  "build.gradle.kts",
  "composer.json",
  "composer.lock",
]);

/** The changed paths (at any depth) that are dependency manifests or lock files. */
export function dependencyManifestPaths(paths: readonly string[]): string[] {
  return paths.filter((p) => DEPENDENCY_MANIFESTS.has(p.split("/").at(-1) ?? ""));
}
