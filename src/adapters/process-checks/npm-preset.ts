import type {
  CheckCommandConfigInput,
  ConfigurableCheckType,
  ProcessCheckRunnerConfigInput,
} from "./process-checks-config.js";

/**
 * The commands of {@link npmPreset}. `dependency` checks that the installed production tree matches the
 * manifest and lockfile (`npm ls` exits non-zero on missing, invalid or extraneous packages; offline);
 * `security` asks the registry for known advisories at or above the policy's
 * `security_policy.fail_on_severity` (`npm audit`, the threshold through `npm_config_audit_level`; needs the
 * network).
 */
export const NPM_PRESET_COMMANDS: { readonly [T in ConfigurableCheckType]: readonly string[] } = {
  dependency: ["npm", "ls", "--all", "--omit=dev"],
  // No --audit-level here: the runner sets npm_config_audit_level from the policy's fail_on_severity.
  security: ["npm", "audit", "--omit=dev"],
  lint: ["npm", "run", "lint"],
  unit: ["npm", "test"],
  integration: ["npm", "run", "test:integration"],
  e2e: ["npm", "run", "test:e2e"],
};

/** What {@link npmPreset} lets you change: any runner option, and per check type a partial override or `null`. */
export interface NpmPresetOverrides extends Omit<ProcessCheckRunnerConfigInput, "checks"> {
  /** Per check type: fields replacing the preset's (e.g. `{ command: [...] }`), or `null` to leave it out. */
  readonly checks?: { readonly [T in ConfigurableCheckType]?: Partial<CheckCommandConfigInput> | null };
}

/**
 * A runner configuration for an npm project: every configurable check type mapped to its npm command (see
 * {@link NPM_PRESET_COMMANDS}), each overridable or removable. A type removed with `null` is answered
 * `skipped`, which never satisfies a required check; a script missing from `package.json` makes npm exit
 * non-zero, so that check is `failed`. Each check's fresh tree is prepared first: `prepare` defaults to
 * `"detect"`, so a repository with `package-lock.json` gets `npm ci` (pnpm, yarn and the others likewise), one
 * without a lock file gets nothing; pass `prepare: null` to skip it or a command to replace it.
 *
 * @example
 * const checks = createProcessCheckRunner(
 *   npmPreset({ checks: { e2e: null, unit: { command: ["npx", "vitest", "run"] } }, concurrency: 1 }),
 * );
 */
export function npmPreset(overrides: NpmPresetOverrides = {}): ProcessCheckRunnerConfigInput {
  const { checks: perType = {}, prepare = "detect", ...rest } = overrides;
  const checks: { [T in ConfigurableCheckType]?: CheckCommandConfigInput } = {};
  for (const [type, command] of Object.entries(NPM_PRESET_COMMANDS) as [
    ConfigurableCheckType,
    readonly string[],
  ][]) {
    const override = perType[type];
    if (override === null) continue;
    checks[type] = { command: [...command], ...override };
  }
  return { ...rest, prepare, checks };
}
