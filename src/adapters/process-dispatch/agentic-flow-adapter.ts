import { z } from "zod";
import type { AgentDispatcher } from "../../ports/agent-dispatcher.js";
import { createProcessDispatcher } from "./process-dispatch-adapter.js";
import {
  AgenticFlowDispatcherConfig,
  type AgenticFlowDispatcherConfigInput,
  DEFAULT_AGENT_FOR_ROLE,
} from "./process-dispatch-config.js";

const USAGE =
  'Usage: createAgenticFlowDispatcher({ provider: "anthropic", model: "claude-sonnet-4-5", state_dir: "/var/lib/rungate/executions" }).';

/**
 * The agentic-flow command line for a configuration, with placeholders for what changes per dispatch:
 * `<executable> --agent {agent} --task {task} [--provider p] [--model m] [--output f] [--timeout {timeout_ms}]
 * [--stream] [--agents-dir d] [extra args…]`.
 */
export function agenticFlowCommand(options: AgenticFlowDispatcherConfig): string[] {
  return [
    ...options.executable,
    "--agent",
    "{agent}",
    "--task",
    "{task}",
    ...(options.provider === undefined ? [] : ["--provider", options.provider]),
    ...(options.model === undefined ? [] : ["--model", options.model]),
    ...(options.output === undefined ? [] : ["--output", options.output]),
    ...(options.forward_timeout ? ["--timeout", "{timeout_ms}"] : []),
    ...(options.stream ? ["--stream"] : []),
    ...(options.agents_dir === undefined ? [] : ["--agents-dir", options.agents_dir]),
    ...options.extra_args,
  ];
}

/**
 * An {@link AgentDispatcher} for the agentic-flow CLI: the command dispatcher (see `createCommandDispatcher`
 * for hand-over, progress, limits, outcomes and idempotency) preset to run
 * `agentic-flow --agent <name> --task <task>` plus the flags chosen here (see {@link agenticFlowCommand}).
 *
 * The agent is the assignment's `agent_profile`, else the one for its role (`agent_for_role` over
 * `DEFAULT_AGENT_FOR_ROLE`: planner, coder, reviewer, tester; integrator runs as coder). Provider keys
 * (`provider_keys`, default ANTHROPIC_API_KEY, OPENROUTER_API_KEY, GOOGLE_GEMINI_API_KEY) pass from the host
 * environment and are redacted from progress and summary. The CLI exits 0 without committing when no provider
 * key is set: that comes out as `no_changes`, never as success.
 *
 * Throws at construction when the options do not parse (with the reasons and an example).
 *
 * @example
 * const dispatcher = createAgenticFlowDispatcher({ provider: "openrouter", model: "deepseek/deepseek-chat" });
 */
export function createAgenticFlowDispatcher(config: AgenticFlowDispatcherConfigInput = {}): AgentDispatcher {
  const parsed = AgenticFlowDispatcherConfig.safeParse(config);
  if (!parsed.success) {
    throw new Error(
      `createAgenticFlowDispatcher: invalid options:\n${z.prettifyError(parsed.error)}\n${USAGE}`,
    );
  }
  const options = parsed.data;
  const roles = { ...DEFAULT_AGENT_FOR_ROLE, ...options.agent_for_role };
  return createProcessDispatcher({
    name: options.name,
    command: agenticFlowCommand(options),
    agentName: (assignment) => assignment.agent_profile ?? roles[assignment.agent_role],
    env_allow: [...options.provider_keys, ...options.env_allow],
    env: options.env,
    timeout_ms: options.timeout_ms,
    progress_line_cap: options.progress_line_cap,
    summary_cap_bytes: options.summary_cap_bytes,
    redact_patterns: options.redact_patterns,
    state_dir: options.state_dir,
    kill_grace_ms: options.kill_grace_ms,
    sandbox: options.sandbox,
  });
}
