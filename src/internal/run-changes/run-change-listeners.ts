import type { RunChangeHint, RunChangeSubscription } from "../../ports/storage-port.js";

/** The subscribers of a store's run changes (see `StorageRunChanges`), shared by the adapters that offer it. */
export interface RunChangeListeners {
  /** Adds `listener`; closing the answer removes it (idempotent) and calls `onEmpty` when it was the last. */
  add(listener: (run_id: string, hint?: RunChangeHint) => void): RunChangeSubscription;
  /**
   * Tells every current listener each of `run_ids`, after the current call stack (never synchronously); with
   * `run_records` (the runs whose own record the write wrote), each with its {@link RunChangeHint}.
   */
  notify(run_ids: Iterable<string>, run_records?: ReadonlySet<string>): void;
  /** How many listeners there are. */
  readonly size: number;
}

/**
 * Creates an empty set. A listener that throws is the caller's bug and must not undo a committed write or
 * starve the other listeners, so its throw is dropped here.
 */
export function createRunChangeListeners(onEmpty: () => void = () => {}): RunChangeListeners {
  const listeners = new Set<(run_id: string, hint?: RunChangeHint) => void>();
  return {
    add(listener) {
      // A wrapper per subscription, so the same function subscribed twice is two subscriptions.
      const entry = (run_id: string, hint?: RunChangeHint) => listener(run_id, hint);
      listeners.add(entry);
      let open = true;
      return {
        close() {
          if (!open) return;
          open = false;
          listeners.delete(entry);
          if (listeners.size === 0) onEmpty();
        },
      };
    },
    notify(run_ids, run_records) {
      const ids = [...new Set(run_ids)];
      if (ids.length === 0 || listeners.size === 0) return;
      queueMicrotask(() => {
        for (const listener of [...listeners]) {
          for (const id of ids) {
            try {
              if (run_records === undefined) listener(id);
              else listener(id, { run_record: run_records.has(id) });
            } catch {
              // See the factory's comment.
            }
          }
        }
      });
    },
    get size() {
      return listeners.size;
    },
  };
}
