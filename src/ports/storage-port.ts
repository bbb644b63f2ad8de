import type { ResultAsync } from "neverthrow";
import type { AgentCommit, AgentExecution } from "../core/schemas/agent-execution.js";
import type { ApprovalRequest } from "../core/schemas/approval-request.js";
import type { CardAssignment } from "../core/schemas/card-assignment.js";
import type { OrchestrationRun } from "../core/schemas/orchestration-run.js";
import type { PullRequestCandidate } from "../core/schemas/pull-request-candidate.js";
import type { RunCheck } from "../core/schemas/run-check.js";
import type { RunEvent } from "../core/schemas/run-event.js";
import type { RunListPage, RunListQueryInput } from "../core/schemas/run-list.js";
import type { PortCallOptions, PortError } from "./port-error.js";

/**
 * A versioned record to write. `expected_version: null` creates it (a `conflict` if the id exists);
 * a number updates it only if the stored version is exactly that (else `conflict`, code `stale_version`,
 * and nothing of the whole write is applied). The stored version becomes `expected_version + 1` (0 on create).
 */
export interface VersionedWrite<T> {
  readonly record: T;
  readonly expected_version: number | null;
}

/** An event to append; storage assigns `sequence` (per run, gap-free, in write order). */
export type RunEventDraft = Omit<RunEvent, "sequence">;

/**
 * One atomic write: every record and every event in it is stored, or none is. This is how a state change
 * and the event that describes it land together.
 */
export interface StorageWrite {
  /**
   * Fencing: when set, the write applies only while `token` is still the current claim of the assignment
   * `assignment_id` (see {@link StorageLeases}); otherwise nothing of it is applied and it fails with `conflict`
   * `lease_lost`. The store checks this inside the write's own transaction, and holds the assignment's lease
   * until the write commits, so no claim lands between the check and the write. Checked before anything else.
   */
  readonly fence?: { readonly assignment_id: string; readonly token: string };
  /** A key seen before makes the write a no-op that returns the first write's result (`replayed: true`). */
  readonly idempotency_key?: string;
  readonly runs?: readonly VersionedWrite<OrchestrationRun>[];
  readonly assignments?: readonly VersionedWrite<CardAssignment>[];
  readonly approvals?: readonly VersionedWrite<ApprovalRequest>[];
  readonly pull_requests?: readonly VersionedWrite<PullRequestCandidate>[];
  /** Check results are immutable: a new result is a new record; an existing id is a `conflict`. */
  readonly checks?: readonly RunCheck[];
  /** Agent executions are upserted by id (their status moves running → completed/failed). */
  readonly executions?: readonly AgentExecution[];
  /** Agent commits are inserted; an existing id is ignored (reading commits back twice is harmless). */
  readonly commits?: readonly AgentCommit[];
  readonly events?: readonly RunEventDraft[];
}

/** What a write stored, as stored (new versions, assigned sequences). */
export interface StorageWriteResult {
  readonly replayed: boolean;
  readonly runs: readonly OrchestrationRun[];
  readonly assignments: readonly CardAssignment[];
  readonly approvals: readonly ApprovalRequest[];
  readonly pull_requests: readonly PullRequestCandidate[];
  readonly events: readonly RunEvent[];
}

/** An assignment a worker holds a lease on. */
export interface AssignmentLease {
  readonly assignment: CardAssignment;
  readonly worker_id: string;
  /**
   * The fencing token of this claim: opaque, and unique to it (a later claim of the same assignment, even by a
   * worker with the same id, gets another). Heartbeats, releases and fenced writes name the lease by it.
   */
  readonly token: string;
  /** ISO date-time, in the store's clock, after which another worker may take the assignment over. */
  readonly expires_at: string;
  /**
   * The store's clock when it granted or extended the lease (ISO date-time). Leases are computed from it alone;
   * a worker compares it with its own clock only to report skew.
   */
  readonly store_now: string;
}

/**
 * The optional lease capability, for several workers sharing one store. A lease lives beside the
 * assignment row (not in the record): claiming bumps the assignment's `version` and issues a new fencing
 * `token`. Every write of a leased card carries the token ({@link StorageWrite.fence}) and the store refuses
 * it once another claim replaced it, so a worker that was paused past its lease (or a frozen process whose
 * restarted twin reuses its worker id) writes nothing. Expiry is computed from the store's clock (the
 * database's), never from a caller's: a worker whose clock runs ahead cannot steal a live lease.
 */
