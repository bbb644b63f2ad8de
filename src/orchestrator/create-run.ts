import { ok, type ResultAsync, safeTry } from "neverthrow";
import { z } from "zod";
import type { RungateError } from "../core/errors.js";
import { parseInput } from "../core/parse.js";
import { validateRunInputAgainstPolicy } from "../core/policy/validate-run-input.js";
import { newCardAssignment, newOrchestrationRun } from "../core/run/new-run.js";
import { actorOf } from "../core/schemas/actor-id.js";
import type { CardAssignment } from "../core/schemas/card-assignment.js";
import type { OrchestrationRun } from "../core/schemas/orchestration-run.js";
import type { RunInputInput } from "../core/schemas/run-input.js";
import type { OrchestratorDeps } from "./deps.js";
import { commit, eventDraft } from "./persist.js";

/**
 * What a host passes to create a run: the run input's fields (see `RunInput`) side by side with the
 * project's active `policy` (snapshotted into the run) and an optional `idempotency_key` (repeat a request
 * with the same key and you get the first run back, never a second one).
 */
export const CreateRunRequest = z.looseObject({
  policy: z.unknown(),
  idempotency_key: z.string().min(1).max(200).optional(),
});
/** What a host passes to {@link createRun} and `triggerBuild`. */
export type CreateRunRequest = RunInputInput & {
  readonly policy: unknown;
  readonly idempotency_key?: string;
};

/** A created run and its queued assignments. */
export interface CreatedRun {
  readonly run: OrchestrationRun;
  readonly assignments: readonly CardAssignment[];
  /** `true` when the idempotency key had been used: these are the first request's records. */
  readonly replayed: boolean;
}

/**
 * Validates the input against the policy, captures both snapshots, and stores the `queued` run with one
 * `queued` assignment per card, in one write with their `run.created` / `assignment.created` events.
 * Fails with `policy_violation` (every violation listed) or `validation` before anything is stored.
 */
export function createRun(
  deps: OrchestratorDeps,
  request: CreateRunRequest,
): ResultAsync<CreatedRun, RungateError> {
  return safeTry<CreatedRun, RungateError>(async function* () {
    // Redacted before anything is snapshotted: a snapshot's hash is taken over what is stored.
    const parsed = yield* parseInput(CreateRunRequest, request);
    const { policy, idempotency_key, ...input } = deps.redactor.redactValue(parsed);
    const validated = yield* validateRunInputAgainstPolicy(input, policy);
    const run = yield* newOrchestrationRun(validated, { run_id: deps.ids.next(), now: deps.clock.now() });
    const assignments: CardAssignment[] = [];
    for (const card of validated.cards) {
      assignments.push(
        yield* newCardAssignment(run, card, { assignment_id: deps.ids.next(), now: run.created_at }),
      );
    }
    const actor = actorOf(run.initiated_by);
    const stored = yield* commit(deps, {
      ...(idempotency_key === undefined ? {} : { idempotency_key: `create_run:${idempotency_key}` }),
      runs: [{ record: run, expected_version: null }],
      assignments: assignments.map((record) => ({ record, expected_version: null })),
      events: [
        eventDraft(deps, run, "run.created", actor, {
          scope: run.scope,
          cards: assignments.length,
          planned_checks: validated.planned_checks,
          snapshot_hashes: run.snapshot_hashes,
        }),
        ...assignments.map((a) =>
          eventDraft(deps, run, "assignment.created", actor, {
            assignment_id: a.id,
            card_id: a.card_id,
            feature_branch: a.feature_branch,
            allowed_paths: a.allowed_paths,
            forbidden_paths: a.forbidden_paths,
          }),
        ),
      ],
    });
    const storedRun = stored.runs[0] ?? run;
    return ok({ run: storedRun, assignments: stored.assignments, replayed: stored.replayed });
  });
}
