import { z } from "zod";
import { CardAssignment } from "../../core/schemas/card-assignment.js";
import { Uuid } from "../../core/schemas/primitives.js";
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
export const DispatchRequestSchema = z
  .object({
    run_id: z.string().min(1),
    // Claude Code's session id is the execution id, and Claude Code takes only UUIDs.
    execution_id: Uuid,
    assignment: CardAssignment,
    task: z.string(),
    limits: Limits.optional(),
    resume_session_id: z.string().min(1).max(200).nullable().optional(),
    sandbox: z.object({ network: z.boolean() }).optional(),
  })
  .superRefine((request, ctx) => {
    if (!request.assignment.worktree_path) {
      ctx.addIssue({
        code: "custom",
        path: ["assignment", "worktree_path"],
        message: "the assignment needs its worktree_path (create the worktree first)",
      });
    }
  });
/** A parsed dispatch request. */
export type ParsedRequest = z.infer<typeof DispatchRequestSchema>;

/** A call's own wall time. */
export const CallTimeout = z.number().int().positive().optional();

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
