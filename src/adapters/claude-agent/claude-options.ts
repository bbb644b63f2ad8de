import type { Options } from "@anthropic-ai/claude-agent-sdk";
import type { ClaudeDispatcherConfig } from "./claude-dispatcher-config.js";
import type { ToolPermissions } from "./tool-permissions.js";

/** Tools that reach the network by themselves; removed when the request's sandbox policy says no network. */
export const NETWORK_TOOLS: readonly string[] = ["WebFetch", "WebSearch"];

/** How long Claude Code waits for the dispatcher's PreToolUse hook before the call is blocked, in seconds. */
const HOOK_TIMEOUT_S = 120;

/** What the agent is told about the session, after Claude Code's own system prompt. */
export const RUNGATE_SYSTEM_NOTE = [
  "You are running unattended under rungate: nobody answers questions or permission prompts.",
  "Every file write and shell command is checked against the task's path rules before it runs; a refused",
  "call stays refused, so change the approach instead of retrying it. Commit your work with git on the",
  "current branch before you finish.",
].join(" ");

/** How the session starts: a new one, the same one again, or a fork of an earlier one. */
export type SessionStart =
  | { readonly kind: "new"; readonly session_id: string }
  | { readonly kind: "resume"; readonly session_id: string }
  | { readonly kind: "fork"; readonly from: string; readonly session_id: string };

/** The request's limits, with the config's fallbacks applied. */
export interface EffectiveLimits {
  readonly max_turns: number | null;
  readonly max_cost_usd: number | null;
  readonly max_tokens: number | null;
  readonly wall_ms: number | null;
  readonly inactivity_ms: number | null;
  readonly model: string | null;
}

/**
 * The SDK options of one session: the worktree as `cwd`, exactly the environment the dispatcher built, the
 * tools, no settings files, no MCP configuration but what is passed (none), the permission mode with the
 * dispatcher's hook and `canUseTool`, the limits the SDK enforces itself (`maxTurns`, `maxBudgetUsd`), the
 * model, the session (`sessionId`, `resume`, `forkSession`) and the dispatcher's own spawn.
 */
export function buildQueryOptions(input: {
  readonly config: ClaudeDispatcherConfig;
  readonly worktree: string;
  readonly env: Readonly<Record<string, string>>;
  readonly limits: EffectiveLimits;
  readonly network: boolean;
  readonly start: SessionStart;
  readonly abortController: AbortController;
  readonly permissions: ToolPermissions;
  readonly spawn: NonNullable<Options["spawnClaudeCodeProcess"]>;
}): Options {
  const { config, limits, start } = input;
  const disallowed = [...config.disallowed_tools, ...(input.network ? [] : NETWORK_TOOLS)];
  const model = limits.model ?? config.model ?? null;
  const session: Options =
    start.kind === "new"
      ? { sessionId: start.session_id }
      : start.kind === "resume"
        ? { resume: start.session_id }
        : { resume: start.from, forkSession: true, sessionId: start.session_id };
  return {
    ...session,
    abortController: input.abortController,
    cwd: input.worktree,
    // The SDK's `env` replaces the environment; it gets a copy, so nothing the SDK adds comes back here.
    env: { ...input.env },
    tools: [...config.tools],
    disallowedTools: [...new Set(disallowed)],
    settingSources: [...config.setting_sources],
    strictMcpConfig: true,
    permissionMode: config.permission_mode,
    canUseTool: input.permissions.canUseTool,
    hooks: {
      // No matcher: every tool. `block`: a hook that fails or times out blocks the call instead of passing it.
      PreToolUse: [{ hooks: [input.permissions.preToolUse], timeout: HOOK_TIMEOUT_S, onFailure: "block" }],
    },
    systemPrompt: { type: "preset", preset: "claude_code", append: RUNGATE_SYSTEM_NOTE },
    spawnClaudeCodeProcess: input.spawn,
    ...(config.path_to_claude_code_executable === undefined
      ? {}
      : { pathToClaudeCodeExecutable: config.path_to_claude_code_executable }),
    ...(model === null ? {} : { model }),
    ...(limits.max_turns === null ? {} : { maxTurns: limits.max_turns }),
    ...(limits.max_cost_usd === null ? {} : { maxBudgetUsd: limits.max_cost_usd }),
  };
}
