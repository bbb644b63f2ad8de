/**
 * A storage decorator: wraps any {@link StoragePort} (rungate's PGlite or Postgres store, the in-memory fake, or
 * your own) and reports every call it forwards, with its duration and outcome, to a callback: the place to
 * hang metrics, traces or slow-query logs. It changes nothing about what the store answers.
 *
 * The one subtle part is the optional capabilities. `leases`, `changes`, `readRunState` and
 * `listCardAssignments` are offered only when the wrapped store offers them: a decorator that always added them
 * would promise what the store cannot do, and one that dropped them would quietly turn a multi-worker store into
 * a single-process one.
 * `secret_values` is forwarded too, or rungate would stop redacting the store's password.
 */
import type {
  PortError,
  ResultAsync,
  RunChangeSubscription,
  StorageLeases,
  StoragePort,
  StorageRunChanges,
  StorageWrite,
} from "rungate";

/** One forwarded call, as reported. */
export interface StorageCall {
  /** The method, with its capability for optional ones: `write`, `getRun`, `leases.heartbeat`, … */
  readonly method: string;
  /** The run the call was about, when it names one. */
  readonly run_id: string | null;
  readonly duration_ms: number;
  /** `ok`, or the kind of the {@link PortError} the store answered. */
  readonly outcome: "ok" | PortError["kind"];
}

/** Options of {@link traceStorage}. */
export interface TraceStorageOptions {
  /** Called after each call settles. A throwing callback is ignored: tracing never breaks storage. */
  readonly onCall: (call: StorageCall) => void;
  /** The clock durations are measured with (default `performance.now`). */
  readonly now?: () => number;
}

/** The run a write is about: its first run, or the run of its first event or assignment. */
function runOfWrite(write: StorageWrite): string | null {
  return (
    write.runs?.[0]?.record.id ?? write.events?.[0]?.run_id ?? write.assignments?.[0]?.record.run_id ?? null
  );
}

/**
 * `inner`, with every call reported to `options.onCall`. Results, errors and capabilities are `inner`'s own.
 *
 * @example
 * const storage = traceStorage(await openPglite(), {
 *   onCall: (c) => metrics.histogram("rungate_storage_ms", c.duration_ms, { method: c.method, outcome: c.outcome }),
 * });
 * const orchestrator = createOrchestrator({ ...ports, storage });
 */
export function traceStorage(inner: StoragePort, options: TraceStorageOptions): StoragePort {
  const now = options.now ?? (() => performance.now());
  const report = (call: StorageCall) => {
    try {
      options.onCall(call);
    } catch {
      // A metrics backend that is down must not fail a run.
    }
  };
  /** Runs one forwarded call and reports it once it settles. */
  function traced<T>(method: string, run_id: string | null, forward: () => ResultAsync<T, PortError>) {
    const started = now();
    const settle = (outcome: StorageCall["outcome"]) =>
      report({ method, run_id, duration_ms: now() - started, outcome });
    return forward()
      .map((value) => {
        settle("ok");
        return value;
      })
      .mapErr((error) => {
        settle(error.kind);
        return error;
      });
  }

  const leases = inner.leases;
  const tracedLeases: StorageLeases | undefined = leases && {
    claimNextAssignment: (input, o) =>
      traced("leases.claimNextAssignment", null, () => leases.claimNextAssignment(input, o)),
    heartbeat: (input, o) => traced("leases.heartbeat", null, () => leases.heartbeat(input, o)),
    releaseLease: (input, o) => traced("leases.releaseLease", null, () => leases.releaseLease(input, o)),
  };
  const changes = inner.changes;
  const tracedChanges: StorageRunChanges | undefined = changes && {
    // Only the subscription is a call; the notifications it delivers are passed on as they come.
    subscribe: (listener) =>
      traced<RunChangeSubscription>("changes.subscribe", null, () => changes.subscribe(listener)),
  };
  const readRunState = inner.readRunState?.bind(inner);
  const listCardAssignments = inner.listCardAssignments?.bind(inner);

  return {
    name: inner.name,
    ...(inner.secret_values === undefined ? {} : { secret_values: inner.secret_values }),
    write: (write, o) => traced("write", runOfWrite(write), () => inner.write(write, o)),
    getRun: (run_id, o) => traced("getRun", run_id, () => inner.getRun(run_id, o)),
    listRuns: (query, o) => traced("listRuns", null, () => inner.listRuns(query, o)),
    getAssignment: (id, o) => traced("getAssignment", null, () => inner.getAssignment(id, o)),
    listAssignments: (run_id, o) => traced("listAssignments", run_id, () => inner.listAssignments(run_id, o)),
    listChecks: (run_id, o) => traced("listChecks", run_id, () => inner.listChecks(run_id, o)),
    listApprovals: (run_id, o) => traced("listApprovals", run_id, () => inner.listApprovals(run_id, o)),
    listPullRequests: (run_id, o) =>
      traced("listPullRequests", run_id, () => inner.listPullRequests(run_id, o)),
    listExecutions: (run_id, o) => traced("listExecutions", run_id, () => inner.listExecutions(run_id, o)),
    listCommits: (id, o) => traced("listCommits", null, () => inner.listCommits(id, o)),
    listEvents: (run_id, after, o) => traced("listEvents", run_id, () => inner.listEvents(run_id, after, o)),
    ...(readRunState === undefined
      ? {}
      : { readRunState: (run_id, o) => traced("readRunState", run_id, () => readRunState(run_id, o)) }),
    ...(listCardAssignments === undefined
      ? {}
      : {
          listCardAssignments: (card_id, o) =>
            traced("listCardAssignments", null, () => listCardAssignments(card_id, o)),
        }),
    ...(tracedLeases === undefined ? {} : { leases: tracedLeases }),
    ...(tracedChanges === undefined ? {} : { changes: tracedChanges }),
  };
}

/** Per-method totals of traced calls: a small in-process metrics sink for {@link traceStorage}. */
export interface StorageCallStats {
  readonly onCall: (call: StorageCall) => void;
  /** method → how many calls, how many failed, total milliseconds. */
  summary(): Record<string, { calls: number; errors: number; total_ms: number }>;
}

/** Collects {@link StorageCall}s into per-method totals. */
export function createStorageCallStats(): StorageCallStats {
  const totals = new Map<string, { calls: number; errors: number; total_ms: number }>();
  return {
    onCall: (call) => {
      const t = totals.get(call.method) ?? { calls: 0, errors: 0, total_ms: 0 };
      t.calls++;
      if (call.outcome !== "ok") t.errors++;
      t.total_ms += call.duration_ms;
      totals.set(call.method, t);
    },
    summary: () => Object.fromEntries([...totals].map(([method, t]) => [method, { ...t }])),
  };
}
