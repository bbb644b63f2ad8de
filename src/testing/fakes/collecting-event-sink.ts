import { errAsync, okAsync } from "neverthrow";
import type { RunEvent } from "../../core/schemas/run-event.js";
import { BoundedLog, DEFAULT_LOG_LIMIT } from "../../internal/bounded/bounded-log.js";
import type { EventSink } from "../../ports/event-sink.js";
import type { PortError } from "../../ports/port-error.js";

/** Options of {@link createCollectingEventSink}. */
export interface CollectingEventSinkOptions {
  /** Adapter name (default `"collecting-event-sink"`). */
  readonly name?: string;
  /** Start broken: every publish fails with this error. */
  readonly failWith?: PortError;
  /**
   * How many events it keeps, the newest (default {@link DEFAULT_LOG_LIMIT}, 10,000): a long-lived sink holds
   * bounded memory (a card lifecycle publishes about 30 events). `Infinity` keeps everything.
   */
  readonly log_limit?: number;
}

/** An {@link EventSink} that keeps what it received, for assertions. */
export interface CollectingEventSink extends EventSink {
  /**
   * Every event published successfully, in delivery order, the newest `log_limit` of them (a copy; safe to
   * keep).
   */
  readonly events: readonly RunEvent[];
  /** How many `publish` calls were made, failed ones included. */
  readonly publishCalls: number;
  /**
   * When set, every `publish` fails with this error and collects nothing: a broken websocket hub or queue.
   * Assign `undefined` to repair the sink.
   */
  failWith: PortError | undefined;
  /** Forgets the collected events (not the call count). */
  clear(): void;
}

/**
 * An in-memory {@link EventSink} that collects published events in order (the newest `log_limit`); set
 * `failWith` to simulate a sink that is down (rungate must report the failure without undoing stored state).
 */
export function createCollectingEventSink(options: CollectingEventSinkOptions = {}): CollectingEventSink {
  const limit = options.log_limit ?? DEFAULT_LOG_LIMIT;
  let collected = new BoundedLog<RunEvent>(limit);
  let calls = 0;
  let failWith = options.failWith;
  return {
    name: options.name ?? "collecting-event-sink",
    get failWith() {
      return failWith;
    },
    set failWith(error) {
      failWith = error;
    },
    get events() {
      return collected.entries();
    },
    get publishCalls() {
      return calls;
    },
    clear() {
      collected = new BoundedLog<RunEvent>(limit);
    },
    publish(events) {
      calls += 1;
      if (failWith !== undefined) return errAsync(failWith);
      for (const event of events) collected.push(event);
      return okAsync(undefined);
    },
  };
}
