import { z } from "zod";
import { Failure } from "./failure.js";
import { FrozenJsonObject, SnapshotHashes } from "./json.js";
import { LEGACY_STATUS_RUN_PHASE, RUN_PHASE_STATUS, RunPhase } from "./phases.js";
import { IsoDateTime, LifecycleStatus, Uuid, Version } from "./primitives.js";

/**
 * One build: a card or a workflow of cards, with the policy and the input frozen at creation.
 * `status` is one of the six stored statuses and always agrees with `phase`; a record without `phase`
 * (written by a host that predates rungate) gets the phase {@link LEGACY_STATUS_RUN_PHASE} names.
 * `snapshot_hashes` is `null` only on such legacy records; rungate always writes it.
 */
export const OrchestrationRun = z
  .object({
    id: Uuid,
    project_id: Uuid,
    scope: z.enum(["workflow", "card"]),
    workflow_id: Uuid.nullable(),
    card_id: Uuid.nullable(),
    trigger_type: z.enum(["card", "workflow", "manual"]),
    status: LifecycleStatus,
    phase: RunPhase.optional(),
    initiated_by: z.string().min(1),
    repo_url: z.string().min(1),
    base_branch: z.string().min(1),
    system_policy_profile_id: Uuid,
    system_policy_snapshot: FrozenJsonObject,
    run_input_snapshot: FrozenJsonObject,
    snapshot_hashes: SnapshotHashes.nullable().default(null),
    worktree_root: z.string().nullable(),
    /** Why it failed; `null` unless its phase is `failed`. */
    failure: Failure.nullable().default(null),
    started_at: IsoDateTime.nullable(),
    ended_at: IsoDateTime.nullable(),
    created_at: IsoDateTime,
    updated_at: IsoDateTime,
    version: Version,
  })
  .superRefine((run, ctx) => {
    if (run.phase !== undefined && RUN_PHASE_STATUS[run.phase] !== run.status) {
      ctx.addIssue({
        code: "custom",
        path: ["status"],
        message: `status "${run.status}" disagrees with phase "${run.phase}" (expected "${RUN_PHASE_STATUS[run.phase]}")`,
      });
    }
  })
  .transform((run) => ({ ...run, phase: run.phase ?? LEGACY_STATUS_RUN_PHASE[run.status] }));
/** Parsed {@link OrchestrationRun}. */
export type OrchestrationRun = z.infer<typeof OrchestrationRun>;
