import { z } from "zod";
import {
  DispatchRequestBase,
  ExecutionIdField,
  withWorktree,
} from "../../internal/agent-dispatch/dispatch-once.js";
import { MODEL_PATTERN, THREAD_ID_PATTERN } from "./codex-names.js";

const Limit = z.number().int().nonnegative().nullable();

/** The request as it crosses the port: parsed before anything runs. */
export const CodexDispatchRequest = withWorktree(
  DispatchRequestBase.extend({
    execution_id: ExecutionIdField,
    limits: z
      .object({
        max_turns: Limit,
        max_cost_usd: z.number().nonnegative().nullable(),
        max_tokens: Limit,
        timeout_ms: z.number().int().positive().nullable(),
        inactivity_timeout_ms: z.number().int().positive().nullable(),
        model: z.string().regex(MODEL_PATTERN, "a model name (letters, digits, . _ : / @ + -)").nullable(),
      })
      .optional(),
    resume_session_id: z.string().regex(THREAD_ID_PATTERN, "a Codex thread id").nullable().optional(),
    sandbox: z.object({ network: z.boolean() }).optional(),
  }),
);
/** Parsed {@link CodexDispatchRequest}. */
export type CodexDispatchRequest = z.infer<typeof CodexDispatchRequest>;

/** What a dispatch after a crash tells Codex when it resumes the thread the dead process left. */
export function interruptedPrompt(task: string): string {
  return [
    "Your earlier run of this task was interrupted before it finished: the process running it stopped.",
    "Continue the task from where it stopped. Check the repository's state first (`git status`, `git log`):",
    "some of the work may already be done or committed. Commit your work on the current branch when done.",
    "",
    "The task, as given then:",
    "",
    task,
  ].join("\n");
}
