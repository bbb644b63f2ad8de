import { err, errAsync, type Result, ResultAsync } from "neverthrow";
import { z } from "zod";
import { parseInput } from "../../core/parse.js";
import { CardAssignment } from "../../core/schemas/card-assignment.js";
import type {
  AgentDispatcher,
  AgentDispatchOptions,
  AgentDispatchOutcome,
} from "../../ports/agent-dispatcher.js";
import type { PortError } from "../../ports/port-error.js";
import { dispatchCancelled, dispatcherFailure } from "./dispatch-errors.js";
import { EXECUTION_ID_PATTERN, markerPath } from "./execution-markers.js";

/** How one dispatch ends. */
export type DispatchResult = Result<AgentDispatchOutcome, PortError>;

/** A call's own wall time, as `AgentDispatchOptions.timeout_ms` gives it. */
export const CallTimeout = z.number().int().positive().optional();

/**
 * The fields every dispatch request has, as they cross the port; each dispatcher adds its own (limits, a
 * session to resume) with the patterns its agent accepts, then passes the result to {@link withWorktree}.
 */
export const DispatchRequestBase = z.object({
  run_id: z.string().min(1),
  assignment: CardAssignment,
  task: z.string(),
  takeover: z.boolean().optional(),
});

/** An execution id that is safe as a marker's file name (UUIDs fit). */
export const ExecutionIdField = z
  .string()
  .regex(EXECUTION_ID_PATTERN, "an execution id of letters, digits, '.', '_' or '-' (at most 128)");

/** Refuses a request whose assignment has no worktree yet: an agent runs in its worktree or not at all. */
export function withWorktree<S extends z.ZodType<{ readonly assignment: CardAssignment }>>(schema: S) {
  return schema.superRefine((request, ctx) => {
    if (!request.assignment.worktree_path) {
      ctx.addIssue({
        code: "custom",
        path: ["assignment", "worktree_path"],
        message: "the assignment needs its worktree_path (create the worktree first)",
      });
    }
  });
}

/** Waits for a run on behalf of a repeated call; that caller's abort ends its wait, not the run. */
export function joinRun(
  run: PromiseLike<DispatchResult>,
  signal: AbortSignal | undefined,
): Promise<DispatchResult> {
  if (!signal) return Promise.resolve(run);
  if (signal.aborted) return Promise.resolve(err(dispatchCancelled()));
  return new Promise((resolve) => {
    const onAbort = () => resolve(err(dispatchCancelled()));
    signal.addEventListener("abort", onAbort, { once: true });
    void Promise.resolve(run).then((result) => {
      signal.removeEventListener("abort", onAbort);
      resolve(result);
    });
  });
}

/** What {@link dispatchOnce} needs from a dispatcher. */
export interface DispatchOnceSettings<R extends { readonly execution_id: string }> {
  readonly name: string;
  /** Where the execution markers live. */
  readonly stateDir: string;
  /** The request schema (parsed before anything runs; a request that does not parse is `validation`). */
  readonly schema: z.ZodType<R>;
  /** Runs of this process per marker path, shared by every dispatcher of one kind in the process. */
  readonly inflight: Map<string, PromiseLike<DispatchResult>>;
  /** Runs one dispatch whose marker is at `path`; `timeout_ms` is the call's own, parsed. */
  readonly execute: (
    request: R,
    call: AgentDispatchOptions,
    timeout_ms: number | undefined,
    path: string,
  ) => Promise<DispatchResult>;
}

/**
 * The `dispatch` of an {@link AgentDispatcher}, around a dispatcher's own `execute`: an aborted signal is
 * `cancelled` before anything runs; request and call are parsed; a repeated call for an execution this
 * process runs joins that run (its own abort ends only its wait); anything `execute` throws becomes
 * `port_failure`. The once-per-execution guarantee across processes is `execute`'s, through its marker.
 */
export function dispatchOnce<R extends { readonly execution_id: string }>(
  settings: DispatchOnceSettings<R>,
): AgentDispatcher["dispatch"] {
  const { name, stateDir, schema, inflight, execute } = settings;
  return (request, call = {}) => {
    if (call.signal?.aborted) return errAsync(dispatchCancelled());
    const parsed = parseInput(schema, request, "invalid_dispatch_request");
    if (parsed.isErr()) return errAsync(parsed.error);
    const timeout = parseInput(CallTimeout, call.timeout_ms, "invalid_dispatch_options");
    if (timeout.isErr()) return errAsync(timeout.error);
    const path = markerPath(stateDir, parsed.value.execution_id);
    const running = inflight.get(path);
    if (running) return new ResultAsync(joinRun(running, call.signal));
    const run = ResultAsync.fromPromise(execute(parsed.value, call, timeout.value, path), (cause) =>
      dispatcherFailure(name, "dispatch", cause),
    ).andThen((result) => result);
    inflight.set(path, run);
    void run.then(() => {
      if (inflight.get(path) === run) inflight.delete(path);
    });
    return run;
  };
}
