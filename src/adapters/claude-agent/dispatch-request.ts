import { z } from "zod";
import { Uuid } from "../../core/schemas/primitives.js";
import { DispatchRequestBase, withWorktree } from "../../internal/agent-dispatch/dispatch-once.js";
import type { ClaudeDispatcherConfig } from "./claude-dispatcher-config.js";
import type { EffectiveLimits } from "./claude-options.js";

/** The limits of a request (`AgentLimits`), as they cross the port. */
const Limits = z.object({
  max_turns: z.number().int().positive().nullable(),
  max_cost_usd: z.number().nonnegative().nullable(),
  max_tokens: z.number().int().nonnegative().nullable(),
  timeout_ms: z.number().int().positive().nullable(),
  inactivity_timeout_ms: z.number().int().positive().nullable(),
  model: z.string().min(1).nullable(),
});

/** The request as it crosses the port: parsed before anything runs. */
export const DispatchRequestSchema = withWorktree(
  DispatchRequestBase.extend({
    // Claude Code's session id is the execution id, and Claude Code takes only UUIDs.
    execution_id: Uuid,
    limits: Limits.optional(),
    resume_session_id: z.string().min(1).max(200).nullable().optional(),
    sandbox: z.object({ network: z.boolean() }).optional(),
  }),
);
/** A parsed dispatch request. */
export type ParsedRequest = z.infer<typeof DispatchRequestSchema>;

/** The prompt of a session resumed after the process running it died. */
export function resumePrompt(task: string): string {
  return [
    "rungate: your earlier run of this task was interrupted before it finished (the process running it ended).",
    "Look at the state of the worktree (git status, git log) and continue the task from where you left off.",
    "",
    task,
  ].join("\n");
}

/** The request's limits with the config's fallbacks, and the call's own wall time (the smaller one wins). */
export function effectiveLimits(
  config: ClaudeDispatcherConfig,
  request: ParsedRequest,
  callTimeout: number | undefined,
): EffectiveLimits {
  const given = request.limits;
  const fallback = config.default_limits;
  const wall = given?.timeout_ms ?? fallback.timeout_ms;
  const walls = [wall, callTimeout].filter((ms): ms is number => ms !== null && ms !== undefined);
  return {
    max_turns: given?.max_turns ?? fallback.max_turns,
    max_cost_usd: given?.max_cost_usd ?? fallback.max_cost_usd,
    max_tokens: given?.max_tokens ?? fallback.max_tokens,
    wall_ms: walls.length === 0 ? null : Math.min(...walls),
    inactivity_ms: given?.inactivity_timeout_ms ?? fallback.inactivity_timeout_ms,
    model: given?.model ?? fallback.model,
  };
}
