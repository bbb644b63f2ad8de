import { hostname } from "node:os";
import { err, ok, type Result } from "neverthrow";
import { z } from "zod";
import { type RungateError, rungateError } from "../core/errors.js";
import { toFieldIssues } from "../core/parse.js";
import type { DispatchClaim } from "../core/schemas/agent-execution.js";
import type { AssignmentPhase } from "../core/schemas/phases.js";
import { currentProcessIdentity } from "../internal/agent-dispatch/process-identity.js";
import { BoundedLog } from "../internal/bounded/bounded-log.js";
import { createCardRuns } from "../orchestrator/card-runs.js";
import type { OrchestratorDeps } from "../orchestrator/deps.js";
import { driveAssignment } from "../orchestrator/drive-assignment.js";
import { createEventHub } from "../orchestrator/event-hub.js";
import { systemActor } from "../orchestrator/persist.js";
import { RedactionOptions, redactorFor } from "../orchestrator/redaction.js";
import { createRunWakeups } from "../orchestrator/run-wakeups.js";
import { createRunWork } from "../orchestrator/run-work.js";
import type { RungatePorts } from "../ports/ports.js";
import { catchUpRuns } from "./catch-up-runs.js";
import { fenceWrites } from "./fenced-storage.js";
import { renewLease } from "./lease-renewal.js";

/** Options of {@link runWorker}. */
export const WorkerOptions = z.object({
  /** This worker's identity in leases (default: a new id from the ports' id generator). */
  worker_id: z.string().min(1).optional(),
  /**
   * The machine this worker's dispatcher runs agents on: where its execution markers live. Workers sharing one
   * dispatcher `state_dir` must share it; a worker that resumes a card whose open execution was dispatched on
   * another machine never starts that execution again (it cannot see that machine's markers): the attempt
   * ends interrupted and a new one starts. Default: this host's name.
   */
  machine_id: z.string().min(1).max(200).optional(),
  /** How long a claim holds before another worker may take the card over (default 60 s). */
  lease_ms: z.number().int().min(100).default(60_000),
  /** How long to wait when nothing is claimable (default 1 s). */
  poll_ms: z.number().int().min(1).default(1_000),
  /** Stop when nothing is claimable instead of polling (for batch jobs and tests). */
  until_idle: z.boolean().default(false),
  /** Orchestrator tunables for the cards this worker drives. */
  check_concurrency: z.number().int().min(1).default(4),
  dispatch_timeout_ms: z.number().int().positive().optional(),
  check_timeout_ms: z.number().int().positive().optional(),
  /** How often (ms) a run with work in flight here is read to see a cancel made elsewhere (default 1 s; 0: off). */
  cancel_poll_ms: z.number().int().min(0).max(60_000).default(1_000),
  /**
   * An agent's progress lines are stored as `agent.progress` events, at most one per this many ms (0: every
   * line); `null` stores none.
   */
  progress_interval_ms: z.number().int().min(0).max(600_000).nullable().default(1_000),
  /**
   * Leases are computed from the store's clock alone; a worker whose own clock (the ports' clock, which stamps
   * records and events) differs from it by more than this many ms says so in `warnings` and `on_warning`
   * (default 2 s).
   */
  max_clock_skew_ms: z.number().int().min(0).default(2_000),
  /** Told of each {@link WorkerWarning} as it happens (a long-running worker returns its report only at the end). */
  on_warning: z
    .custom<(warning: WorkerWarning) => void>((value) => typeof value === "function", {
      message: "on_warning must be a function",
    })
    .optional(),
  /** Told of each failure as it happens (the report keeps only the newest {@link MAX_REPORTED_ERRORS}). */
  on_error: z
    .custom<(error: RungateError) => void>((value) => typeof value === "function", {
      message: "on_error must be a function",
    })
    .optional(),
  /** The orchestrator's `status_target_url`: the link of the commit statuses this worker publishes. */
  status_target_url: z.url().max(2_000).nullable().default(null),
  ...RedactionOptions,
});
/** What a host may pass to {@link runWorker}. */
export type WorkerOptions = z.input<typeof WorkerOptions>;

/**
 * Something a worker noticed that changed nothing it did. `clock_skew`: at a claim, the worker's clock and the
 * store's differed by `skew_ms` (worker minus store, corrected by half the round trip): leases still hold
 * (the store's clock decides them), but the timestamps this worker writes into records and events are off.
 */
export interface WorkerWarning {
  readonly code: "clock_skew";
  readonly assignment_id: string;
  readonly skew_ms: number;
  readonly worker_now: string;
  readonly store_now: string;
}

/** At most this many warnings are kept in a report (a skewed clock would otherwise add one per claim forever). */
export const MAX_REPORTED_WARNINGS = 100;

