import { z } from "zod";
import { Uuid } from "../core/schemas/primitives.js";
import { parseRunEvent, type TypedRunEvent } from "../core/schemas/run-event-types.js";
import { TERMINAL_RUN_PHASES } from "../core/state/run-machine.js";
import type { OrchestratorDeps } from "./deps.js";

/** Which run's events to read, from where, and how often to look for new ones. */
export const EventsQuery = z.object({
  run_id: Uuid,
  /** Start after this `sequence` (default 0: the whole log). */
  after: z.number().int().min(0).default(0),
  /**
   * Longest wait between two reads of the stored log (default 500 ms). Events this process stores, and on a
   * store with change notifications (Postgres, PGlite) those any process stores, are read at once.
   */
  poll_ms: z.number().int().min(10).max(60_000).default(500),
});
/** What a host passes to `events`. */
export type EventsQuery = z.input<typeof EventsQuery>;

/**
 * The typed event stream behind `orchestrator.events`: a run's stored log followed across processes, or the
 * live events of this process. A malformed query is a programmer error and throws when iteration starts.
 */
export async function* eventStream(
  deps: OrchestratorDeps,
  query: string | EventsQuery | undefined,
  signal?: AbortSignal,
): AsyncGenerator<TypedRunEvent> {
  if (query === undefined) {
    for await (const e of deps.hub.subscribe(undefined, signal)) {
      const typed = parseRunEvent(e);
      if (typed.isOk()) yield typed.value;
    }
    return;
  }
  const parsed = EventsQuery.safeParse(typeof query === "string" ? { run_id: query } : query);
  if (!parsed.success) throw new TypeError(`events: invalid query: ${parsed.error.message}`);
  yield* followRun(deps, parsed.data, signal);
}

async function* followRun(
  deps: OrchestratorDeps,
  query: z.infer<typeof EventsQuery>,
  signal: AbortSignal | undefined,
): AsyncGenerator<TypedRunEvent> {
  let last = query.after;
  // A change the store reports (another process wrote) ends the current wait at once.
  let changed = false;
  let nudge: AbortController | undefined;
  const stopWatching = deps.wakeups.watch(query.run_id, () => {
    changed = true;
    nudge?.abort();
  });
  try {
    yield* readUntilFinished();
  } finally {
    stopWatching();
  }

  async function* readUntilFinished(): AsyncGenerator<TypedRunEvent> {
    while (!signal?.aborted) {
      changed = false;
      // The phase first, then the log: a run seen finished has all its events up to the end in what follows.
      const run = await deps.storage.getRun(query.run_id);
      if (run.isErr() && run.error.kind === "not_found") return;
      const page = run.isOk() ? await deps.storage.listEvents(query.run_id, last) : null;
      if (page?.isOk()) {
        for (const e of page.value) {
          if (e.sequence <= last) continue;
          last = e.sequence;
          const typed = parseRunEvent(e);
          if (typed.isOk()) yield typed.value;
          if (signal?.aborted) return;
        }
        if (run.isOk() && TERMINAL_RUN_PHASES.includes(run.value.phase)) return;
      }
      // A failed read (a store hiccup) is tried again after the wait, like an empty one.
      if (changed) continue;
      const wait = new AbortController();
      nudge = wait;
      const stop = () => wait.abort();
      signal?.addEventListener("abort", stop, { once: true });
      await deps.hub.waitFor(query.run_id, query.poll_ms, wait.signal);
      signal?.removeEventListener("abort", stop);
      nudge = undefined;
    }
  }
}
