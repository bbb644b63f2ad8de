import { z } from "zod";
import { AGENT_ROLES, type AgentRole } from "../../core/schemas/agent-role.js";
import {
  EnvName,
  ExactEnvName,
  RegexSource,
  SandboxOption,
} from "../../internal/child-process/config-schemas.js";

/** Default time an agent may run: 30 minutes. */
export const DEFAULT_DISPATCH_TIMEOUT_MS = 1_800_000;
/** Default longest progress line handed to `onProgress`, in characters (longer ones are cut, marked `…`). */
export const DEFAULT_PROGRESS_LINE_CAP = 2_000;
/** Default size of the output tail kept in the outcome's summary, in bytes. */
export const DEFAULT_SUMMARY_CAP_BYTES = 8_192;
/** Default time between SIGTERM and SIGKILL to the agent's process group. */
export const DEFAULT_DISPATCH_KILL_GRACE_MS = 5_000;

/**
 * The placeholders a command may contain, replaced per dispatch (in one pass, so a task containing `{branch}`
 * stays as written): `{task}`, `{agent}` (the assignment's `agent_profile`, else a name for its role),
 * `{branch}`, `{worktree}`, `{context_file}`, `{execution_id}`, `{run_id}`, `{assignment_id}`, `{card_id}`,
 * `{timeout_ms}`.
 */
export const COMMAND_PLACEHOLDERS = [
  "task",
  "agent",
  "branch",
  "worktree",
  "context_file",
  "execution_id",
  "run_id",
  "assignment_id",
  "card_id",
  "timeout_ms",
] as const;

/** The options every process dispatcher shares (the command aside). */
const SharedDispatchOptions = {
  /**
   * Host variables passed through, on top of PATH, HOME, LANG, TMPDIR, CI and NODE_* (exact names or
   * `PREFIX_*`). Nothing else of the host environment reaches the agent.
   */
  env_allow: z.array(EnvName).default([]),
  /** Variables set for the agent (they win over passed-through ones; the `RUNGATE_*` ones win over these). */
  env: z.record(ExactEnvName, z.string()).default({}),
  /** Time limit (default 30 minutes); a call's own `timeout_ms` can only shorten it. */
  timeout_ms: z.number().int().positive().default(DEFAULT_DISPATCH_TIMEOUT_MS),
  /** Longest progress line, in characters (default 2,000). */
  progress_line_cap: z.number().int().min(16).max(1_000_000).default(DEFAULT_PROGRESS_LINE_CAP),
  /** Output tail kept in the summary, in bytes (default 8 KiB). */
  summary_cap_bytes: z
    .number()
    .int()
    .min(0)
    .max(1024 * 1024)
    .default(DEFAULT_SUMMARY_CAP_BYTES),
  /** Extra secrets to redact from progress and summary: regular-expression sources. */
  redact_patterns: z.array(RegexSource).default([]),
  /**
   * Where the per-execution markers live (default `<os tmpdir>/rungate-executions`). Use a durable directory
   * in production: it is what makes a dispatch run once per execution id across restarts.
   */
  state_dir: z.string().min(1).optional(),
  /** Time between SIGTERM and SIGKILL to the agent's process group (default 5 s). */
  kill_grace_ms: z.number().int().nonnegative().max(600_000).default(DEFAULT_DISPATCH_KILL_GRACE_MS),
  /**
   * Runs the agent in this sandbox (`rungate/sandbox`): its worktree writable, the rest of the file system
   * read-only, its own PID namespace, network as the sandbox says. Without one, the agent runs as this
   * process's user with everything that user can reach (see docs/security.md).
   */
  sandbox: SandboxOption.optional(),
};

/** Options of `createCommandDispatcher`: any agent command. */
export const CommandDispatcherConfig = z.strictObject({
  /** The dispatcher's name (default `"command-dispatcher"`). */
  name: z.string().min(1).default("command-dispatcher"),
  /**
   * Program and arguments (never a shell string), with {@link COMMAND_PLACEHOLDERS}, e.g.
   * `["my-agent", "--task", "{task}"]`. The context also arrives as a JSON file and environment variables.
   */
  command: z.array(z.string().min(1)).min(1, "a command needs at least the program"),
  ...SharedDispatchOptions,
});
/** Parsed {@link CommandDispatcherConfig}. */
export type CommandDispatcherConfig = z.infer<typeof CommandDispatcherConfig>;
/** {@link CommandDispatcherConfig} as written by a user (defaults optional). */
export type CommandDispatcherConfigInput = z.input<typeof CommandDispatcherConfig>;

/**
 * The agentic-flow agent each role runs as when the assignment names no `agent_profile`. agentic-flow ships
 * no integrator agent; an integrator's job (bring work together on its branch and commit it) is a coder's.
 */
export const DEFAULT_AGENT_FOR_ROLE: { readonly [R in AgentRole]: string } = {
  planner: "planner",
  coder: "coder",
  reviewer: "reviewer",
  tester: "tester",
  integrator: "coder",
};

/** The provider keys passed through to agentic-flow by default (redacted wherever they show up). */
export const AGENTIC_FLOW_PROVIDER_KEYS: readonly string[] = [
  "ANTHROPIC_API_KEY",
  "OPENROUTER_API_KEY",
  "GOOGLE_GEMINI_API_KEY",
];

/** Options of `createAgenticFlowDispatcher`. */
export const AgenticFlowDispatcherConfig = z.strictObject({
  /** The dispatcher's name (default `"agentic-flow"`). */
  name: z.string().min(1).default("agentic-flow"),
  /** How to start the CLI (default `["agentic-flow"]`, found on PATH; e.g. `["npx", "agentic-flow"]`). */
  executable: z.array(z.string().min(1)).min(1).default(["agentic-flow"]),
  /** `--provider <p>` (anthropic, openrouter, gemini, onnx); left out when unset. */
  provider: z.string().min(1).optional(),
  /** `--model <m>`; left out when unset. */
  model: z.string().min(1).optional(),
  /** `--output <format>`; left out when unset (rungate does not parse the agent's output). */
  output: z.enum(["text", "json", "markdown"]).optional(),
  /** Adds `--stream` (livelier progress lines). Default false. */
  stream: z.boolean().default(false),
  /** Adds `--timeout <ms>` with the dispatch's limit. Default false: rungate enforces the limit itself. */
  forward_timeout: z.boolean().default(false),
  /** `--agents-dir <path>` for custom agent definitions; left out when unset. */
  agents_dir: z.string().min(1).optional(),
  /** Agent name per role, over {@link DEFAULT_AGENT_FOR_ROLE}; an assignment's `agent_profile` wins over both. */
  agent_for_role: z.partialRecord(z.enum(AGENT_ROLES), z.string().min(1)).default({}),
  /** More arguments, appended as given (placeholders allowed). */
  extra_args: z.array(z.string()).default([]),
  /**
   * Host variables holding provider credentials, passed through on top of `env_allow` (default
   * {@link AGENTIC_FLOW_PROVIDER_KEYS}). Their values are redacted like every `*KEY*` variable's.
   */
  provider_keys: z.array(EnvName).default([...AGENTIC_FLOW_PROVIDER_KEYS]),
  ...SharedDispatchOptions,
});
/** Parsed {@link AgenticFlowDispatcherConfig}. */
export type AgenticFlowDispatcherConfig = z.infer<typeof AgenticFlowDispatcherConfig>;
/** {@link AgenticFlowDispatcherConfig} as written by a user (defaults optional). */
export type AgenticFlowDispatcherConfigInput = z.input<typeof AgenticFlowDispatcherConfig>;
