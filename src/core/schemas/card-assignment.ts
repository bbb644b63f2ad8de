import { z } from "zod";
import { AgentRole } from "./agent-role.js";
import { Failure } from "./failure.js";
import { FrozenJsonObject } from "./json.js";
import { ASSIGNMENT_PHASE_STATUS, AssignmentPhase, LEGACY_STATUS_ASSIGNMENT_PHASE } from "./phases.js";
import { GitSha, IsoDateTime, LifecycleStatus, Uuid, Version } from "./primitives.js";

/**
 * One card's share of a run: its own feature branch and worktree, and the paths its agent may write.
 * `forbidden_paths` already includes the policy's. `head_sha` is the latest commit observed on the feature
 * branch; checks and approvals count only for that head.
 */
export const CardAssignment = z
  .object({
    id: Uuid,
    run_id: Uuid,
    card_id: Uuid,
    agent_role: AgentRole,
    agent_profile: z.string().min(1).nullable(),
    feature_branch: z.string().min(1),
    worktree_path: z.string().nullable(),
    allowed_paths: z.array(z.string()).min(1, "an assignment needs at least one allowed path"),
    forbidden_paths: z.array(z.string()),
    assignment_input_snapshot: FrozenJsonObject,
    /**
     * The content hash of `assignment_input_snapshot` (`sha256:` + hex), verified on every read from a store;
     * `null` only on records written before rungate recorded it.
     */
    assignment_input_hash: z.string().min(1).nullable().default(null),
    status: LifecycleStatus,
    phase: AssignmentPhase.optional(),
    base_sha: GitSha.nullable().default(null),
    head_sha: GitSha.nullable().default(null),
    /** Why it failed; `null` unless its phase is `failed`. */
    failure: Failure.nullable().default(null),
    created_at: IsoDateTime,
    updated_at: IsoDateTime,
    version: Version,
  })
  .superRefine((a, ctx) => {
    if (a.phase !== undefined && ASSIGNMENT_PHASE_STATUS[a.phase] !== a.status) {
      ctx.addIssue({
        code: "custom",
        path: ["status"],
        message: `status "${a.status}" disagrees with phase "${a.phase}" (expected "${ASSIGNMENT_PHASE_STATUS[a.phase]}")`,
      });
    }
  })
  .transform((a) => ({ ...a, phase: a.phase ?? LEGACY_STATUS_ASSIGNMENT_PHASE[a.status] }));
/** Parsed {@link CardAssignment}. */
export type CardAssignment = z.infer<typeof CardAssignment>;
