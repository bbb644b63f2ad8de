/**
 * `rungate/dispatch`: {@link rungate!AgentDispatcher | AgentDispatcher}s that run a coding agent as a child
 * process in the assignment's worktree (execa 9): any command, or the agentic-flow CLI. Once per execution
 * id, with time limits, whole-process-group kills, redacted progress and an outcome read back from git.
 *
 * @module rungate/dispatch
 */
export { agenticFlowCommand, createAgenticFlowDispatcher } from "./agentic-flow-adapter.js";
export { createCommandDispatcher } from "./process-dispatch-adapter.js";
export {
  AGENTIC_FLOW_PROVIDER_KEYS,
  AgenticFlowDispatcherConfig,
  type AgenticFlowDispatcherConfigInput,
  COMMAND_PLACEHOLDERS,
  CommandDispatcherConfig,
  type CommandDispatcherConfigInput,
  DEFAULT_AGENT_FOR_ROLE,
  DEFAULT_DISPATCH_KILL_GRACE_MS,
  DEFAULT_DISPATCH_TIMEOUT_MS,
  DEFAULT_PROGRESS_LINE_CAP,
  DEFAULT_SUMMARY_CAP_BYTES,
} from "./process-dispatch-config.js";
export {
  type PrunedExecutionMarkers,
  PruneExecutionMarkersInput,
  pruneExecutionMarkers,
} from "./prune-markers.js";
