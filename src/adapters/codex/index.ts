/**
 * `rungate/codex`: an {@link rungate!AgentDispatcher | AgentDispatcher} that runs OpenAI Codex through
 * `@openai/codex-sdk` (an optional peer, imported on the first dispatch, never when rungate loads) in the
 * assignment's worktree: Codex's `workspace-write` sandbox with the repository's git dir writable, an
 * allow-listed environment, rungate's own wall-time, inactivity, token and turn limits, a stop at the first
 * refused key, once per execution id with the thread resumed after a crash, typed and redacted progress. See
 * docs/adapters/codex.md.
 *
 * @module rungate/codex
 */
export type {
  CodexClass,
  CodexClientOptions,
  CodexLike,
  CodexStreamedRun,
  CodexThreadLike,
  CodexThreadSettings,
} from "./codex-client.js";
export { createCodexDispatcher } from "./codex-dispatcher.js";
export {
  CodexDispatcherConfig,
  type CodexDispatcherConfigInput,
  DEFAULT_CODEX_INACTIVITY_TIMEOUT_MS,
  DEFAULT_CODEX_KILL_GRACE_MS,
  DEFAULT_CODEX_PROGRESS_LINE_CAP,
  DEFAULT_CODEX_SUMMARY_CAP_BYTES,
  DEFAULT_CODEX_TIMEOUT_MS,
  DEFAULT_CODEX_USAGE_POLL_MS,
} from "./codex-dispatcher-config.js";
