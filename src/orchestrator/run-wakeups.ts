import type { RunChangeHint, RunChangeSubscription, StoragePort } from "../ports/storage-port.js";

/**
 * Wake-ups when the store says a run changed (`StoragePort.changes`), for what would otherwise wait for its
 * next poll: a cancel made in another process, a follower of the event log. One subscription per
 * orchestrator, held only while something watches. Without `changes` (or when subscribing fails) nothing
 * wakes and callers keep polling, which they do anyway: a notification may be lost.
 */
export interface RunWakeups {
  /**
   * Calls `onWake` each time `run_id` changes, until the answered function is called. With `run_record`, only
   * for writes that wrote the run's own record, or that the store cannot say did not ({@link RunChangeHint}).
   */
  watch(run_id: string, onWake: () => void, options?: { readonly run_record?: boolean }): () => void;
}

interface Watcher {
  readonly onWake: () => void;
  readonly run_record: boolean;
}

/** Creates the wake-ups of one orchestrator on `storage`. */
export function createRunWakeups(storage: StoragePort): RunWakeups {
  const watchers = new Map<string, Set<Watcher>>();
  let subscription: RunChangeSubscription | null = null;
  let subscribing = false;

  const wake = (run_id: string, hint?: RunChangeHint) => {
    for (const watcher of [...(watchers.get(run_id) ?? [])]) {
      if (watcher.run_record && hint?.run_record === false) continue;
      watcher.onWake();
    }
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
    watch(run_id, onWake, options) {
      // An object per watch, so the same function watching twice is two watches.
      const entry: Watcher = { onWake, run_record: options?.run_record === true };
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
