import { z } from "zod";
import type { LifecycleStatus } from "./primitives.js";

/** The finer phases of an {@link OrchestrationRun}; each maps onto one stored status (see {@link RUN_PHASE_STATUS}). */
export const RUN_PHASES = [
  "queued",
  "preparing",
  "agents_running",
  "checking",
  "checks_failed",
  "awaiting_approval",
  "approval_rejected",
  "approved",
  "pr_open",
  "completed",
  "closed",
  "failed",
  "cancelled",
] as const;
/** One of {@link RUN_PHASES}. */
export const RunPhase = z.enum(RUN_PHASES);
/** One of {@link RUN_PHASES}. */
export type RunPhase = z.infer<typeof RunPhase>;

/** The finer phases of a {@link CardAssignment}; `ready` means prepared and waiting for a worker to dispatch it. */
export const ASSIGNMENT_PHASES = [
  "queued",
  "preparing",
  "ready",
  "agent_running",
  "checking",
  "checks_failed",
  "awaiting_approval",
  "approval_rejected",
  "approved",
  "pr_open",
  "merged",
  "closed",
  "failed",
  "cancelled",
] as const;
/** One of {@link ASSIGNMENT_PHASES}. */
export const AssignmentPhase = z.enum(ASSIGNMENT_PHASES);
/** One of {@link ASSIGNMENT_PHASES}. */
export type AssignmentPhase = z.infer<typeof AssignmentPhase>;

/**
 * Stored status of each run phase. `blocked` means "waiting on a person": a failed check to retry or fix,
 * an approval to decide, a draft PR to merge or close.
 */
export const RUN_PHASE_STATUS: { readonly [P in RunPhase]: LifecycleStatus } = {
  queued: "queued",
  preparing: "running",
  agents_running: "running",
  checking: "running",
  checks_failed: "blocked",
  awaiting_approval: "blocked",
  approval_rejected: "blocked",
  approved: "running",
  pr_open: "blocked",
  completed: "completed",
  closed: "cancelled",
  failed: "failed",
  cancelled: "cancelled",
};

/** Stored status of each assignment phase (same meaning of `blocked` as {@link RUN_PHASE_STATUS}). */
export const ASSIGNMENT_PHASE_STATUS: { readonly [P in AssignmentPhase]: LifecycleStatus } = {
  queued: "queued",
  preparing: "running",
  ready: "queued",
  agent_running: "running",
  checking: "running",
  checks_failed: "blocked",
  awaiting_approval: "blocked",
  approval_rejected: "blocked",
  approved: "running",
  pr_open: "blocked",
  merged: "completed",
  closed: "cancelled",
  failed: "failed",
  cancelled: "cancelled",
};

/**
 * Phase given to a record written by a host that only knew the six statuses. `running` is read as the
 * agents' phase and `blocked` as a failed check, the commonest meanings in stored data.
 */
export const LEGACY_STATUS_RUN_PHASE: { readonly [S in LifecycleStatus]: RunPhase } = {
  queued: "queued",
  running: "agents_running",
  blocked: "checks_failed",
  failed: "failed",
  completed: "completed",
  cancelled: "cancelled",
};

/** Assignment counterpart of {@link LEGACY_STATUS_RUN_PHASE}. */
export const LEGACY_STATUS_ASSIGNMENT_PHASE: { readonly [S in LifecycleStatus]: AssignmentPhase } = {
  queued: "queued",
  running: "agent_running",
  blocked: "checks_failed",
  failed: "failed",
  completed: "merged",
  cancelled: "cancelled",
};
