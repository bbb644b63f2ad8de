import type { StoragePort } from "../ports/storage-port.js";
import type { RunWakeups } from "./run-wakeups.js";

/** Why work on a run was stopped: a person cancelled the run, or its caller stopped (host shutdown). */
export type RunStop = "cancel" | "interrupt";

/** The abort reason rungate gives when a person cancelled the run (any other reason is an interrupt). */
class RunCancelled extends Error {
  constructor(readonly run_id: string) {
    super(`run ${run_id} was cancelled`);
    this.name = "RunCancelled";
  }
}

/** One piece of work (an agent, a card's checks) on a run, and how to stop it. */
export interface RunWorkItem {
  /** Aborts when the caller's signal aborts (an interrupt) or when the run is cancelled, here or elsewhere. */
  readonly signal: AbortSignal;
  /** Why it was stopped, `null` while it was not. */
  stoppedBy(): RunStop | null;
  /** The work is over: stop watching for it. Idempotent. */
  end(): void;
}

/**
 * The work this process runs for each run, so that a cancel reaches it. `cancel` aborts it at once here; for a
 * cancel made by another process sharing the store, each run with work in flight is read again when the store
 * says it changed (Postgres, PGlite: `LISTEN`/`NOTIFY`) and polled (`getRun` every `poll_ms`) while that work
 * lasts, so an agent of a cancelled run is stopped within `poll_ms` plus a read at the latest.
 */
export interface RunWork {
  /** Starts tracking work on `run_id`; `outer` is the caller's signal. Call `end()` when it is over. */
  begin(run_id: string, outer?: AbortSignal): RunWorkItem;
  /** Aborts every piece of work on `run_id` in this process, as cancelled by a person. */
  cancel(run_id: string): void;
  /** How many pieces of work are in flight on `run_id` (for tests and diagnostics). */
  inFlight(run_id: string): number;
}

/** Options of {@link createRunWork}. */
export interface RunWorkOptions {
  /**
   * How often a run with work in flight is read to see a cancel made elsewhere; 0 turns polling off (then only
   * the store's change notifications, where it has them, bring a cancel made elsewhere).
   */
  readonly poll_ms: number;
}

/** Creates the registry of a process's work on runs, watching `storage` for cancels made elsewhere. */
export function createRunWork(storage: StoragePort, wakeups: RunWakeups, options: RunWorkOptions): RunWork {
  const byRun = new Map<string, Set<AbortController>>();
  const pollers = new Map<string, ReturnType<typeof setInterval>>();
  const woken = new Map<string, () => void>();

  const cancel = (run_id: string) => {
    for (const controller of byRun.get(run_id) ?? []) {
      if (!controller.signal.aborted) controller.abort(new RunCancelled(run_id));
    }
  };

  const watch = (run_id: string) => {
    if (woken.has(run_id)) return;
    let reading = false;
    const look = () => {
      if (reading) return;
      reading = true;
      void storage.getRun(run_id).then((run) => {
        reading = false;
        if (run.isOk() && run.value.phase === "cancelled") cancel(run_id);
      });
    };
    // A cancel writes the run's record: a write of only its cards, checks or events needs no read.
    woken.set(run_id, wakeups.watch(run_id, look, { run_record: true }));
    if (options.poll_ms <= 0) return;
    const timer = setInterval(look, options.poll_ms);
    // Watching must never keep a host's process alive on its own.
    timer.unref?.();
    pollers.set(run_id, timer);
  };

  const unwatch = (run_id: string) => {
    const timer = pollers.get(run_id);
    if (timer !== undefined) clearInterval(timer);
    pollers.delete(run_id);
    woken.get(run_id)?.();
    woken.delete(run_id);
  };

  return {
    begin(run_id, outer) {
      const controller = new AbortController();
      const onOuter = () => controller.abort(outer?.reason);
      if (outer?.aborted) onOuter();
      else outer?.addEventListener("abort", onOuter, { once: true });
      const set = byRun.get(run_id) ?? new Set();
      set.add(controller);
      byRun.set(run_id, set);
      watch(run_id);
      let ended = false;
      return {
        signal: controller.signal,
        stoppedBy: () =>
          !controller.signal.aborted
            ? null
            : controller.signal.reason instanceof RunCancelled
              ? "cancel"
              : "interrupt",
        end() {
          if (ended) return;
          ended = true;
          outer?.removeEventListener("abort", onOuter);
          set.delete(controller);
          if (set.size === 0) {
            byRun.delete(run_id);
            unwatch(run_id);
          }
        },
      };
    },
    cancel,
    inFlight: (run_id) => byRun.get(run_id)?.size ?? 0,
  };
}