/**
 * At most this many failures are kept in a report, the newest: a worker that runs for months against a store
 * that keeps failing would otherwise hold every failure until it stops. `on_error` hears of each one.
 */
export const MAX_REPORTED_ERRORS = 1_000;

/** At most this many claimed card ids are kept in a report, the newest (`claimed_total` counts them all). */
export const MAX_REPORTED_CLAIMS = 10_000;

/** What a worker did before it stopped. */
export interface WorkerReport {
  readonly worker_id: string;
  /** Cards this worker claimed and drove, in order (the newest {@link MAX_REPORTED_CLAIMS}). */
  readonly claimed: readonly string[];
  /** How many claims it made in all. */
  readonly claimed_total: number;
  /**
   * Failures met on the way: drives that failed, and lease renewals that failed (`lease_lost` among them),
   * the newest {@link MAX_REPORTED_ERRORS}. A card whose drive failed is not released: it becomes claimable
   * again when its lease expires (`lease_ms` after the last renewal), by this worker or another.
   */
  readonly errors: readonly RungateError[];
  /** Failures met but no longer in `errors` (older than the newest {@link MAX_REPORTED_ERRORS}). */
  readonly errors_dropped: number;
  /** What it noticed (the first {@link MAX_REPORTED_WARNINGS}); each was also given to `on_warning`. */
  readonly warnings: readonly WorkerWarning[];
}

/**
 * Phases a worker picks up. `queued` and `ready` are claimable when free; the in-progress phases only when a
 * crashed worker's lease expired, and the card is then resumed, never restarted: a recorded dispatch is
 * handed back to the dispatcher under the same execution id.
 */
const CLAIMABLE: readonly AssignmentPhase[] = ["queued", "preparing", "ready", "agent_running", "checking"];

/**
 * A worker loop for several processes (on one machine or several, sharing one store with leases and one
 * clone root): claim a card → prepare → dispatch → collect → checks → approval gate → release, until the
 * signal aborts (SIGTERM in a host: wire it to an AbortController). A stop interrupts the card in hand: its
 * agent is stopped, the attempt is recorded as `interrupted`, the card is `ready` again and its lease is
 * released, so another worker (or this one, restarted) starts a new attempt; a check cut short is run again.
 * The lease is renewed while the card runs (every `lease_ms / 3`). Every write of the card carries the
 * claim's fencing token and the store refuses it (`conflict` `lease_lost`) once another claim replaced it, so
 * two workers never both advance one card, even when this one was paused past its lease or a restarted twin
 * reuses its worker id; lease expiry is the store's clock, so a worker whose clock runs ahead steals nothing
 * (it reports the skew in `warnings`). Once the lease is known lost (`lease_lost`, or no renewal succeeded for
 * `lease_ms`), writes are refused before they reach the store; an agent already running is left to finish and
 * the new holder gets its outcome. A renewal that fails while the lease surely holds (a store hiccup) is
 * reported in `errors` and changes nothing.
 *
 * When nothing is claimable, the worker catches runs up (at most once per `lease_ms`, and once before an
 * `until_idle` worker stops): a run still in an automated phase is moved to what its cards call for, since a
 * worker killed between its card's last write and the run's advance leaves no claimable card behind.
 *
 * Fails at once with `validation` when the storage has no lease capability or the options are invalid.
 */