export interface StorageLeases {
  /**
   * Atomically picks one assignment in one of `phases` (default `["ready"]`) whose lease is free or expired
   * by the store's clock, leases it to `worker_id` until the store's now + `lease_ms` under a new token, bumps
   * its version, and returns it; `null` when none is claimable. Concurrent claimers never get the same
   * assignment (Postgres: `FOR UPDATE SKIP LOCKED`). `now`, when given, is ignored (kept for callers written
   * before the store's clock decided).
   */
  claimNextAssignment(
    input: {
      readonly worker_id: string;
      readonly lease_ms: number;
      readonly now?: string;
      readonly phases?: readonly CardAssignment["phase"][];
    },
    options?: PortCallOptions,
  ): ResultAsync<AssignmentLease | null, PortError>;
  /**
   * Extends the lease of claim `token` to the store's now + `lease_ms` (even past expiry, as long as nobody
   * claimed the assignment since); `conflict` (`lease_lost`) once another claim replaced it or it was
   * released, `not_found` for an unknown assignment. No version bump.
   */
  heartbeat(
    input: { readonly assignment_id: string; readonly token: string; readonly lease_ms: number },
    options?: PortCallOptions,
  ): ResultAsync<AssignmentLease, PortError>;
  /** Gives the lease of claim `token` back (graceful stop); a token that is no longer current is a no-op. */
  releaseLease(
    input: { readonly assignment_id: string; readonly token: string },
    options?: PortCallOptions,
  ): ResultAsync<void, PortError>;
}

/** A subscription to {@link StorageRunChanges}; `close()` stops the calls (idempotent). */
export interface RunChangeSubscription {
  close(): void;
}

/**
 * The optional change-notification capability: after a write that touched a run commits (a run, one of its
 * assignments or events written), every subscriber, in this process or in any other process sharing the
 * store, is told the run's id. It only wakes readers up sooner (Postgres and PGlite: `LISTEN`/`NOTIFY`): a
 * notification can be lost (a dropped connection) or repeated, and never carries state, so a caller still
 * reads the store, and still polls as a fallback. A write that rolled back notifies nobody.
 */
export interface StorageRunChanges {
  /**
   * Calls `listener` with a run's id for each committed write touching it, until the subscription is
   * closed, and, where the store can tell, a {@link RunChangeHint} about that write. The answer comes once the
   * subscription listens: a write committed after it is seen.
   */
  subscribe(
    listener: (run_id: string, hint?: RunChangeHint) => void,
  ): ResultAsync<RunChangeSubscription, PortError>;
}

/**
 * What a change notification may say about the write behind it, so a watcher can skip the read it does not
 * need (a cancel watch reads the run only when the run's own record was written: a cancel always writes it).
 * Optional: a store that cannot tell passes none, and a watcher then reads.
 */
export interface RunChangeHint {
  /**
   * Whether the write wrote the run's own record (not only its cards, checks or events). Never `false` for a
   * write that did: a watcher would miss that change until its next poll.
   */
  readonly run_record: boolean;
}

/**
 * Everything stored about one run that the orchestrator decides from, read as one consistent snapshot by
 * {@link StoragePort.readRunState}. Each list has the contents and order of its own list method.
 */
export interface StoredRunState {
  /** The run, snapshots verified, as `getRun` returns it. */
  readonly run: OrchestrationRun;
  /** As `listAssignments`: creation order. */
  readonly assignments: CardAssignment[];
  /** As `listChecks`: write order. */
  readonly checks: RunCheck[];
  /** As `listApprovals`: creation order. */
  readonly approvals: ApprovalRequest[];
  /** As `listPullRequests`: creation order. */
  readonly pull_requests: PullRequestCandidate[];
  /** As `listExecutions`: creation order (an upserted execution keeps its first position). */
  readonly executions: AgentExecution[];
}

/**
 * Durable state of runs. Implementations: PGlite / Postgres (`rungate/postgres`) and the in-memory fake.
 * Reads verify snapshot hashes: a run or card whose stored snapshot no longer matches its hash fails with
 * `validation` (`snapshot_hash_mismatch`), never silently repaired. Snapshots are immutable: a write that
 * would change a stored record's frozen fields (`FROZEN_FIELDS`) is refused (`validation`
 * `snapshot_immutable`), even when it brings a matching hash. Every method fails with a {@link PortError} and
 * never throws.
 */
