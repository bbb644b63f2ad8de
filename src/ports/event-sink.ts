import type { ResultAsync } from "neverthrow";
import type { RunEvent } from "../core/schemas/run-event.js";
import type { PortError } from "./port-error.js";

/**
 * Where stored run events are delivered (a websocket hub, a queue, a log). Called after the storage write
 * that recorded them, in order. A failure is ignored: it never undoes the stored state nor fails the call that
 * stored the events, and the sink gets no retry (the events stay in the store: a sink that must not miss one
 * follows `Orchestrator.events` from its last `sequence` instead).
 */
export interface EventSink {
  readonly name: string;
  /** Delivers events already stored, in order; a failure never undoes the stored state. */
  publish(events: readonly RunEvent[]): ResultAsync<void, PortError>;
}
