/**
 * `StoragePort.changes` on Postgres and PGlite: every write that touches a run queues `pg_notify` on
 * {@link RUN_CHANGES_CHANNEL} in its transaction (see `write.ts`), and this module listens. One listening
 * connection per store, opened on the first subscription and given back once the last one has been closed for
 * the store's `listenLingerMs`, so an idle store holds no connection.
 *
 * A payload is `<schema>:<entry>`, the entry made by {@link runChangeEntry}: `<run_id>` when the write wrote
 * the run's own record, `<run_id>:-` when it touched the run only through its other records, so listeners get
 * a {@link RunChangeHint}. The mark rides in the entry, not in the SQL, so the write function needs no
 * migration.
 */
import { ResultAsync } from "neverthrow";
import {
  createRunChangeListeners,
  type RunChangeListeners,
} from "../../internal/run-changes/run-change-listeners.js";
import type { PortError } from "../../ports/port-error.js";
import type { RunChangeHint, StorageRunChanges } from "../../ports/storage-port.js";
import { toPortError } from "./map-postgres-errors.js";
import { RUN_CHANGES_CHANNEL } from "./plans.js";
import type { PGliteLike, PgPoolClientLike, PgPoolLike } from "./postgres-config.js";

/** The store's change feed and how to stop it when the store closes. */
export interface RunChangeFeed {
  readonly changes: StorageRunChanges;
  /** Stops listening and gives the connection back; later subscriptions fail. */
  shutdown(): Promise<void>;
}

/**
 * How one engine listens: answers the function that stops listening; `onBroken` is called when the listening
 * connection broke on its own (the feed then listens again).
 */
type Listen = (onPayload: (payload: string) => void, onBroken: () => void) => Promise<() => Promise<void>>;

// A broken listening connection is opened again after this long while someone still listens; notifications
// sent in between are lost, which callers' polling covers.
const RECONNECT_MS = 1_000;

// Ends the entry of a run the write touched only through its other records (assignments, approvals, pull
// requests, checks, executions, events). Run ids are UUIDs and schema names SQL identifiers: neither holds ':'.
const OTHER_RECORDS_MARK = ":-";

/**
 * The `notify` entry of one run a write touched: the run's id when the write wrote the run's own record, else
 * the id marked (`<run_id>:-`). The write sends `<schema>:<entry>`, parsed back by {@link parseRunChange}.
 */
export function runChangeEntry(run_id: string, run_record: boolean): string {
  return run_record ? run_id : `${run_id}${OTHER_RECORDS_MARK}`;
}

/**
 * The run and hint of a payload meant for `schema`; `null` for another schema's. An unmarked payload (also
 * what package versions before the hint send) hints `run_record: true`, the safe side: a watcher then reads.
 */
export function parseRunChange(
  schema: string,
  payload: string,
): { readonly run_id: string; readonly hint: RunChangeHint } | null {
  const prefix = `${schema}:`;
  if (!payload.startsWith(prefix)) return null;
  const entry = payload.slice(prefix.length);
  // The run id ends at the first ':'; a mark this version does not know after it also reads as the safe side.
  const end = entry.indexOf(":");
  if (end < 0) return { run_id: entry, hint: { run_record: true } };
  return {
    run_id: entry.slice(0, end),
    hint: { run_record: entry.slice(end) !== OTHER_RECORDS_MARK },
  };
}

const NO_RUN_RECORDS: ReadonlySet<string> = new Set();