export interface StoragePort {
  /** Adapter name, used in errors. */
  readonly name: string;
  /**
   * Secret values this adapter was given (tokens, passwords, environment values marked secret), so that the
   * orchestrator's one redaction boundary keeps them out of every stored record, event and error. Optional:
   * an adapter given no secret leaves it out.
   */
  readonly secret_values?: readonly string[];
  /** Applies one atomic {@link StorageWrite}. */
  write(write: StorageWrite, options?: PortCallOptions): ResultAsync<StorageWriteResult, PortError>;
  /** One run, snapshots verified; `not_found` when absent. */
  getRun(run_id: string, options?: PortCallOptions): ResultAsync<OrchestrationRun, PortError>;
  /**
   * Runs matching `query` (every filter optional, see {@link RunListQueryInput}), newest first, one page at a
   * time: pass the page's `next_cursor` back for the next one. Runs are verified like `getRun`'s. A malformed
   * query or cursor is `validation`.
   */
  listRuns(query: RunListQueryInput, options?: PortCallOptions): ResultAsync<RunListPage, PortError>;
  /** One assignment; `not_found` when absent. */
  getAssignment(assignment_id: string, options?: PortCallOptions): ResultAsync<CardAssignment, PortError>;
  /** A run's assignments, in creation order. */
  listAssignments(run_id: string, options?: PortCallOptions): ResultAsync<CardAssignment[], PortError>;
  /** A run's check results, in write order. */
  listChecks(run_id: string, options?: PortCallOptions): ResultAsync<RunCheck[], PortError>;
  /** A run's approval requests, in creation order. */
  listApprovals(run_id: string, options?: PortCallOptions): ResultAsync<ApprovalRequest[], PortError>;
  /** A run's PR candidates, in creation order. */
  listPullRequests(run_id: string, options?: PortCallOptions): ResultAsync<PullRequestCandidate[], PortError>;
  /** A run's agent executions, in creation order. */
  listExecutions(run_id: string, options?: PortCallOptions): ResultAsync<AgentExecution[], PortError>;
  /** An assignment's agent commits, in write order. */
  listCommits(assignment_id: string, options?: PortCallOptions): ResultAsync<AgentCommit[], PortError>;
  /** A run's events with `sequence` greater than `after` (default: all), in order. */
  listEvents(run_id: string, after?: number, options?: PortCallOptions): ResultAsync<RunEvent[], PortError>;
  /**
   * Optional: everything `getRun`, `listAssignments`, `listChecks`, `listApprovals`, `listPullRequests` and
   * `listExecutions` return for `run_id`, with the same contents, order, validation and snapshot verification
   * (`validation` for a tampered snapshot, `not_found` for an unknown run, `cancelled` when the signal is
   * aborted), read as ONE consistent snapshot: no write lands between two of its parts, and a database answers
   * it in one round trip. Callers fall back to the six reads when a store does not offer it.
   */
  readRunState?(run_id: string, options?: PortCallOptions): ResultAsync<StoredRunState, PortError>;
  /**
   * Optional: every stored assignment of card `card_id`, across all runs, in creation order: the order in which
   * the store first stored them (so within one run, the order `listAssignments` answers; a record updated later
   * keeps its place). Each card is verified as `getAssignment` verifies it (`validation` for a tampered
   * snapshot); an unknown card is `[]`; an aborted signal is `cancelled`. It exists because building a card
   * again asks which earlier runs of the card hold its feature branch: without it that costs one
   * `listAssignments` per earlier run, a cost that grows with each build of the card; with it, one read
   * (a database serves it from its index on the card). Callers fall back to the per-run reads when a store
   * does not offer it.
   */
  listCardAssignments?(card_id: string, options?: PortCallOptions): ResultAsync<CardAssignment[], PortError>;
  /** Optional: leases for several workers (see {@link StorageLeases}); absent on single-process stores. */
  readonly leases?: StorageLeases;
  /**
   * Optional: wake-ups when a run changes (see {@link StorageRunChanges}), so that a cancel or a new event
   * reaches other processes without waiting for their next poll. Absent: callers poll.
   */
  readonly changes?: StorageRunChanges;
}
