import { z } from "zod";
import {
  EnvName,
  ExactEnvName,
  RegexSource,
  SandboxOption,
} from "../../internal/child-process/config-schemas.js";

/** The check types a command can be configured for: every type but `policy`, which is rungate's own. */
export const CONFIGURABLE_CHECK_TYPES = [
  "dependency",
  "security",
  "lint",
  "unit",
  "integration",
  "e2e",
] as const;

/** One of {@link CONFIGURABLE_CHECK_TYPES}. */
export type ConfigurableCheckType = (typeof CONFIGURABLE_CHECK_TYPES)[number];

/** Default time a check may run: 10 minutes. */
export const DEFAULT_CHECK_TIMEOUT_MS = 600_000;
/** Default output kept per check: the last 64 KiB. */
export const DEFAULT_OUTPUT_CAP_BYTES = 65_536;
/** Default time between SIGTERM and SIGKILL to a check's process group. */
export const DEFAULT_KILL_GRACE_MS = 5_000;
/** Default number of checks one runner runs at once. */
export const DEFAULT_CHECK_CONCURRENCY = 2;

/** How one check type is run: a command (argv) in the worktree, its environment, limits. */
export const CheckCommandConfig = z.strictObject({
  /** Program and arguments, e.g. `["npm", "test"]`. Never a shell string unless `shell` is set. */
  command: z.array(z.string().min(1)).min(1, "a command needs at least the program"),
  /**
   * Host variables passed through, on top of PATH, HOME, LANG, TMPDIR, CI and NODE_* (exact names or
   * `PREFIX_*`). Nothing else of the host environment reaches the check.
   */
  env_allow: z.array(EnvName).default([]),
  /** Variables set for the check (they win over passed-through ones). */
  env: z.record(ExactEnvName, z.string()).default({}),
  /** Time limit (default 10 minutes); a call's own `timeout_ms` can only shorten it. */
  timeout_ms: z.number().int().positive().default(DEFAULT_CHECK_TIMEOUT_MS),
  /** The output kept: the last this many bytes (default 64 KiB). */
  output_cap_bytes: z
    .number()
    .int()
    .min(256)
    .max(16 * 1024 * 1024)
    .default(DEFAULT_OUTPUT_CAP_BYTES),
  /** Run `command` joined by spaces through `/bin/sh` (opt-in; default false). */
  shell: z.boolean().default(false),
});
/** Parsed {@link CheckCommandConfig}. */
export type CheckCommandConfig = z.infer<typeof CheckCommandConfig>;
/** {@link CheckCommandConfig} as written by a user (defaults optional). */
export type CheckCommandConfigInput = z.input<typeof CheckCommandConfig>;

const POLICY_REFUSED =
  "`policy` is rungate's own check (the path rules on the real diff) and cannot be configured as a command";

/** The commands per check type. A type left out is answered `skipped`. */
export const CheckCommands = z.strictObject({
  dependency: CheckCommandConfig.optional(),
  security: CheckCommandConfig.optional(),
  lint: CheckCommandConfig.optional(),
  unit: CheckCommandConfig.optional(),
  integration: CheckCommandConfig.optional(),
  e2e: CheckCommandConfig.optional(),
  policy: z.never({ error: POLICY_REFUSED }).optional(),
});

/**
 * The prepare step: what installs a check tree's dependencies before its check runs. `"detect"` picks a preset
 * from the tree's root files (`detectPreparePreset`), a preset name forces one, a command config runs that;
 * `null` (default) prepares nothing.
 */
export const PrepareConfig = z
  .union([
    z.literal("detect"),
    z.enum(["npm", "pnpm", "yarn", "uv", "pip", "go", "cargo"]),
    CheckCommandConfig,
  ])
  .nullable();
/** Parsed {@link PrepareConfig}. */
export type PrepareConfig = z.infer<typeof PrepareConfig>;

/** Options of `createProcessCheckRunner`. */
export const ProcessCheckRunnerConfig = z.strictObject({
  /** The runner's name (default `"process-check-runner"`). */
  name: z.string().min(1).default("process-check-runner"),
  /** The command per check type. */
  checks: CheckCommands,
  /**
   * Installs dependencies in each check's fresh tree before the check (see {@link PrepareConfig}), recorded as
   * its own step in the result (`prepare`). A prepare that fails fails the check; one that cannot start
   * makes it `error`. Default `null`: nothing is installed.
   */
  prepare: PrepareConfig.default(null),
  /**
   * A directory for package managers' download caches, shared by every check tree of every card (npm, pnpm,
   * yarn, uv, pip, Go modules, Cargo), so that each tree's own install is mostly a copy. Default `null`: each
   * manager's own default cache.
   */
  cache_dir: z.string().min(1).nullable().default(null),
  /** Extra secrets to redact from output: regular-expression sources. */
  redact_patterns: z.array(RegexSource).default([]),
  /** How many checks this runner runs at once, across all calls (default 2). */
  concurrency: z.number().int().min(1).max(64).default(DEFAULT_CHECK_CONCURRENCY),
  /** Time between SIGTERM and SIGKILL to a check's process group on timeout or abort (default 5 s). */
  kill_grace_ms: z.number().int().nonnegative().max(600_000).default(DEFAULT_KILL_GRACE_MS),
  /**
   * Runs every check in this sandbox (`rungate/sandbox`): its tree writable, the rest of the file system
   * read-only, its own PID namespace, network as the sandbox says. Checks run the agent's code.
   */
  sandbox: SandboxOption.optional(),
});
/** Parsed {@link ProcessCheckRunnerConfig}. */
export type ProcessCheckRunnerConfig = z.infer<typeof ProcessCheckRunnerConfig>;
/** {@link ProcessCheckRunnerConfig} as written by a user (defaults optional). */
export type ProcessCheckRunnerConfigInput = z.input<typeof ProcessCheckRunnerConfig>;