function createFeed(adapter: string, schema: string, listen: Listen, lingerMs: number): RunChangeFeed {
  let stopListening: Promise<(() => Promise<void>) | null> | null = null;
  let closed = false;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let linger: ReturnType<typeof setTimeout> | undefined;

  const stop = () => {
    clearTimeout(retry);
    clearTimeout(linger);
    linger = undefined;
    const stopping = stopListening;
    stopListening = null;
    return (stopping ?? Promise.resolve(null)).then((fn) => fn?.()).catch(() => undefined);
  };
  // Why linger: an orchestrator watches a run step after step (the agent, then the checks), each watch a
  // subscription of its own, and each new one cost a connection check-out, a LISTEN and an UNLISTEN: 4 of a
  // worker's 31 statements a card (bench/worker-sql.ts). A subscriber arriving within the linger finds it listening.
  const onEmpty = () => {
    if (lingerMs === 0) {
      void stop();
      return;
    }
    clearTimeout(linger);
    linger = setTimeout(() => {
      linger = undefined;
      if (listeners.size === 0) void stop();
    }, lingerMs);
    // A lingering feed never keeps the host's process alive.
    linger.unref?.();
  };
  const listeners: RunChangeListeners = createRunChangeListeners(onEmpty);
  const onPayload = (payload: string) => {
    const change = parseRunChange(schema, payload);
    if (change === null) return;
    listeners.notify([change.run_id], change.hint.run_record ? new Set([change.run_id]) : NO_RUN_RECORDS);
  };
  const start = (): Promise<unknown> => {
    stopListening ??= listen(onPayload, () => restart()).catch((cause: unknown) => {
      stopListening = null;
      throw cause;
    });
    return stopListening;
  };
  // Called by a pg connection that broke: listen again later if anyone still does.
  const restart = () => {
    stopListening = null;
    if (closed || listeners.size === 0) return;
    retry = setTimeout(() => {
      if (!closed && listeners.size > 0) start().catch(() => restart());
    }, RECONNECT_MS);
    retry.unref?.();
  };

  return {
    changes: {
      subscribe(listener) {
        if (closed) {
          return ResultAsync.fromPromise(
            Promise.reject(new Error("the store is closed")),
            toPortError(adapter, "subscribe"),
          );
        }
        clearTimeout(linger);
        linger = undefined;
        const subscription = listeners.add(listener);
        return ResultAsync.fromPromise(start(), (cause): PortError => {
          subscription.close();
          return toPortError(adapter, "subscribe")(cause);
        }).map(() => subscription);
      },
    },
    shutdown() {
      closed = true;
      return stop();
    },
  };
}

/**
 * The change feed of a store on a `pg.Pool`: one checked-out connection runs `LISTEN` while anyone listens, and
 * `lingerMs` after the last one left.
 */
export function poolRunChanges(
  pool: PgPoolLike,
  schema: string,
  adapter: string,
  lingerMs: number,
): RunChangeFeed {
  const listen: Listen = async (onPayload, onBroken) => {
    const connection: PgPoolClientLike = await pool.connect();
    if (typeof connection.on !== "function") {
      connection.release();
      throw new Error("this pool's connections emit no notifications (no `on`): rungate polls instead");
    }
    let released = false;
    const onNotification = (message: unknown) => {
      const { channel, payload } = (message ?? {}) as { channel?: unknown; payload?: unknown };
      if (channel === RUN_CHANGES_CHANNEL && typeof payload === "string") onPayload(payload);
    };
    const onError = () => {
      release(true);
      onBroken();
    };
    const release = (broken: boolean) => {
      if (released) return;
      released = true;
      // A connection going back to the pool is checked out again, by this feed or any query: left on it, these
      // listeners piled up on every LISTEN, and a later error of the pooled connection woke a stopped feed. A
      // destroyed one keeps its error listener (an unhandled "error" would end the host's process).
      connection.removeListener?.("notification", onNotification);
      if (!broken) connection.removeListener?.("error", onError);
      connection.release(broken);
    };
    connection.on("notification", onNotification);
    // Unhandled, a broken connection's "error" would end the host's process.
    connection.on("error", onError);
    try {
      await connection.query(`LISTEN ${RUN_CHANGES_CHANNEL}`);
    } catch (cause) {
      release(true);
      throw cause;
    }
    return async () => {
      if (released) return;
      await connection.query(`UNLISTEN ${RUN_CHANGES_CHANNEL}`).then(
        () => release(false),
        () => release(true),
      );
    };
  };
  return createFeed(adapter, schema, listen, lingerMs);
}

/**
 * The change feed of a PGlite store (PGlite's own `listen`, kept `lingerMs` after the last subscriber left);
 * `null` for an instance without it.
 */
export function pgliteRunChanges(
  pglite: PGliteLike,
  schema: string,
  adapter: string,
  lingerMs: number,
): RunChangeFeed | null {
  const { listen } = pglite;
  if (typeof listen !== "function") return null;
  return createFeed(
    adapter,
    schema,
    (onPayload) => listen.call(pglite, RUN_CHANGES_CHANNEL, onPayload),
    lingerMs,
  );
}
