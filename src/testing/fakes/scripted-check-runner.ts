import { err, ok, type Result, ResultAsync } from "neverthrow";
import { rungateError } from "../../core/errors.js";
import type { RunCheckType } from "../../core/schemas/check-type.js";
import { BoundedLog, DEFAULT_LOG_LIMIT } from "../../internal/bounded/bounded-log.js";
import type {
  CheckRunner,
  CheckRunOptions,
  CheckRunRequest,
  CheckRunResult,
} from "../../ports/check-runner.js";
import type { PortError } from "../../ports/port-error.js";
import { abortableWait } from "./abortable-wait.js";

/** What one scripted check run ends with: a result, or the runner itself failing (a {@link PortError}). */
export type ScriptedCheckOutcome = CheckRunResult | PortError;

/**
 * How a check type is scripted: a bare status (output `"ok (scripted)"` for `passed`, `"<status> (scripted)"`
 * otherwise, duration 1 ms), a full {@link CheckRunResult}, a {@link PortError} (the runner could not run at
 * all), or a function of the request (to answer per head sha, per assignment, per call count…).
 */
export type ScriptedCheckEntry =
  | CheckRunResult["status"]
  | ScriptedCheckOutcome
  | ((request: CheckRunRequest) => ScriptedCheckOutcome);

/** The standing answer per check type; a type without an entry passes. */
export type CheckRunnerScript = { readonly [T in RunCheckType]?: ScriptedCheckEntry };

/** Options of {@link createScriptedCheckRunner}. */
export interface ScriptedCheckRunnerOptions {
  /** Adapter name (default `"scripted-check-runner"`). */
  readonly name?: string;
  /**
   * How many entries its call log keeps, the newest (default {@link DEFAULT_LOG_LIMIT}): a long-lived fake
   * holds bounded memory. `Infinity` keeps everything.
   */
  readonly log_limit?: number;

  /**
   * Answers for one head sha, taking precedence over the script: `{ [head_sha]: { unit: "failed" } }` makes
   * `unit` fail on that commit only (the usual "fix pushed, checks rerun green" story).
   */
  readonly heads?: { readonly [head_sha: string]: CheckRunnerScript };
  /**
   * How long (real time, ms) each check type takes before answering; the wait honours the abort signal and
   * `timeout_ms`. Default: no wait.
   */
  readonly delay_ms?: { readonly [T in RunCheckType]?: number };
}

/** One call the runner received, in call order. */
export interface ScriptedCheckRun {
  readonly request: CheckRunRequest;
  /** `null` when the call was refused before choosing (already aborted). */
  readonly outcome: ScriptedCheckOutcome | null;
}

/** A {@link CheckRunner} that replays scripted results, with a log of what it ran. */
export interface ScriptedCheckRunner extends CheckRunner {
  /**
   * Every run, in call order (copies; the newest `log_limit`, default 10,000). Assert "unit ran once on head
   * X" with it.
   */
  readonly runs: readonly ScriptedCheckRun[];
  /**
   * Queues one-shot answers for `check_type`, consumed first-in first-out (one per run of that type, whatever
   * the head) before the per-head answers and the script are looked at.
   */
  queue(check_type: RunCheckType, ...entries: ScriptedCheckEntry[]): void;
  /** Replaces the standing answer for `check_type` (`undefined` restores the default `passed`). */
  setScript(check_type: RunCheckType, entry: ScriptedCheckEntry | undefined): void;
}

function isPortError(outcome: ScriptedCheckOutcome): outcome is PortError {
  return "kind" in outcome;
}

function resolveEntry(entry: ScriptedCheckEntry, request: CheckRunRequest): ScriptedCheckOutcome {
  if (typeof entry === "function") return entry(request);
  if (typeof entry === "string") {
    return {
      status: entry,
      output: entry === "passed" ? "ok (scripted)" : `${entry} (scripted)`,
      duration_ms: 1,
    };
  }
  return entry;
}

/**
 * A scripted {@link CheckRunner}. For each run it picks the answer from, in order: the queue of that check
 * type, `options.heads[head_sha][check_type]`, `script[check_type]`, and finally `passed` with output
 * `"ok (scripted)"` and duration 1 ms. It then waits `options.delay_ms[check_type]` (real time, default 0):
 * an aborted signal (before or during the wait) fails with `cancelled`, a wait longer than `timeout_ms` fails
 * with `timeout` after `timeout_ms`. A scripted {@link PortError} is returned as the error.
 *
 * @example
 * const checks = createScriptedCheckRunner({ lint: "passed", unit: "failed" });
 * checks.queue("unit", "failed", "passed"); // first unit run fails, second passes, then the script again
 */
export function createScriptedCheckRunner(
  script: CheckRunnerScript = {},
  options: ScriptedCheckRunnerOptions = {},
): ScriptedCheckRunner {
  const standing: { [T in RunCheckType]?: ScriptedCheckEntry } = { ...script };
  const queues = new Map<RunCheckType, ScriptedCheckEntry[]>();
  const log = new BoundedLog<ScriptedCheckRun>(options.log_limit ?? DEFAULT_LOG_LIMIT);

  const choose = (request: CheckRunRequest): ScriptedCheckOutcome => {
    const queued = queues.get(request.check_type)?.shift();
    const entry =
      queued ??
      options.heads?.[request.head_sha]?.[request.check_type] ??
      standing[request.check_type] ??
      "passed";
    return resolveEntry(entry, request);
  };

  const run = async (
    request: CheckRunRequest,
    call: CheckRunOptions,
  ): Promise<Result<CheckRunResult, PortError>> => {
    const operation = `check ${request.check_type}`;
    if (call.signal?.aborted) {
      log.push({ request: { ...request }, outcome: null });
      return err(rungateError("cancelled", "aborted", { operation }));
    }
    const outcome = choose(request);
    log.push({ request: { ...request }, outcome });
    const delay = options.delay_ms?.[request.check_type] ?? 0;
    const limit = call.timeout_ms;
    const timesOut = limit !== undefined && delay > limit;
    if ((await abortableWait(timesOut ? limit : delay, call.signal)) === "aborted") {
      return err(rungateError("cancelled", "aborted", { operation }));
    }
    if (timesOut) return err(rungateError("timeout", "check_timeout", { operation, timeout_ms: limit }));
    return isPortError(outcome) ? err(outcome) : ok({ ...outcome });
  };

  /** A script function that throws is a broken runner, reported as `port_failure`, never a rejection. */
  const broken = (name: string, cause: unknown): Result<never, PortError> =>
    err(
      rungateError("port_failure", "script_threw", {
        port: "CheckRunner",
        adapter: name,
        operation: "run",
        retryable: false,
        cause: cause instanceof Error ? cause.message : String(cause),
      }),
    );

  const name = options.name ?? "scripted-check-runner";
  return {
    name,
    get runs() {
      return log.entries().map((r) => ({ ...r }));
    },
    queue(check_type, ...entries) {
      queues.set(check_type, [...(queues.get(check_type) ?? []), ...entries]);
    },
    setScript(check_type, entry) {
      if (entry === undefined) delete standing[check_type];
      else standing[check_type] = entry;
    },
    run(request, call = {}) {
      return new ResultAsync(run(request, call).catch((cause: unknown) => broken(name, cause)));
    },
  };
}
