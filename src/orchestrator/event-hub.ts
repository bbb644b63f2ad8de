import type { RunEvent } from "../core/schemas/run-event.js";

/** In-process fan-out of stored run events to `orchestrator.events()` subscribers. */
export interface EventHub {
  /** Delivers events (already stored) to current subscribers. */
  publish(events: readonly RunEvent[]): void;
  /** Live events, optionally of one run, until `signal` aborts. */
  subscribe(run_id: string | undefined, signal?: AbortSignal): AsyncIterable<RunEvent>;
  /**
   * Resolves when this process stores an event of `run_id`, after `ms` at the latest, or when `signal`
   * aborts: what a reader of the stored log waits on between two reads.
   */
  waitFor(run_id: string, ms: number, signal?: AbortSignal): Promise<void>;
}

/** Creates an {@link EventHub}. Slow subscribers buffer without bound; they own their pace. */
export function createEventHub(): EventHub {
  const subscribers = new Set<(e: RunEvent) => void>();
  return {
    waitFor(run_id, ms, signal) {
      return new Promise<void>((resolve) => {
        if (signal?.aborted) return resolve();
        const done = () => {
          clearTimeout(timer);
          subscribers.delete(listener);
          signal?.removeEventListener("abort", done);
          resolve();
        };
        const listener = (e: RunEvent) => {
          if (e.run_id === run_id) done();
        };
        const timer = setTimeout(done, ms);
        subscribers.add(listener);
        signal?.addEventListener("abort", done, { once: true });
      });
    },
    publish(events) {
      for (const e of events) for (const s of subscribers) s(e);
    },
    subscribe(run_id, signal) {
      return {
        [Symbol.asyncIterator]() {
          const buffer: RunEvent[] = [];
          let wake: (() => void) | undefined;
          let done = signal?.aborted ?? false;
          const listener = (e: RunEvent) => {
            if (run_id !== undefined && e.run_id !== run_id) return;
            buffer.push(e);
            wake?.();
          };
          const stop = () => {
            done = true;
            subscribers.delete(listener);
            wake?.();
          };
          if (!done) subscribers.add(listener);
          signal?.addEventListener("abort", stop, { once: true });
          return {
            async next(): Promise<IteratorResult<RunEvent>> {
              while (buffer.length === 0 && !done) await new Promise<void>((r) => (wake = r));
              wake = undefined;
              const e = buffer.shift();
              return e === undefined ? { done: true, value: undefined } : { done: false, value: e };
            },
            async return(): Promise<IteratorResult<RunEvent>> {
              stop();
              return { done: true, value: undefined };
            },
          };
        },
      };
    },
  };
}
