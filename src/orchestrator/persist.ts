import { okAsync, type ResultAsync } from "neverthrow";
import type { RungateError } from "../core/errors.js";
import type { SecretRedactor } from "../core/redaction/secret-redactor.js";
import { formatActor } from "../core/schemas/actor-id.js";
import type { CardAssignment } from "../core/schemas/card-assignment.js";
import type { OrchestrationRun } from "../core/schemas/orchestration-run.js";
import type { Actor } from "../core/schemas/primitives.js";
import type { RunLogEventPayload, RunLogEventType } from "../core/schemas/run-event-types.js";
import { jsonData } from "../core/snapshot/json-data.js";
import type { TransitionEffect } from "../core/state/assignment-machine.js";
import type { RunEventDraft, StorageWrite, StorageWriteResult } from "../ports/storage-port.js";
import type { OrchestratorDeps } from "./deps.js";

export { formatActor };

/** rungate itself, as an actor. */
export function systemActor(deps: OrchestratorDeps): Actor {
  return { type: "system", id: deps.options.system_actor };
}

/** A new event of `run`, stamped now, to be written with the state it describes. */
export function eventDraft<T extends RunLogEventType>(
  deps: OrchestratorDeps,
  run: Pick<OrchestrationRun, "id" | "project_id">,
  event_type: T,
  actor: Actor,
  payload: RunLogEventPayload<T>,
): RunEventDraft {
  return {
    id: deps.ids.next(),
    run_id: run.id,
    project_id: run.project_id,
    event_type,
    actor: formatActor(actor),
    payload: jsonData(payload) as RunEventDraft["payload"],
    created_at: deps.clock.now(),
  };
}

/** The events a transition asked for. */
export function effectEvents(
  deps: OrchestratorDeps,
  run: Pick<OrchestrationRun, "id" | "project_id">,
  effects: readonly TransitionEffect[],
  actor: Actor,
): RunEventDraft[] {
  return effects.map((e) =>
    eventDraft(deps, run, e.event_type, actor, { ...e.payload } as RunLogEventPayload<typeof e.event_type>),
  );
}

/**
 * Writes atomically, then hands the stored events to subscribers and the event sink. A failing sink never
 * undoes or fails the write: the log in storage is the record, delivery is best effort.
 */
export function commit(
  deps: OrchestratorDeps,
  write: StorageWrite,
): ResultAsync<StorageWriteResult, RungateError> {
  // The one redaction boundary: nothing reaches storage, subscribers or the sink without passing it.
  return deps.storage.write(redactWrite(deps.redactor, write)).andThen((result) => {
    deps.card_runs?.remember(result.assignments);
    if (!result.replayed && result.events.length > 0) {
      deps.hub.publish(result.events);
      if (deps.eventSink)
        return deps.eventSink
          .publish(result.events)
          .orElse(() => okAsync(undefined))
          .map(() => result);
    }
    return okAsync(result);
  });
}

/**
 * `write` with every string redacted, except the snapshots and their hashes (a run's two, each card's one):
 * those were redacted before they were hashed (createRun), and must be written again exactly as hashed, even
 * by a redactor that knows more secrets than the one that made the run (another worker, a restarted host).
 * Stores refuse any change to them anyway (`snapshot_immutable`).
 */
export function redactWrite(redactor: SecretRedactor, write: StorageWrite): StorageWrite {
  // The snapshots are set aside before the walk, not only put back after it: they are most of a run's bytes,
  // and a run is in most writes.
  const redacted = redactor.redactValue({
    ...write,
    ...(write.runs === undefined
      ? {}
      : {
          runs: write.runs.map((entry) => ({
            ...entry,
            record: {
              ...entry.record,
              system_policy_snapshot: {},
              run_input_snapshot: {},
              snapshot_hashes: null,
            },
          })),
        }),
    ...(write.assignments === undefined
      ? {}
      : {
          assignments: write.assignments.map((entry) => ({
            ...entry,
            record: { ...entry.record, assignment_input_snapshot: {}, assignment_input_hash: "" },
          })),
        }),
  } as StorageWrite);
  return {
    ...redacted,
    ...(redacted.runs === undefined
      ? {}
      : {
          runs: redacted.runs.map((entry, i) => {
            const original = write.runs?.[i]?.record;
            if (original === undefined) return entry;
            const { system_policy_snapshot, run_input_snapshot, snapshot_hashes } = original;
            return {
              ...entry,
              record: { ...entry.record, system_policy_snapshot, run_input_snapshot, snapshot_hashes },
            };
          }),
        }),
    ...(redacted.assignments === undefined
      ? {}
      : {
          assignments: redacted.assignments.map((entry, i) => {
            const original = write.assignments?.[i]?.record;
            if (original === undefined) return entry;
            const { assignment_input_snapshot, assignment_input_hash } = original;
            return {
              ...entry,
              record: { ...entry.record, assignment_input_snapshot, assignment_input_hash },
            };
          }),
        }),
  };
}

/** The stored assignment of a write (the one with `id`), falling back to what was sent. */
export function storedAssignment(result: StorageWriteResult, fallback: CardAssignment): CardAssignment {
  return result.assignments.find((a) => a.id === fallback.id) ?? fallback;
}
