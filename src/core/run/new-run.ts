import { err, ok, type Result } from "neverthrow";
import { rungateError, type ValidationError } from "../errors.js";
import { parseInput } from "../parse.js";
import type { ValidatedCard, ValidatedRunInput } from "../policy/validate-run-input.js";
import { CardAssignment } from "../schemas/card-assignment.js";
import { OrchestrationRun } from "../schemas/orchestration-run.js";
import { captureSnapshot, verifySnapshot } from "../snapshot/snapshot.js";

/** Identity and time for a new run; they come in as data because core has no clock and no id source. */
export interface NewRunContext {
  readonly run_id: string;
  readonly now: string;
  /** Where the run's clone lives, when already known. */
  readonly worktree_root?: string | null;
}

/**
 * Builds the `queued` {@link OrchestrationRun} for a validated input: the policy and the resolved input are
 * captured as deep-frozen snapshots with their content hashes. Pure; fails with `validation` only if the
 * ids or times given are malformed.
 */
export function newOrchestrationRun(
  validated: ValidatedRunInput,
  ctx: NewRunContext,
): Result<OrchestrationRun, ValidationError> {
  const { input, policy } = validated;
  const resolvedInput = { ...input, planned_checks: validated.planned_checks, cards: validated.cards };
  return captureSnapshot(policy).andThen((policySnap) =>
    captureSnapshot(resolvedInput).andThen((inputSnap) =>
      parseInput(
        OrchestrationRun,
        {
          id: ctx.run_id,
          project_id: input.project_id,
          scope: input.scope,
          workflow_id: input.workflow_id,
          card_id: input.card_id,
          trigger_type: input.trigger_type,
          status: "queued",
          phase: "queued",
          initiated_by: input.initiated_by,
          repo_url: input.repo_url,
          base_branch: input.base_branch,
          system_policy_profile_id: policy.id,
          system_policy_snapshot: policySnap.value,
          run_input_snapshot: inputSnap.value,
          snapshot_hashes: { system_policy: policySnap.hash, run_input: inputSnap.hash },
          worktree_root: ctx.worktree_root ?? null,
          started_at: null,
          ended_at: null,
          created_at: ctx.now,
          updated_at: ctx.now,
          version: 0,
        },
        "invalid_run",
      ),
    ),
  );
}

/**
 * Builds the `queued` {@link CardAssignment} of one validated card of `run`: its branch, its allowed globs,
 * and its forbidden globs (the card's plus the policy's, already merged by validation). The card as
 * validated is its frozen `assignment_input_snapshot`.
 */
export function newCardAssignment(
  run: Pick<OrchestrationRun, "id">,
  card: ValidatedCard,
  ctx: { readonly assignment_id: string; readonly now: string },
): Result<CardAssignment, ValidationError> {
  return captureSnapshot(card).andThen((snap) =>
    parseInput(
      CardAssignment,
      {
        id: ctx.assignment_id,
        run_id: run.id,
        card_id: card.card_id,
        agent_role: card.agent_role,
        agent_profile: card.agent_profile,
        feature_branch: card.feature_branch,
        worktree_path: null,
        allowed_paths: card.allowed_paths,
        forbidden_paths: card.forbidden_paths,
        assignment_input_snapshot: snap.value,
        assignment_input_hash: snap.hash,
        status: "queued",
        phase: "queued",
        base_sha: null,
        head_sha: null,
        created_at: ctx.now,
        updated_at: ctx.now,
        version: 0,
      },
      "invalid_assignment",
    ),
  );
}

/**
 * Verifies a run's two snapshots against their recorded hashes. A mismatch is a `validation` error
 * (`snapshot_hash_mismatch`), never repaired; a legacy run with no recorded hashes fails with
 * `snapshot_unhashed`, because an unverifiable snapshot must not pass as a verified one.
 */
export function verifyRunSnapshots(
  run: Pick<OrchestrationRun, "id" | "system_policy_snapshot" | "run_input_snapshot" | "snapshot_hashes">,
): Result<true, ValidationError> {
  const hashes = run.snapshot_hashes;
  if (hashes === null) {
    return err(
      rungateError("validation", "snapshot_unhashed", {
        issues: [
          {
            path: ["snapshot_hashes"],
            code: "snapshot_unhashed",
            message: `run ${run.id} has no recorded snapshot hashes`,
          },
        ],
      }),
    );
  }
  const check = (value: unknown, hash: string, field: string): Result<true, ValidationError> =>
    verifySnapshot(value, hash).mapErr((e) =>
      rungateError("validation", e.code, {
        issues: [{ path: [field], code: e.code, message: `${field} of run ${run.id}: ${e.message}` }],
      }),
    );
  return check(run.system_policy_snapshot, hashes.system_policy, "system_policy_snapshot").andThen(() =>
    check(run.run_input_snapshot, hashes.run_input, "run_input_snapshot"),
  );
}

/**
 * Verifies a card's `assignment_input_snapshot` against its recorded hash: a mismatch is a `validation`
 * error (`snapshot_hash_mismatch`), never repaired. A record written before rungate recorded the hash
 * (`null`) passes unverified; stores refuse any write that changes the snapshot or its hash.
 */
export function verifyAssignmentSnapshot(
  assignment: Pick<CardAssignment, "id" | "assignment_input_snapshot" | "assignment_input_hash">,
): Result<true, ValidationError> {
  const hash = assignment.assignment_input_hash;
  if (hash === null) return ok(true);
  return verifySnapshot(assignment.assignment_input_snapshot, hash).mapErr((e) =>
    rungateError("validation", e.code, {
      issues: [
        {
          path: ["assignment_input_snapshot"],
          code: e.code,
          message: `assignment_input_snapshot of assignment ${assignment.id}: ${e.message}`,
        },
      ],
    }),
  );
}
