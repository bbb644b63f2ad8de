import { z } from "zod";
import {
  EnvName,
  ExactEnvName,
  RegexSource,
  SandboxOption,
} from "../../internal/child-process/config-schemas.js";
import type { ClaudeQuery } from "./claude-query.js";

/** Default wall time of one dispatch when neither the request nor `default_limits` sets one: 30 minutes. */
export const DEFAULT_CLAUDE_TIMEOUT_MS = 1_800_000;
/** Default longest silence of the SDK before the agent is stopped as hung: 10 minutes. */
export const DEFAULT_CLAUDE_INACTIVITY_TIMEOUT_MS = 600_000;
/** Default time between SIGTERM and SIGKILL to the Claude Code process group. */
export const DEFAULT_CLAUDE_KILL_GRACE_MS = 5_000;

/**
 * The tools the agent gets by default (the SDK's `tools`, which restricts what exists for the model, unlike
 * `allowedTools`, which only skips the permission prompt): reading, searching, editing and a shell.
 */
export const DEFAULT_CLAUDE_TOOLS: readonly string[] = ["Read", "Edit", "Write", "Glob", "Grep", "Bash"];

/** The Claude Code settings files a session may load (`settingSources`). */
export const CLAUDE_SETTING_SOURCES = ["user", "project", "local"] as const;

/**
 * The permission modes the dispatcher accepts. `bypassPermissions` is not one of them: it would let tool
 * calls through that nothing judged.
 */
export const CLAUDE_PERMISSION_MODES = ["default", "acceptEdits", "dontAsk", "plan", "auto"] as const;

const PositiveInt = z.number().int().positive();

/** Fallbacks for a request's limits that say `null` (see `AgentLimits`); `null` here too: no bound. */
export const ClaudeDefaultLimits = z.strictObject({
  /** `maxTurns`. Default: none. */
  max_turns: PositiveInt.nullable().default(null),
  /** `maxBudgetUsd`. Default: none. */
  max_cost_usd: z.number().positive().nullable().default(null),
  /** Input plus output tokens, enforced by the dispatcher itself. Default: none. */
  max_tokens: PositiveInt.nullable().default(null),
  /** Wall time (default 30 minutes). */
  timeout_ms: PositiveInt.nullable().default(DEFAULT_CLAUDE_TIMEOUT_MS),
  /** Longest silence of the SDK (default 10 minutes). */
  inactivity_timeout_ms: PositiveInt.nullable().default(DEFAULT_CLAUDE_INACTIVITY_TIMEOUT_MS),
  /** The model, when neither the request nor `model` names one. */
  model: z.string().min(1).nullable().default(null),
});

/** Options of `createClaudeDispatcher`. */
export const ClaudeDispatcherConfig = z.strictObject({
  /** The dispatcher's name (default `"claude-agent"`). */
  name: z.string().min(1).default("claude-agent"),
  /**
   * The Claude Code executable (the SDK's `pathToClaudeCodeExecutable`). Default: the platform binary the
   * SDK installs with it (`@anthropic-ai/claude-agent-sdk-<platform>`). A path ending in `.js`/`.mjs` is run
   * with `node`; anything else is started directly.
   */
  path_to_claude_code_executable: z.string().min(1).optional(),
  /**
   * Host variables passed through to Claude Code, on top of PATH, HOME, LANG, TMPDIR, CI and NODE_* (exact
   * names or `PREFIX_*`). Nothing else of the host environment reaches it: the SDK's `env` replaces the
   * environment, and the dispatcher passes exactly this. `ANTHROPIC_API_KEY` must be listed to be passed.
   */
  env_allow: z.array(EnvName).default([]),
  /** Variables set for Claude Code (they win over passed-through ones). */
  env: z.record(ExactEnvName, z.string()).default({}),
  /** The tools that exist for the agent (the SDK's `tools`; default {@link DEFAULT_CLAUDE_TOOLS}). */
  tools: z.array(z.string().min(1)).default([...DEFAULT_CLAUDE_TOOLS]),
  /**
   * Tools removed even when listed in `tools` (the SDK's `disallowedTools`). `WebFetch` and `WebSearch` are
   * added for a request whose sandbox policy says no network.
   */
  disallowed_tools: z.array(z.string().min(1)).default([]),
  /** Fallbacks for the request's limits that are `null`. */
  default_limits: ClaudeDefaultLimits.default(ClaudeDefaultLimits.parse({})),
  /**
   * Where the per-execution markers live (default `<os tmpdir>/rungate-executions`, shared with the other
   * agent dispatchers). Use a durable directory in production: it is what runs each execution once.
   */
  state_dir: z.string().min(1).optional(),
  /**
   * The settings files Claude Code loads (`settingSources`). Default none, so that a `.claude/settings.json`
   * an agent writes into its worktree cannot widen its own permissions (nor can the user's settings).
   * `project` is also what loads `CLAUDE.md`.
   */
  setting_sources: z.array(z.enum(CLAUDE_SETTING_SOURCES)).default([]),
  /** The model, when the request's `limits.model` is `null` (default: Claude Code's default). */
  model: z.string().min(1).optional(),
  /**
   * Claude Code's permission mode (default `"default"`: file edits and most shell commands ask, and the
   * dispatcher answers). Whatever the mode, every tool call is judged by the dispatcher's PreToolUse hook.
   */
  permission_mode: z.enum(CLAUDE_PERMISSION_MODES).default("default"),
  /**
   * `CLAUDE_CONFIG_DIR` of the agent: where Claude Code keeps sessions (needed to resume them) and its own
   * settings. Default: Claude Code's (`~/.claude`), or `<state_dir>/claude-config` when a `sandbox` is set
   * (a sandbox hides the home directory; this one is made writable in it).
   */
  claude_config_dir: z.string().min(1).optional(),
  /**
   * Runs Claude Code in this sandbox (`rungate/sandbox`), through the SDK's `spawnClaudeCodeProcess`: the
   * worktree, the clone's common git dir and the config dir writable, the rest read-only or hidden. Create
   * it with the network it needs (Claude Code must reach its model API: `allow_hosts`).
   */
  sandbox: SandboxOption.optional(),
  /** Extra secrets to redact from progress, summary and messages: regular-expression sources. */
  redact_patterns: z.array(RegexSource).default([]),
  /** Time between SIGTERM and SIGKILL to the Claude Code process group when it is stopped (default 5 s). */
  kill_grace_ms: z.number().int().nonnegative().max(600_000).default(DEFAULT_CLAUDE_KILL_GRACE_MS),
  /**
   * The SDK's `query` (default: `query` of `@anthropic-ai/claude-agent-sdk`, imported on first dispatch). A
   * seam for tests and wrappers.
   */
  query: z
    .custom<ClaudeQuery>((v) => typeof v === "function", "expected the SDK's query function")
    .optional(),
});
/** Parsed {@link ClaudeDispatcherConfig}. */
export type ClaudeDispatcherConfig = z.infer<typeof ClaudeDispatcherConfig>;
/** {@link ClaudeDispatcherConfig} as written by a user (defaults optional). */
export type ClaudeDispatcherConfigInput = z.input<typeof ClaudeDispatcherConfig>;
