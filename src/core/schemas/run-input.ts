import { z } from "zod";
import { AgentRole } from "./agent-role.js";
import { ApprovalType } from "./approval-type.js";
import { Uuid } from "./primitives.js";
import { MAX_GLOBS_PER_LIST } from "./system-policy-profile.js";

/**
 * One card of planned work as a host hands it to rungate. Paths are globs relative to the repository root.
 * `planned_checks`-style semantic rules (unknown names, unsafe paths) are judged by
 * `validateRunInputAgainstPolicy`, not here, so that every problem is reported at once with its rule.
 */
export const CardInput = z.object({
  card_id: Uuid,
  title: z.string().min(1),
  description: z.string().default(""),
  agent_role: AgentRole.default("coder"),
  /** The agent to run (e.g. an agentic-flow agent name); `null` lets the dispatcher pick from the role. */
  agent_profile: z.string().min(1).nullable().default(null),
  /** Where the agent may write; at least one glob. */
  allowed_paths: z
    .array(z.string().max(1_000))
    .min(1, "a card needs at least one allowed path")
    .max(MAX_GLOBS_PER_LIST),
  /** Extra globs forbidden for this card, on top of the policy's `forbidden_paths`. */
  forbidden_paths: z.array(z.string().max(1_000)).max(MAX_GLOBS_PER_LIST).default([]),
  /** Branch to create; `null` uses `rungate/<card_id>`. */
  feature_branch: z.string().nullable().default(null),
  /** Approvals this card plans to ask for (a card reaching protected paths must plan the policy's kind). */
  planned_approvals: z.array(ApprovalType).default([]),
});
/** Parsed {@link CardInput}. */
export type CardInput = z.infer<typeof CardInput>;

/** What a host asks for when it triggers a build: a single card or a workflow of cards. */
export const RunInput = z.object({
  project_id: Uuid,
  scope: z.enum(["workflow", "card"]),
  workflow_id: Uuid.nullable().default(null),
  card_id: Uuid.nullable().default(null),
  trigger_type: z.enum(["card", "workflow", "manual"]),
  initiated_by: z.string().min(1),
  repo_url: z.string().min(1),
  base_branch: z.string().min(1).default("main"),
  /** Check types this run will execute; `null` means exactly the policy's required checks. */
  planned_checks: z.array(z.string()).nullable().default(null),
  cards: z.array(CardInput).min(1, "a run needs at least one card"),
});
/** Parsed {@link RunInput}. */
export type RunInput = z.infer<typeof RunInput>;
/** What a host may pass in (defaults not yet applied). */
export type RunInputInput = z.input<typeof RunInput>;
