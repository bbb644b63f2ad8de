/**
 * `StoragePort.changes` on Postgres and PGlite: every write that touches a run queues `pg_notify` on
 * {@link RUN_CHANGES_CHANNEL} in its transaction (see `write.ts`), and this module listens. One listening
 * connection per store, opened on the first subscription and given back when the last one closes, so an idle
 * store holds no connection.
 */
import { ResultAsync } from "neverthrow";
import {
  createRunChangeListeners,
  type RunChangeListeners,
} from "../../internal/run-changes/run-change-listeners.js";
import type { PortError } from "../../ports/port-error.js";
import type { StorageRunChanges } from "../../ports/storage-port.js";
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

/** The run id of a payload meant for `schema` (`<schema>:<run_id>`), `null` for another schema's. */
function runIdFor(schema: string, payload: string): string | null {
  const prefix = `${schema}:`;
  return payload.startsWith(prefix) ? payload.slice(prefix.length) : null;
}

function createFeed(adapter: string, schema: string, listen: Listen): RunChangeFeed {
  let stopListening: Promise<(() => Promise<void>) | null> | null = null;
  let closed = false;
  let retry: ReturnType<typeof setTimeout> | undefined;

  const stop = () => {
    clearTimeout(retry);
    const stopping = stopListening;
    stopListening = null;
    return (stopping ?? Promise.resolve(null)).then((fn) => fn?.()).catch(() => undefined);
  };
  const listeners: RunChangeListeners = createRunChangeListeners(() => void stop());
  const onPayload = (payload: string) => {
    const run_id = runIdFor(schema, payload);
    if (run_id !== null) listeners.notify([run_id]);
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

/** The change feed of a store on a `pg.Pool`: one checked-out connection runs `LISTEN` while anyone listens. */
export function poolRunChanges(pool: PgPoolLike, schema: string, adapter: string): RunChangeFeed {
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
  return createFeed(adapter, schema, listen);
}

/** The change feed of a PGlite store (PGlite's own `listen`); `null` for an instance without it. */
export function pgliteRunChanges(pglite: PGliteLike, schema: string, adapter: string): RunChangeFeed | null {
  const { listen } = pglite;
  if (typeof listen !== "function") return null;
  return createFeed(adapter, schema, (onPayload) => listen.call(pglite, RUN_CHANGES_CHANNEL, onPayload));
}
