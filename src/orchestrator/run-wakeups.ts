import type { RunChangeSubscription, StoragePort } from "../ports/storage-port.js";

/**
 * Wake-ups when the store says a run changed (`StoragePort.changes`), for what would otherwise wait for its
 * next poll: a cancel made in another process, a follower of the event log. One subscription per
 * orchestrator, held only while something watches. Without `changes` (or when subscribing fails) nothing
 * wakes and callers keep polling, which they do anyway: a notification may be lost.
 */
export interface RunWakeups {
  /** Calls `onWake` each time `run_id` changes, until the answered function is called. */
  watch(run_id: string, onWake: () => void): () => void;
}

/** Creates the wake-ups of one orchestrator on `storage`. */
export function createRunWakeups(storage: StoragePort): RunWakeups {
  const watchers = new Map<string, Set<() => void>>();
  let subscription: RunChangeSubscription | null = null;
  let subscribing = false;

  const wake = (run_id: string) => {
    for (const onWake of [...(watchers.get(run_id) ?? [])]) onWake();
  };
  const subscribe = () => {
    const changes = storage.changes;
    if (changes === undefined || subscription !== null || subscribing) return;
    subscribing = true;
    void changes.subscribe(wake).then((subscribed) => {
      subscribing = false;
      if (subscribed.isErr()) return; // polling covers it; the next watch tries again
      subscription = subscribed.value;
      // Everyone stopped watching while the subscription was being made.
      if (watchers.size === 0) unsubscribe();
    });
  };
  const unsubscribe = () => {
    subscription?.close();
    subscription = null;
  };

  return {
    watch(run_id, onWake) {
      const entry = () => onWake();
      const set = watchers.get(run_id) ?? new Set();
      set.add(entry);
      watchers.set(run_id, set);
      subscribe();
      let watching = true;
      return () => {
        if (!watching) return;
        watching = false;
        set.delete(entry);
        if (set.size === 0) watchers.delete(run_id);
        if (watchers.size === 0) unsubscribe();
      };
    },
  };
}
