import { z } from "zod";

/** The roles an agent can play on a card. */
export const AGENT_ROLES = ["planner", "coder", "reviewer", "integrator", "tester"] as const;
/** One of {@link AGENT_ROLES}. */
export const AgentRole = z.enum(AGENT_ROLES);
/** One of {@link AGENT_ROLES}. */
export type AgentRole = z.infer<typeof AgentRole>;
