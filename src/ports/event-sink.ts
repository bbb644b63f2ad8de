import type { ResultAsync } from "neverthrow";
import type { RunEvent } from "../core/schemas/run-event.js";
import type { PortError } from "./port-error.js";

/**
 * Where stored run events are delivered (a websocket hub, a queue, a log). Called after the storage write
 * that recorded them, in order; a failure is reported but never undoes the stored state.
 */
export interface EventSink {
  readonly name: string;
  /** Delivers events already stored, in order; a failure never undoes the stored state. */
  publish(events: readonly RunEvent[]): ResultAsync<void, PortError>;
}
