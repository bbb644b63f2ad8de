import { createClaudeDispatcher } from "../adapters/claude-agent/index.js";
import { createCodexDispatcher } from "../adapters/codex/index.js";
import { COMMAND_PLACEHOLDERS, createCommandDispatcher } from "../adapters/process-dispatch/index.js";
import { type AgentDispatcher, errAsync, fromPromise, okAsync, type ResultAsync } from "../index.js";
import { type CliError, usageError } from "./cli-error.js";

/** What `--agent` names: one of the two SDK agents, or a shell command. */
export type AgentChoice =
  | { readonly kind: "claude" }
  | { readonly kind: "codex" }
  | { readonly kind: "command"; readonly command: string };

/** Reads `--agent`: `claude`, `codex`, or any other text as a shell command. */
export function agentChoice(value: string): AgentChoice {
  const trimmed = value.trim();
  if (trimmed === "claude") return { kind: "claude" };
  if (trimmed === "codex") return { kind: "codex" };
  return { kind: "command", command: trimmed };
}

/** Where the agents keep state, and what of the host environment they may see. */
export interface AgentOptions {
  /** The dispatcher's once-per-execution markers (`.rungate/executions`). */
  readonly state_dir: string;
  /** Host variables passed through (`--env-allow`), on top of each agent's own (its API key). */
  readonly env_allow: readonly string[];
}

/**
 * The placeholders of `rungate/dispatch` would be pasted into the shell command as text; a task holding
 * `$(…)` would then run. So the command may hold none, and the agent reads the card from its environment.
 */
const PLACEHOLDER = new RegExp(`\\{(${COMMAND_PLACEHOLDERS.join("|")})\\}`);

interface Sdk {
  readonly name: string;
  readonly load: () => Promise<unknown>;
}

// Literal specifiers, so that the bundler keeps each as an import of the optional peer.
const CLAUDE_SDK: Sdk = {
  name: "@anthropic-ai/claude-agent-sdk",
  load: () => import("@anthropic-ai/claude-agent-sdk"),
};
const CODEX_SDK: Sdk = { name: "@openai/codex-sdk", load: () => import("@openai/codex-sdk") };

/**
 * Loads an optional peer before anything is stored: a run whose agent cannot start would only fail its card.
 * Not installed is a usage error saying how to install it.
 */
function requireSdk(sdk: Sdk, agent: string): ResultAsync<void, CliError> {
  return fromPromise(sdk.load(), (cause) => {
    const code = (cause as NodeJS.ErrnoException).code;
    return code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND"
      ? usageError(`--agent ${agent} needs ${sdk.name}, which is not installed: npm install ${sdk.name}`)
      : usageError(`--agent ${agent}: cannot load ${sdk.name}: ${(cause as Error).message}`);
  }).map(() => undefined);
}

/** Builds a dispatcher; its factory throws on options it refuses, which here can only be ours. */
function built(make: () => AgentDispatcher): ResultAsync<AgentDispatcher, CliError> {
  try {
    return okAsync(make());
  } catch (cause) {
    return errAsync(usageError(`cannot set up the agent: ${(cause as Error).message.split("\n")[0]}`));
  }
}

/**
 * The dispatcher for `--agent`: Claude Code (`rungate/claude`, with `ANTHROPIC_API_KEY` passed through),
 * Codex (`rungate/codex`, with `OPENAI_API_KEY` and `CODEX_API_KEY`), or the command run by `/bin/sh -c` in
 * the card's worktree (`rungate/dispatch`), which reads the card from `RUNGATE_CONTEXT_FILE` and the other
 * `RUNGATE_*` variables. A missing SDK, or a command with placeholders, is a usage error.
 */
export function agentDispatcher(
  choice: AgentChoice,
  options: AgentOptions,
): ResultAsync<AgentDispatcher, CliError> {
  const { state_dir } = options;
  switch (choice.kind) {
    case "claude":
      return requireSdk(CLAUDE_SDK, "claude").andThen(() =>
        built(() =>
          createClaudeDispatcher({ env_allow: ["ANTHROPIC_API_KEY", ...options.env_allow], state_dir }),
        ),
      );
    case "codex":
      return requireSdk(CODEX_SDK, "codex").andThen(() =>
        built(() =>
          createCodexDispatcher({
            env_allow: ["OPENAI_API_KEY", "CODEX_API_KEY", ...options.env_allow],
            state_dir,
          }),
        ),
      );
    case "command": {
      const placeholder = PLACEHOLDER.exec(choice.command);
      if (placeholder !== null) {
        return errAsync(
          usageError(
            `--agent: the command holds ${placeholder[0]}, which would be pasted into shell code; read the card from RUNGATE_CONTEXT_FILE or RUNGATE_TASK instead`,
          ),
        );
      }
      return built(() =>
        createCommandDispatcher({
          command: ["/bin/sh", "-c", choice.command],
          env_allow: [...options.env_allow],
          state_dir,
        }),
      );
    }
  }
}