export async function runWorker(
  ports: RungatePorts,
  options: WorkerOptions = {},
  signal?: AbortSignal,
): Promise<Result<WorkerReport, RungateError>> {
  const parsed = WorkerOptions.safeParse(options);
  if (!parsed.success) {
    return err(
      rungateError("validation", "invalid_worker_options", {
        issues: toFieldIssues(parsed.error),
      }),
    );
  }
  const leases = ports.storage.leases;
  if (leases === undefined) {
    return err(
      rungateError("validation", "storage_without_leases", {
        issues: [
          {
            path: ["storage"],
            code: "storage_without_leases",
            message: `${ports.storage.name} has no lease capability; use a store that shares leases (rungate/postgres)`,
          },
        ],
      }),
    );
  }
  const o = parsed.data;
  const worker_id = o.worker_id ?? `worker:${ports.ids.next()}`;
  const wakeups = createRunWakeups(ports.storage);
  const deps: OrchestratorDeps = {
    ...ports,
    hub: createEventHub(),
    redactor: redactorFor(ports, o),
    work: createRunWork(ports.storage, wakeups, { poll_ms: o.cancel_poll_ms }),
    wakeups,
    card_runs: createCardRuns(),
    options: {
      concurrency: 1,
      check_concurrency: o.check_concurrency,
      system_actor: worker_id,
      machine_id: o.machine_id ?? hostname(),
      progress_interval_ms: o.progress_interval_ms,
      status_target_url: o.status_target_url,
      ...(o.dispatch_timeout_ms === undefined ? {} : { dispatch_timeout_ms: o.dispatch_timeout_ms }),
      ...(o.check_timeout_ms === undefined ? {} : { check_timeout_ms: o.check_timeout_ms }),
    },
  };
  const claimed = new BoundedLog<string>(MAX_REPORTED_CLAIMS);
  const failures = new BoundedLog<RungateError>(MAX_REPORTED_ERRORS);
  const errors = {
    push(...met: RungateError[]) {
      for (const error of met) {
        failures.push(error);
        o.on_error?.(error);
      }
    },
  };
  const warnings: WorkerWarning[] = [];
  // When this worker last caught runs up (see catchUpRuns): when idle, at most once per `lease_ms`.
  let caughtUp = Number.NEGATIVE_INFINITY;
  const catchUp = async () => {
    caughtUp = performance.now();
    errors.push(...(await catchUpRuns(deps, systemActor(deps))));
  };
  const warn = (warning: WorkerWarning) => {
    if (warnings.length < MAX_REPORTED_WARNINGS) warnings.push(warning);
    o.on_warning?.(warning);
  };

  while (!signal?.aborted) {
    const asked = Date.parse(ports.clock.now());
    const claim = await leases.claimNextAssignment({ worker_id, lease_ms: o.lease_ms, phases: CLAIMABLE });
    const answered = Date.parse(ports.clock.now());
    if (claim.isErr()) {
      errors.push(claim.error);
      await pause(o.poll_ms, signal);
      continue;
    }
    if (claim.value === null) {
      if (o.until_idle || performance.now() - caughtUp >= o.lease_ms) await catchUp();
      if (o.until_idle) break;
      await pause(o.poll_ms, signal);
      continue;
    }
    const { token } = claim.value;
    const assignment_id = claim.value.assignment.id;
    claimed.push(assignment_id);
    const skew = clockSkew(asked, answered, claim.value.store_now);
    if (skew !== null && Math.abs(skew) > o.max_clock_skew_ms) {
      warn({
        code: "clock_skew",
        assignment_id,
        skew_ms: skew,
        worker_now: new Date(answered).toISOString(),
        store_now: claim.value.store_now,
      });
    }
    // The card runs to the end of its automated part even when the worker is asked to stop. Once its lease
    // is lost, its writes are refused (the steps re-read the card, so a version check alone would not stop
    // this worker): the drive ends at its next write, and an agent already running is not killed, so the new
    // holder gets its outcome rather than a cancelled card.
    const lease = renewLease({
      leases,
      assignment_id,
      token,
      lease_ms: o.lease_ms,
      onError: (error) => errors.push(error),
    });
    const fenced: OrchestratorDeps = {
      ...deps,
      storage: fenceWrites(ports.storage, lease.lost, { assignment_id, token }),
      // Executions this card starts are recorded under this claim; one found under another token was
      // dispatched by a holder whose lease passed, and is handed over as a takeover.
      options: { ...deps.options, dispatch_claim: dispatchClaim(token) },
    };
    let failed = false;
    try {
      const driven = await driveAssignment(fenced, assignment_id, signal);
      // Stopped by this worker's signal (the card's attempt is recorded as interrupted and the card is ready
      // again) or by a person's cancel: nothing failed, the lease goes back at once for another worker.
      if (driven.isErr() && driven.error.kind !== "cancelled") {
        errors.push(driven.error);
        failed = true;
      }
    } finally {
      await lease.stop();
      // A card that failed keeps its lease until it runs out, so the next try comes after `lease_ms`: released
      // at once, it would be claimed again at once, in a loop as fast as the failure (a card whose clone is
      // broken fails forever).
      if (!failed) await leases.releaseLease({ assignment_id, token });
    }
  }
  return ok({
    worker_id,
    claimed: claimed.entries(),
    claimed_total: claimed.total,
    errors: failures.entries(),
    errors_dropped: failures.dropped,
    warnings,
  });
}

/** The claim this process records its executions under while it holds the card's lease `token`. */
function dispatchClaim(token: string): DispatchClaim {
  const me = currentProcessIdentity();
  return { lease_token: token, pid: process.pid, ...me };
}

/**
 * The worker's clock minus the store's, in ms, taking the store's reading to be from the middle of the round
 * trip (`asked` … `answered`, the worker's clock); `null` when a time does not parse.
 */
function clockSkew(asked: number, answered: number, store_now: string): number | null {
  const store = Date.parse(store_now);
  if (Number.isNaN(asked) || Number.isNaN(answered) || Number.isNaN(store)) return null;
  return Math.round((asked + answered) / 2 - store);
}

function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
