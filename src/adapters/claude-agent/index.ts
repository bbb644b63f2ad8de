/**
 * `rungate/claude`: an {@link rungate!AgentDispatcher | AgentDispatcher} that runs Claude Code through the
 * Claude Agent SDK (`@anthropic-ai/claude-agent-sdk`, an optional peer imported on the first dispatch, so
 * loading this entry never loads the SDK). One session per execution id (the session id is the execution id),
 * resumed once when the process running it died; every file write judged against the assignment's path rules
 * before it happens; turns, dollars, tokens, wall time and inactivity bounded; the environment built from an
 * allow-list; everything that leaves redacted. See docs/adapters/claude.md.
 *
 * @module rungate/claude
 */
export { createClaudeDispatcher } from "./claude-dispatcher.js";
export {
  CLAUDE_PERMISSION_MODES,
  CLAUDE_SETTING_SOURCES,
  ClaudeDefaultLimits,
  ClaudeDispatcherConfig,
  type ClaudeDispatcherConfigInput,
  DEFAULT_CLAUDE_INACTIVITY_TIMEOUT_MS,
  DEFAULT_CLAUDE_KILL_GRACE_MS,
  DEFAULT_CLAUDE_TIMEOUT_MS,
  DEFAULT_CLAUDE_TOOLS,
} from "./claude-dispatcher-config.js";
export type { ClaudeQuery, ClaudeQueryHandle } from "./claude-query.js";
