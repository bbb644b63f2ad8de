import { readFile } from "node:fs/promises";
import { errAsync, fromPromise, okAsync, type ResultAsync, SystemPolicyProfile } from "../index.js";
import { type CliError, usageError, zodUsageError } from "./cli-error.js";

/**
 * What `rungate run` forbids when no `--policy` file is given: environment files, keys and certificates,
 * anything under a `secrets` folder. Globs, matched case-insensitively (docs/path-rules.md).
 */
export const DEFAULT_FORBIDDEN_PATHS: readonly string[] = [
  "**/.env",
  "**/.env.*",
  "**/*.pem",
  "**/*.key",
  "**/id_rsa*",
  "**/secrets/**",
];

/** The ids and time a policy gets when its file leaves them out. */
export interface PolicyDefaults {
  readonly policy_id: string;
  readonly project_id: string;
  /** ISO time for `updated_at`. */
  readonly now: string;
}

/**
 * The policy `rungate run` uses without `--policy`: the `policy` check (rungate's own path rules) plus each
 * check given with `--check`, {@link DEFAULT_FORBIDDEN_PATHS}, nothing protected, every other section at its
 * default.
 */
export function defaultPolicy(checks: readonly string[], ids: PolicyDefaults): SystemPolicyProfile {
  return SystemPolicyProfile.parse({
    id: ids.policy_id,
    project_id: ids.project_id,
    required_checks: [...new Set(["policy", ...checks])],
    forbidden_paths: [...DEFAULT_FORBIDDEN_PATHS],
    updated_at: ids.now,
  });
}

/**
 * Reads a policy from a JSON file: a `SystemPolicyProfile` whose `id`, `project_id` and `updated_at` may be
 * left out (filled from `defaults`). A file that cannot be read, is not JSON or is not a valid policy is a
 * usage error naming each problem.
 */
export function readPolicyFile(
  path: string,
  defaults: PolicyDefaults,
): ResultAsync<SystemPolicyProfile, CliError> {
  return fromPromise(readFile(path, "utf8"), (cause) =>
    usageError(`cannot read the policy file ${path}: ${(cause as Error).message}`),
  ).andThen((text) => {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (cause) {
      return errAsync(usageError(`the policy file ${path} is not JSON: ${(cause as Error).message}`));
    }
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
      return errAsync(usageError(`the policy file ${path} must hold a JSON object (a SystemPolicyProfile)`));
    }
    const parsed = SystemPolicyProfile.safeParse({
      id: defaults.policy_id,
      project_id: defaults.project_id,
      updated_at: defaults.now,
      ...raw,
    });
    return parsed.success
      ? okAsync(parsed.data)
      : errAsync(zodUsageError(`the policy file ${path} is not a valid policy:`, parsed.error));
  });
}
