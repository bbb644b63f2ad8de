import { z } from "zod";
import { Uuid } from "./primitives.js";

/**
 * Why a run or a card failed, as data:
 * - `preparation_failed`: its branch or worktree could not be made;
 * - `path_violation`: the agent changed paths the rules forbid;
 * - `agent_failed`: the agent ended badly (error exit, no commits, a dirty or tampered repository);
 * - `agent_timed_out`: the agent ran past its time budget;
 * - `attempts_exhausted`: interrupted attempts used up the policy's `max_attempts`;
 * - `budget_exhausted`: the card's or the run's agent budget (`agent_policy` cost or tokens) is spent;
 * - `card_failed`: (runs) one of its cards failed; the message names it and its reason;
 * - `internal`: anything else rungate stopped it for; the message says what.
 */
export const FAILURE_KINDS = [
  "preparation_failed",
  "path_violation",
  "agent_failed",
  "agent_timed_out",
  "attempts_exhausted",
  "budget_exhausted",
  "card_failed",
  "internal",
] as const;
/** One of {@link FAILURE_KINDS}. */
export const FailureKind = z.enum(FAILURE_KINDS);
/** One of {@link FAILURE_KINDS}. */
export type FailureKind = z.infer<typeof FailureKind>;

/**
 * The failure of a run or an assignment: its kind, a sentence for a person, and the id of the logged event
 * that moved it to `failed` (its payload carries the same failure). `assignment_id` names the card a run
 * failed because of.
 */
export const Failure = z.object({
  kind: FailureKind,
  message: z.string(),
  event_id: Uuid.nullable().default(null),
  assignment_id: Uuid.nullable().default(null),
});
/** Parsed {@link Failure}. */
export type Failure = z.infer<typeof Failure>;
