import { z } from "zod";
import { EnvName, ExactEnvName, RegexSource } from "../../internal/child-process/config-schemas.js";
import type { CodexClass } from "./codex-client.js";
import { MODEL_PATTERN } from "./codex-names.js";

/** Default wall time of one attempt: 30 minutes (a request's `limits.timeout_ms` or a call's can only shorten it). */
export const DEFAULT_CODEX_TIMEOUT_MS = 1_800_000;
/**
 * Default longest time Codex may report nothing before it is stopped as hung: 5 minutes. Codex prints nothing
 * while the model thinks, and a command it runs reports only when it ends, so a shorter default would stop
 * healthy attempts; its "Reconnecting…" notices do not count as activity (see docs/adapters/codex.md).
 */
export const DEFAULT_CODEX_INACTIVITY_TIMEOUT_MS = 300_000;
/** Default time between asking Codex to stop and killing what is left of it. */
export const DEFAULT_CODEX_KILL_GRACE_MS = 5_000;
/** Default interval at which Codex's session log is read for usage while it runs. */
export const DEFAULT_CODEX_USAGE_POLL_MS = 1_000;
/** Default longest progress line handed to `onProgress`, in characters. */
export const DEFAULT_CODEX_PROGRESS_LINE_CAP = 2_000;
/** Default size of the outcome's summary, in bytes. */
export const DEFAULT_CODEX_SUMMARY_CAP_BYTES = 8_192;

/** A `Codex` class, checked by shape (a constructor), not parsed: the injection point for tests and wrappers. */
const CodexClassOption = z.custom<CodexClass>(
  (v) => typeof v === "function",
  "expected a class like Codex from @openai/codex-sdk",
);

/** Model reasoning effort values Codex 0.163 accepts (`model_reasoning_effort`). */
const ReasoningEffort = z.enum(["minimal", "low", "medium", "high", "xhigh", "max", "ultra", "persistent"]);

/** Limits applied when the request leaves them `null` (or sends no `limits`). */
const DefaultLimits = z.strictObject({
  /** Model requests an attempt may make (see docs: what a turn is for Codex). */
  max_turns: z.number().int().positive().nullable().default(null),
  /** Input plus output tokens an attempt may use. */
  max_tokens: z.number().int().positive().nullable().default(null),
});

/** Options of `createCodexDispatcher`. */
export const CodexDispatcherConfig = z.strictObject({
  /** The dispatcher's name (default `"codex"`). */
  name: z.string().min(1).default("codex"),
  /**
   * The `codex` executable to run (the SDK's `codexPathOverride`); unset: the one `@openai/codex` installs for
   * this platform.
   */
  codex_path_override: z.string().min(1).optional(),
  /**
   * Host variables passed to Codex on top of PATH, HOME, LANG, TMPDIR, CI and NODE_* (exact names or
   * `PREFIX_*`). Nothing else of the host environment reaches it: a key in `OPENAI_API_KEY` or
   * `CODEX_API_KEY` must be named here (or given as `api_key`).
   */
  env_allow: z.array(EnvName).default([]),
  /** Variables set for Codex (they win over passed-through ones). */
  env: z.record(ExactEnvName, z.string()).default({}),
  /** The API's base URL (the SDK's `baseUrl`: Codex's `openai_base_url`); unset: OpenAI's. */
  base_url: z.url().optional(),
  /** The API key (the SDK's `apiKey`, handed to Codex as `CODEX_API_KEY`). A secret: redacted everywhere. */
  api_key: z.string().min(1).optional(),
  /**
   * Codex's home (`CODEX_HOME`: its config, login and session logs); unset: what the passed environment says,
   * else `$HOME/.codex`. rungate reads the session logs there for usage while Codex runs.
   */
  codex_home: z.string().min(1).optional(),
  /** The model when the request's `limits.model` is `null`; unset: Codex's default. */
  model: z.string().regex(MODEL_PATTERN, "a model name (letters, digits, . _ : / @ + -)").optional(),
  /** Codex's `model_reasoning_effort`; unset: Codex's default. */
  model_reasoning_effort: ReasoningEffort.optional(),
  /** Limits used where the request's are `null`. */
  default_limits: DefaultLimits.default({ max_turns: null, max_tokens: null }),
  /** Wall time of an attempt (default 30 minutes); the request's and the call's limits can only shorten it. */
  timeout_ms: z.number().int().positive().default(DEFAULT_CODEX_TIMEOUT_MS),
  /** Inactivity limit when the request's `limits.inactivity_timeout_ms` is `null` (default 5 minutes). */
  inactivity_timeout_ms: z.number().int().positive().default(DEFAULT_CODEX_INACTIVITY_TIMEOUT_MS),
  /** Time between stopping Codex (SIGTERM through the SDK's signal) and killing what is left (default 5 s). */
  kill_grace_ms: z.number().int().nonnegative().max(600_000).default(DEFAULT_CODEX_KILL_GRACE_MS),
  /** How often Codex's session log is read for usage while it runs (default 1 s). */
  usage_poll_ms: z.number().int().min(10).max(60_000).default(DEFAULT_CODEX_USAGE_POLL_MS),
  /**
   * Where the per-execution markers live (default `<os tmpdir>/rungate-executions`, shared with the other
   * dispatchers). Use a durable directory in production: it is what makes a dispatch run once per execution.
   */
  state_dir: z.string().min(1).optional(),
  /** Longest progress line, in characters (default 2,000). */
  progress_line_cap: z.number().int().min(16).max(1_000_000).default(DEFAULT_CODEX_PROGRESS_LINE_CAP),
  /** Size of the outcome's summary, in bytes (default 8 KiB). */
  summary_cap_bytes: z
    .number()
    .int()
    .min(256)
    .max(1024 * 1024)
    .default(DEFAULT_CODEX_SUMMARY_CAP_BYTES),
  /** Extra secrets to redact from progress and summary: regular-expression sources. */
  redact_patterns: z.array(RegexSource).default([]),
  /**
   * The `Codex` class to use (default: `@openai/codex-sdk`'s, imported on the first dispatch). For tests and
   * wrappers; it is given the SDK's constructor options.
   */
  codex_class: CodexClassOption.optional(),
});
/** Parsed {@link CodexDispatcherConfig}. */
export type CodexDispatcherConfig = z.infer<typeof CodexDispatcherConfig>;
/** {@link CodexDispatcherConfig} as written by a user (defaults optional). */
export type CodexDispatcherConfigInput = z.input<typeof CodexDispatcherConfig>;
