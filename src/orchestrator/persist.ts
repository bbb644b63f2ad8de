import { okAsync, type ResultAsync } from "neverthrow";
import type { RungateError } from "../core/errors.js";
import type { CardAssignment } from "../core/schemas/card-assignment.js";
import type { OrchestrationRun } from "../core/schemas/orchestration-run.js";
import type { Actor } from "../core/schemas/primitives.js";
import type { TransitionEffect } from "../core/state/assignment-machine.js";
import type { RunEventDraft, StorageWrite, StorageWriteResult } from "../ports/storage-port.js";
import type { OrchestratorDeps } from "./deps.js";

/** `type:id`, the way actors are written into the event log. */
export function formatActor(actor: Actor): string {
  return `${actor.type}:${actor.id}`;
}

/** rungate itself, as an actor. */
export function systemActor(deps: OrchestratorDeps): Actor {
  return { type: "system", id: deps.options.system_actor };
}

/** A new event of `run`, stamped now, to be written with the state it describes. */
export function eventDraft(
  deps: OrchestratorDeps,
  run: Pick<OrchestrationRun, "id" | "project_id">,
  event_type: string,
  actor: Actor,
  payload: Record<string, unknown>,
): RunEventDraft {
  return {
    id: deps.ids.next(),
    run_id: run.id,
    project_id: run.project_id,
    event_type,
    actor: formatActor(actor),
    payload: JSON.parse(JSON.stringify(payload)) as RunEventDraft["payload"],
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
  return effects.map((e) => eventDraft(deps, run, e.event_type, actor, { ...e.payload }));
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
  // Snapshots were redacted before they were hashed (createRun), so this leaves them, and their hashes, as
  // they are: redaction is idempotent.
  return deps.storage.write(deps.redactor.redactValue(write)).andThen((result) => {
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

/** The stored assignment of a write (the one with `id`), falling back to what was sent. */
export function storedAssignment(result: StorageWriteResult, fallback: CardAssignment): CardAssignment {
  return result.assignments.find((a) => a.id === fallback.id) ?? fallback;
}
