import { err, errAsync, ok, okAsync, Result, ResultAsync } from "neverthrow";
import type { z } from "zod";
import { rungateError } from "../../core/errors.js";
import { toFieldIssues } from "../../core/parse.js";
import { verifyAssignmentSnapshot, verifyRunSnapshots } from "../../core/run/new-run.js";
import { AgentCommit, AgentExecution } from "../../core/schemas/agent-execution.js";
import { ApprovalRequest } from "../../core/schemas/approval-request.js";
import { CardAssignment } from "../../core/schemas/card-assignment.js";
import {
  ClaimLeaseInput,
  HeartbeatLeaseInput,
  ReleaseLeaseInput,
  WriteFence,
} from "../../core/schemas/lease-input.js";
import { OrchestrationRun } from "../../core/schemas/orchestration-run.js";
import { PullRequestCandidate } from "../../core/schemas/pull-request-candidate.js";
import { RunCheck } from "../../core/schemas/run-check.js";
import { RunEvent } from "../../core/schemas/run-event.js";
import {
  compareRunsNewestFirst,
  type RunListPage,
  RunListQuery,
  runListCursor,
  runMatchesListQuery,
} from "../../core/schemas/run-list.js";
import { changedFrozenField, snapshotImmutable } from "../../core/snapshot/frozen-fields.js";
import { putOwn } from "../../core/snapshot/put-own.js";
import { BoundedLog, DEFAULT_LOG_LIMIT } from "../../internal/bounded/bounded-log.js";
import { createRunChangeListeners } from "../../internal/run-changes/run-change-listeners.js";
import type { Clock } from "../../ports/clock.js";
import type { PortCallOptions, PortError } from "../../ports/port-error.js";
import type {
  AssignmentLease,
  StorageLeases,
  StoragePort,
  StorageRunChanges,
  StorageWrite,
  StorageWriteResult,
  StoredRunState,
  VersionedWrite,
} from "../../ports/storage-port.js";
import { reusesStoredFrozenFields, withStandIns, withStoredFrozenFields } from "./reused-frozen-fields.js";
import { DEFAULT_RETAIN_ENDED_RUNS, type ForgottenRun, RunRetention } from "./run-retention.js";

/**
 * A record as the fake stores it: the output of parsing what the caller wrote (zod builds new containers, so
 * nothing mutable is shared with the caller), plain JSON data. Rows are never edited in place, only replaced;
 * their snapshot fields are deep-frozen.
 */
type Raw = Record<string, unknown>;

/** The list methods of the port that take a run id alone. */
export type RunListOperation =
  | "listAssignments"
  | "listChecks"
  | "listApprovals"
  | "listPullRequests"
  | "listExecutions";

/** One call the fake received through the port, in call order, with a copy of its input. */
export type StorageOperation =
  | { readonly operation: "write"; readonly write: StorageWrite }
  | { readonly operation: "getRun"; readonly run_id: string }
  | { readonly operation: "readRunState"; readonly run_id: string }
  | { readonly operation: "getAssignment"; readonly assignment_id: string }
  | { readonly operation: "listCardAssignments"; readonly card_id: string }
  | { readonly operation: RunListOperation; readonly run_id: string }
  | { readonly operation: "listCommits"; readonly assignment_id: string }
  | { readonly operation: "listEvents"; readonly run_id: string; readonly after: number | undefined }
  | { readonly operation: "listRuns"; readonly query: Record<string, unknown> }
  | {
      readonly operation: "claimNextAssignment" | "heartbeat" | "releaseLease";
      readonly input: Record<string, unknown>;
    };

/**
 * Deep copies of everything the fake holds, in the raw stored form (plain JSON, as {@link InMemoryStorage.tamperRun}
 * sees it), each table in creation/write order. Compare two of them to assert "nothing changed".
 */
export interface InMemoryStorageSnapshot {
  readonly runs: readonly Raw[];
  readonly assignments: readonly Raw[];
  readonly approvals: readonly Raw[];
  readonly pull_requests: readonly Raw[];
  readonly checks: readonly Raw[];
  readonly executions: readonly Raw[];
  readonly commits: readonly Raw[];
  readonly events: readonly Raw[];
  /**
   * Idempotency keys of the writes that were applied, in write order (less those forgotten with their runs,
   * see {@link InMemoryStorageOptions.retain_ended_runs}).
   */
  readonly idempotency_keys: readonly string[];
}

/**
 * The in-memory {@link StoragePort}, with the semantics of the Postgres adapter: atomic writes, optimistic
 * versions, idempotency keys, gap-free event sequences, snapshot hashes verified on read. The three extra
 * members are test-facing helpers, not part of the port.
 */
export interface InMemoryStorage extends StoragePort {
  /** The lease capability; absent when created with `leases: false`. */
  readonly leases?: StorageLeases;
  /** Run-change notifications to every subscriber of this store; absent when created with `changes: false`. */
  readonly changes?: StorageRunChanges;
  /** The one-call consistent read (see {@link StoragePort.readRunState}); absent when created with `readRunState: false`. */
  readonly readRunState?: (
    run_id: string,
    options?: PortCallOptions,
  ) => ResultAsync<StoredRunState, PortError>;
  /**
   * A card's assignments across its runs in one read (see {@link StoragePort.listCardAssignments}); absent when
   * created with `listCardAssignments: false`.
   */
  readonly listCardAssignments?: (
    card_id: string,
    options?: PortCallOptions,
  ) => ResultAsync<CardAssignment[], PortError>;
  /**
   * Test helper: every port call, in call order, with a deep-frozen copy of its input; the newest `log_limit`
   * of them (option, default 10,000).
   */
  readonly operations: readonly StorageOperation[];
  /** Test helper: deep copies of all tables (see {@link InMemoryStorageSnapshot}). */
  snapshot(): InMemoryStorageSnapshot;
  /**
   * Test helper: edits the stored raw form of run `run_id` (a mutable JSON copy of the row is handed to
   * `mutate`, then stored in its place, as an UPDATE behind the port's back would), bypassing every rule, so
   * tamper-detection tests can show that `getRun` refuses it. Throws when the run is not stored.
   */
  tamperRun(run_id: string, mutate: (raw: Record<string, unknown>) => void): void;
}

/** Options of {@link createInMemoryStorage}. */
export interface InMemoryStorageOptions {
  /** Adapter name, used in errors (default `"in-memory-storage"`). */
  readonly name?: string;
  /** Offer the lease capability `leases` (default `true`); `false` models a single-process store without it. */
  readonly leases?: boolean;
  /**
   * How many entries its call log keeps, the newest (default {@link DEFAULT_LOG_LIMIT}): a long-lived fake
   * holds bounded memory. `Infinity` keeps everything.
   */
  readonly log_limit?: number;
  /**
   * How many ended runs (phase `completed`, `closed`, `failed` or `cancelled`) the store keeps, the newest by
   * the time they ended (default {@link DEFAULT_RETAIN_ENDED_RUNS}, 1,000), so a store shared by a long suite
   * holds bounded memory. Every run that has not ended is kept, however many there are and however old. Once a
   * write ends one run too many, the run that ended longest ago is forgotten with everything that belongs to
   * it (assignments and their commits and leases, approvals, PR candidates, checks, executions, events) and
   * the idempotency keys of the writes that touched only forgotten runs: reading it afterwards answers as for
   * an id never stored (`getRun` `not_found`, lists `[]`), a write that refers to it is `not_found`, and
   * `listRuns` no longer finds it. At least 1; `Infinity` keeps everything.
   */
  readonly retain_ended_runs?: number;
  /**
   * Called for each run the store forgets (see `retain_ended_runs`), oldest first, synchronously inside the
   * write that ended one run too many, once that write is stored: lets the fakes holding the run's other state
   * forget it too, e.g. `onForget: (run) => git.forget(run)` with the git fake of the same ports, so that a
   * card built again after its earlier run was forgotten does not meet that run's worktree. An exception it
   * throws does not fail the write: it is rethrown on a later microtask.
   */
  readonly onForget?: (forgotten: ForgottenRun) => void;
  /**
   * Offer `readRunState` (default `true`); `false` models a store without it, so callers' fallback to the six
   * reads can be tested.
   */
  readonly readRunState?: boolean;
  /**
   * Offer `listCardAssignments` (default `true`); `false` models a store without it, so callers' fallback to one
   * `listAssignments` per earlier run of a card can be tested.
   */
  readonly listCardAssignments?: boolean;
  /**
   * Offer `changes` (default `true`): after each applied write, subscribers hear of every run it touched.
   * `false` models a store that cannot notify, so callers' polling can be tested.
   */
  readonly changes?: boolean;
  /**
   * The store's own clock, which alone decides leases (as the database's `now()` does for Postgres); default:
   * the system clock. Tests pass a simulated one to expire leases without waiting.
   */
  readonly clock?: Clock;
}

type VersionedTable = "runs" | "assignments" | "approvals" | "pull_requests";
type TableName = VersionedTable | "checks" | "executions" | "commits" | "events";

/**
 * The fields rows are listed by (a run's or an assignment's `card_id` finds a card's runs, and an assignment's
 * finds the card's assignments across runs; a card's `feature_branch` and a run's `base_branch` tell retention
 * whether a kept run still uses a forgotten card's branch).
 */
const INDEXED_FIELDS = ["run_id", "assignment_id", "card_id", "feature_branch", "base_branch"] as const;
type ParentField = (typeof INDEXED_FIELDS)[number];

/**
 * A table: rows by id, plus an index of row ids by run and by assignment, so that listing a run's rows
 * costs what the run has, not what the whole store has (a fake shared by a long test suite stays fast).
 * Rows never change their run or assignment; listing order is the order rows were first stored, as
 * iterating the whole table gave.
 */
class Table extends Map<string, Raw> {
  readonly #index = new Map<string, Map<string, Raw>>();

  override set(id: string, raw: Raw): this {
    super.set(id, raw);
    for (const field of INDEXED_FIELDS) {
      const parent = raw[field];
      if (typeof parent !== "string") continue;
      const key = `${field}:${parent}`;
      const rows = this.#index.get(key) ?? new Map<string, Raw>();
      rows.set(id, raw);
      this.#index.set(key, rows);
    }
    return this;
  }

  /** Drops a row and its index entries (a run forgotten by retention takes its rows along). */
  override delete(id: string): boolean {
    const raw = super.get(id);
    if (raw === undefined) return false;
    for (const field of INDEXED_FIELDS) {
      const parent = raw[field];
      if (typeof parent !== "string") continue;
      const key = `${field}:${parent}`;
      const rows = this.#index.get(key);
      rows?.delete(id);
      if (rows?.size === 0) this.#index.delete(key);
    }
    return super.delete(id);
  }

  /** The rows whose `field` is `id`, in the order they were first stored. */
  rowsWhere(field: ParentField, id: string): Raw[] {
    return [...(this.#index.get(`${field}:${id}`)?.values() ?? [])];
  }
}

type Tables = { readonly [T in TableName]: Table };

/** What a write stored, in raw form; replayed writes are answered from it. */
interface RawWriteResult {
  readonly runs: readonly Raw[];
  readonly assignments: readonly Raw[];
  readonly approvals: readonly Raw[];
  readonly pull_requests: readonly Raw[];
  readonly events: readonly Raw[];
}

/**
 * Who holds an assignment under which claim token until when (epoch ms, store clock); kept beside the row, as
 * the Postgres adapter's lease columns.
 */
interface Lease {
  readonly worker_id: string;
  readonly token: string;
  readonly expires_ms: number;
}

interface State {
  readonly name: string;
  readonly clock: Clock;
  /** Claims issued so far: the counter behind each claim's unique token. */
  claims: number;
  readonly tables: Tables;
  readonly idempotency: Map<string, RawWriteResult>;
  readonly leases: Map<string, Lease>;
  /** Which ended runs are kept (see {@link InMemoryStorageOptions.retain_ended_runs}). */
  readonly retention: RunRetention;
  readonly onForget: ((forgotten: ForgottenRun) => void) | undefined;
}

/** The schema and entity name of each versioned table: data, not an `if` ladder. */
const VERSIONED: { readonly [T in VersionedTable]: { readonly entity: string; readonly schema: z.ZodType } } =
  {
    runs: { entity: "run", schema: OrchestrationRun },
    assignments: { entity: "assignment", schema: CardAssignment },
    approvals: { entity: "approval request", schema: ApprovalRequest },
    pull_requests: { entity: "pull request candidate", schema: PullRequestCandidate },
  };

/** Approval statuses that are a decision: recorded once, never changed. */
const DECIDED_APPROVAL_STATUSES: readonly unknown[] = ["approved", "rejected"];

function copyJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/**
 * A deep-frozen copy of plain data, sharing the subtrees that are already frozen (a record's snapshot fields),
 * so logging a write costs little. Like `deepFreeze`, a frozen object is taken as frozen all the way down.
 */
function frozenCopy<T>(value: T): T {
  if (typeof value !== "object" || value === null || Object.isFrozen(value)) return value;
  // Loops, not map/entries: every write is copied into the log, and these allocate a fifth as much.
  if (Array.isArray(value)) {
    const copy = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) copy[i] = frozenCopy(value[i]);
    return Object.freeze(copy) as T;
  }
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value))
    putOwn(copy, key, frozenCopy((value as Record<string, unknown>)[key]));
  return Object.freeze(copy) as T;
}

function cancelled(operation: string): PortError {
  return rungateError("cancelled", "aborted", { operation });
}

function notFound(entity: string, id: string): PortError {
  return rungateError("not_found", `${entity.replaceAll(" ", "_")}_not_found`, { entity, id });
}

function conflict(
  code: string,
  entity: string,
  id: string,
  versions: { readonly expected_version?: number; readonly actual_version?: number } = {},
): PortError {
  return rungateError("conflict", code, { entity, id, ...versions });
}

/** Parses a record with `schema`; issues are reported under `path` (e.g. `["runs", 0]`). */
function parseAt<S extends z.ZodType>(
  schema: S,
  value: unknown,
  path: readonly (string | number)[],
  code: string,
): Result<z.infer<S>, PortError> {
  const parsed = schema.safeParse(value);
  return parsed.success
    ? ok(parsed.data)
    : err(
        rungateError("validation", code, {
          issues: toFieldIssues(parsed.error).map((issue) => ({ ...issue, path: [...path, ...issue.path] })),
        }),
      );
}

/**
 * Each stored row parsed (and, for an assignment, its snapshot verified) once: rows are never edited in place
 * (a write or `tamperRun` stores a new object), so the same row always reads the same. Records are parsed
 * where they enter the store, not again on every read (a workflow run's lists are read on every card step,
 * and re-parsing them made a 1,000-card run's per-card cost grow with its size).
 */
const parsedRows = new WeakMap<Raw, unknown>();

/** Rows a write put as it parsed them: read as they are (see `Planner.put`). */
const parsedAtWrite = new WeakSet<Raw>();

/**
 * A stored record, parsed and deep-frozen once and then handed to every read of that row: a reader cannot
 * change what others read (an edit throws), and a read costs no copy. Copying each record on every read was
 * most of a 1,000-card workflow run's time (a card step reads the run's lists), its garbage collection most of
 * the rest.
 */
function readStored<S extends z.ZodType>(
  schema: S,
  raw: Raw,
  table: TableName,
): Result<z.infer<S>, PortError> {
  if (parsedRows.has(raw)) return ok(parsedRows.get(raw) as z.infer<S>);
  if (parsedAtWrite.has(raw)) {
    const frozen = frozenCopy(raw);
    parsedRows.set(raw, frozen);
    return ok(frozen as z.infer<S>);
  }
  const parsed = parseAt(schema, raw, [table, String(raw.id)], "invalid_stored_record");
  // A card's snapshot is verified against its hash, as a run's is by getRun.
  const verified =
    table === "assignments"
      ? parsed.andThen((a) => verifyAssignmentSnapshot(a as CardAssignment).map(() => a))
      : parsed;
  return verified.map((value) => {
    const frozen = frozenCopy(value);
    parsedRows.set(raw, frozen);
    return frozen;
  });
}

function readAll<S extends z.ZodType>(
  schema: S,
  raws: readonly Raw[],
  table: TableName,
): Result<z.infer<S>[], PortError> {
  // A loop, not a reduce that copies the list at each row: a run's lists are read on every card step, and a
  // copy per row made a 1,000-card workflow run cubic.
  const list: z.infer<S>[] = [];
  for (const raw of raws) {
    const value = readStored(schema, raw, table);
    if (value.isErr()) return err(value.error);
    list.push(value.value);
  }
  return ok(list);
}

function readResult(raw: RawWriteResult, replayed: boolean): Result<StorageWriteResult, PortError> {
  return readAll(OrchestrationRun, raw.runs, "runs").andThen((runs) =>
    readAll(CardAssignment, raw.assignments, "assignments").andThen((assignments) =>
      readAll(ApprovalRequest, raw.approvals, "approvals").andThen((approvals) =>
        readAll(PullRequestCandidate, raw.pull_requests, "pull_requests").andThen((pull_requests) =>
          readAll(RunEvent, raw.events, "events").map(
            (events): StorageWriteResult => ({
              replayed,
              runs,
              assignments,
              approvals,
              pull_requests,
              events,
            }),
          ),
        ),
      ),
    ),
  );
}

/** One row to put into one table once the whole write has been validated. */
interface Put {
  readonly table: TableName;
  readonly id: string;
  readonly raw: Raw;
}

/** Everything a write will do, computed without touching the tables. */
interface Plan {
  readonly puts: readonly Put[];
  readonly result: RawWriteResult;
}

/** Collects the puts of one write and answers "does this exist, counting what the write itself adds?". */
class Planner {
  readonly puts: Put[] = [];
  readonly #tables: Tables;
  readonly #pending = new Map<TableName, Map<string, Raw>>();
  readonly #sequences = new Map<string, number>();

  constructor(tables: Tables) {
    this.#tables = tables;
  }

  pending(table: TableName, id: string): Raw | undefined {
    return this.#pending.get(table)?.get(id);
  }

  current(table: TableName, id: string): Raw | undefined {
    return this.pending(table, id) ?? this.#tables[table].get(id);
  }

  put(table: TableName, id: string, raw: Raw): void {
    // Every row a write puts is its record as parsed (and a card's snapshot checked) just now: its first read
    // answers a frozen copy of it instead of parsing it again (copied then, not now: most events are never read).
    parsedAtWrite.add(raw);
    const pending = this.#pending.get(table) ?? new Map<string, Raw>();
    pending.set(id, raw);
    this.#pending.set(table, pending);
    this.puts.push({ table, id, raw });
  }

  nextSequence(run_id: string): number {
    const last =
      this.#sequences.get(run_id) ??
      this.#tables.events
        .rowsWhere("run_id", run_id)
        .reduce((max, e) => Math.max(max, Number(e.sequence)), 0);
    this.#sequences.set(run_id, last + 1);
    return last + 1;
  }
}

function requireRun(planner: Planner, run_id: unknown): Result<true, PortError> {
  return planner.current("runs", String(run_id)) ? ok(true) : err(notFound("run", String(run_id)));
}

/** Validates one versioned write against the stored row and returns the row to store. */
function planVersioned(
  planner: Planner,
  table: VersionedTable,
  write: VersionedWrite<unknown>,
  index: number,
): Result<Raw, PortError> {
  const { entity, schema } = VERSIONED[table];
  const input = write.record as Raw;
  const priorRow =
    write.expected_version === null || typeof input !== "object" || input === null
      ? undefined
      : planner.current(table, String(input.id));
  // Compared with the row as reads answer it: those are the values a caller hands back.
  const prior =
    priorRow === undefined ? undefined : ((parsedRows.get(priorRow) as Raw | undefined) ?? priorRow);
  // Snapshots written back as stored are not parsed, hashed or compared again (reused-frozen-fields.ts).
  const reused =
    (table === "runs" || table === "assignments") && reusesStoredFrozenFields(table, input, prior)
      ? table
      : null;
  const toParse = reused === null ? input : withStandIns(reused, input);
  return parseAt(schema, { ...toParse, version: 0 }, [table, index, "record"], "invalid_record")
    .andThen((parsed) =>
      // A card arrives with its snapshot's hash; one that does not match is refused before anything is stored.
      table === "assignments" && reused === null
        ? verifyAssignmentSnapshot(parsed as CardAssignment).map(() => parsed)
        : ok(parsed),
    )
    .map((parsed) =>
      reused === null || prior === undefined
        ? (parsed as Raw)
        : withStoredFrozenFields(reused, parsed as Raw, prior),
    )
    .andThen((record): Result<Raw, PortError> => {
      const id = String(record.id);
      if (planner.pending(table, id)) return err(conflict("duplicate_in_write", entity, id));
      const stored = planner.current(table, id);
      const expected = write.expected_version;
      if (expected === null) {
        return stored ? err(conflict("already_exists", entity, id)) : ok({ ...record, version: 0 });
      }
      if (!stored) return err(notFound(entity, id));
      if (
        table === "approvals" &&
        DECIDED_APPROVAL_STATUSES.includes(stored.status) &&
        stored.status !== record.status
      ) {
        return err(conflict("already_decided", entity, id));
      }
      const actual = Number(stored.version);
      if (actual !== expected) {
        return err(
          conflict("stale_version", entity, id, { expected_version: expected, actual_version: actual }),
        );
      }
      const frozen =
        (table === "runs" || table === "assignments") && reused === null
          ? changedFrozenField(table, stored, record)
          : null;
      if (frozen !== null) return err(snapshotImmutable(entity, id, frozen));
      return ok({ ...record, version: expected + 1 });
    })
    .andThen((record) =>
      (table === "runs" ? ok(true as const) : requireRun(planner, record.run_id)).map(() => {
        const raw = { ...record };
        planner.put(table, String(raw.id), raw);
        return raw;
      }),
    );
}

/** Runs `step` over `items` in order, stopping at the first error. */
function each<T, U>(
  items: readonly T[] | undefined,
  step: (item: T, index: number) => Result<U, PortError>,
): Result<U[], PortError> {
  return (items ?? []).reduce<Result<U[], PortError>>(
    (acc, item, index) => acc.andThen((list) => step(item, index).map((value) => [...list, value])),
    ok([]),
  );
}

function planVersionedTable(
  planner: Planner,
  table: VersionedTable,
  writes: readonly VersionedWrite<unknown>[] | undefined,
): Result<Raw[], PortError> {
  return each(writes, (write, index) => planVersioned(planner, table, write, index));
}

/** Check results are immutable: an id seen before (stored or earlier in this write) is a conflict. */
function planCheck(planner: Planner, check: unknown, index: number): Result<true, PortError> {
  return parseAt(RunCheck, check, ["checks", index], "invalid_record").andThen((parsed) => {
    if (planner.current("checks", parsed.id)) return err(conflict("already_exists", "check", parsed.id));
    return requireRun(planner, parsed.run_id).map(() => {
      planner.put("checks", parsed.id, parsed);
      return true as const;
    });
  });
}

/** Agent executions are upserted by id (a later row of the same id wins). */
function planExecution(planner: Planner, execution: unknown, index: number): Result<true, PortError> {
  return parseAt(AgentExecution, execution, ["executions", index], "invalid_record").andThen((parsed) =>
    requireRun(planner, parsed.run_id).map(() => {
      planner.put("executions", parsed.id, parsed);
      return true as const;
    }),
  );
}

/** Agent commits are inserted once; an id seen before is skipped. Their assignment must exist. */
function planCommit(planner: Planner, commit: unknown, index: number): Result<true, PortError> {
  return parseAt(AgentCommit, commit, ["commits", index], "invalid_record").andThen((parsed) => {
    if (planner.current("commits", parsed.id)) return ok(true as const);
    if (!planner.current("assignments", parsed.assignment_id)) {
      return err(notFound("assignment", parsed.assignment_id));
    }
    planner.put("commits", parsed.id, parsed);
    return ok(true as const);
  });
}

/** Events get the next sequence of their run; the run must exist in storage or in this write. */
function planEvent(planner: Planner, draft: unknown, index: number): Result<Raw, PortError> {
  return parseAt(RunEvent, { ...(draft as Raw), sequence: 0 }, ["events", index], "invalid_record").andThen(
    (parsed) => {
      if (planner.current("events", parsed.id)) return err(conflict("already_exists", "event", parsed.id));
      return requireRun(planner, parsed.run_id).map(() => {
        const raw = { ...parsed, sequence: planner.nextSequence(parsed.run_id) };
        planner.put("events", parsed.id, raw);
        return raw;
      });
    },
  );
}

/** Validates the whole write and computes its effects; the tables are not touched. */
function planWrite(tables: Tables, write: StorageWrite): Result<Plan, PortError> {
  const planner = new Planner(tables);
  return planVersionedTable(planner, "runs", write.runs).andThen((runs) =>
    planVersionedTable(planner, "assignments", write.assignments).andThen((assignments) =>
      planVersionedTable(planner, "approvals", write.approvals).andThen((approvals) =>
        planVersionedTable(planner, "pull_requests", write.pull_requests).andThen((pull_requests) =>
          each(write.checks, (c, i) => planCheck(planner, c, i))
            .andThen(() => each(write.executions, (e, i) => planExecution(planner, e, i)))
            .andThen(() => each(write.commits, (c, i) => planCommit(planner, c, i)))
            .andThen(() => each(write.events, (e, i) => planEvent(planner, e, i)))
            .map(
              (events): Plan => ({
                puts: planner.puts,
                result: { runs, assignments, approvals, pull_requests, events },
              }),
            ),
        ),
      ),
    ),
  );
}

/** The body of `write`, synchronous from validation to apply so that no other call can interleave. */
function applyWrite(state: State, write: StorageWrite): Result<StorageWriteResult, PortError> {
  if (write.fence !== undefined) {
    const fence = parseAt(WriteFence, write.fence, ["fence"], "invalid_write");
    if (fence.isErr()) return err(fence.error);
    const { assignment_id, token } = fence.value;
    if (state.leases.get(assignment_id)?.token !== token) {
      return err(conflict("lease_lost", "assignment", assignment_id));
    }
  }
  const key = write.idempotency_key;
  const seen = key === undefined ? undefined : state.idempotency.get(key);
  if (seen) return readResult(seen, true);
  return planWrite(state.tables, write).andThen((plan) =>
    readResult(plan.result, false).map((result) => {
      for (const { table, id, raw } of plan.puts) state.tables[table].set(id, raw);
      if (key !== undefined) state.idempotency.set(key, plan.result);
      retain(state, plan, key);
      return result;
    }),
  );
}

/** Tells retention what an applied write stored, then forgets the ended runs beyond its limit. */
function retain(state: State, plan: Plan, key: string | undefined): void {
  const runs = new Set<string>();
  for (const { table, id, raw } of plan.puts) {
    if (table === "runs") state.retention.noteRun(id, raw);
    // A commit belongs to a run through its assignment.
    const run_id =
      table === "runs"
        ? id
        : table === "commits"
          ? state.tables.assignments.get(String(raw.assignment_id))?.run_id
          : raw.run_id;
    if (typeof run_id === "string") runs.add(run_id);
  }
  if (key !== undefined) state.retention.noteKey(key, runs);
  for (const forgotten of state.retention.evict(state)) {
    try {
      state.onForget?.(forgotten);
    } catch (thrown) {
      // The write is stored already: the listener's failure is its own, reported where a test runner sees it.
      queueMicrotask(() => {
        throw thrown;
      });
    }
  }
}

function portFailure(state: State, operation: string, cause: unknown): PortError {
  return rungateError("port_failure", "unexpected", {
    port: "StoragePort",
    adapter: state.name,
    operation,
    retryable: false,
    cause: cause instanceof Error ? cause.message : String(cause),
  });
}

/**
 * Answers on a later microtask, like a database round trip, so concurrent callers interleave; `body` itself
 * runs synchronously (atomic). An aborted signal, before the call or before `body` runs, is `cancelled`.
 */
function respond<T>(
  state: State,
  operation: string,
  options: PortCallOptions | undefined,
  body: () => Result<T, PortError>,
): ResultAsync<T, PortError> {
  if (options?.signal?.aborted) return errAsync(cancelled(operation));
  return ResultAsync.fromSafePromise(Promise.resolve()).andThen((): Result<T, PortError> => {
    if (options?.signal?.aborted) return err(cancelled(operation));
    try {
      return body();
    } catch (cause) {
      return err(portFailure(state, operation, cause));
    }
  });
}

const ClaimInput = ClaimLeaseInput;
const HeartbeatInput = HeartbeatLeaseInput;
const ReleaseInput = ReleaseLeaseInput;

function parseLeaseInput<S extends z.ZodType>(schema: S, input: unknown): Result<z.infer<S>, PortError> {
  return parseAt(schema, input, [], "invalid_input");
}

function leaseOf(raw: Raw, lease: Lease, now: number): Result<AssignmentLease, PortError> {
  return readStored(CardAssignment, raw, "assignments").map((assignment) => ({
    assignment,
    worker_id: lease.worker_id,
    token: lease.token,
    expires_at: new Date(lease.expires_ms).toISOString(),
    store_now: new Date(now).toISOString(),
  }));
}

/**
 * Claims the oldest assignment in one of `phases` whose lease is free or expired (`expires < now`, the store's
 * clock) under a new token, bumping its version; synchronous, so concurrent claimers (each on its own
 * microtask) never get the same one.
 */
function claimNext(state: State, input: unknown): Result<AssignmentLease | null, PortError> {
  return parseLeaseInput(ClaimInput, input).andThen((claim) => {
    const now = Date.parse(state.clock.now());
    const phases: readonly unknown[] = claim.phases;
    for (const [id, raw] of state.tables.assignments) {
      const held = state.leases.get(id);
      if (!phases.includes(raw.phase) || (held && held.expires_ms >= now)) continue;
      const bumped = { ...raw, version: Number(raw.version) + 1 };
      state.claims += 1;
      const token = `claim-${state.claims}:${id}`;
      const lease = { worker_id: claim.worker_id, token, expires_ms: now + claim.lease_ms };
      return leaseOf(bumped, lease, now).map((leased) => {
        state.tables.assignments.set(id, bumped);
        state.leases.set(id, lease);
        return leased;
      });
    }
    return ok(null);
  });
}

/** Extends the lease of claim `token` (expired or not, as long as nobody claimed since); no version bump. */
function extendLease(state: State, input: unknown): Result<AssignmentLease, PortError> {
  return parseLeaseInput(HeartbeatInput, input).andThen((beat) => {
    const raw = state.tables.assignments.get(beat.assignment_id);
    if (!raw) return err(notFound("assignment", beat.assignment_id));
    const held = state.leases.get(beat.assignment_id);
    if (held?.token !== beat.token) return err(conflict("lease_lost", "assignment", beat.assignment_id));
    const now = Date.parse(state.clock.now());
    const lease = { ...held, expires_ms: now + beat.lease_ms };
    state.leases.set(beat.assignment_id, lease);
    return leaseOf(raw, lease, now);
  });
}

/** Frees the lease of claim `token`; otherwise (unknown assignment, a later claim's lease) a no-op. */
function releaseLease(state: State, input: unknown): Result<void, PortError> {
  return parseLeaseInput(ReleaseInput, input).map((release): undefined => {
    if (state.leases.get(release.assignment_id)?.token === release.token) {
      state.leases.delete(release.assignment_id);
    }
    return undefined;
  });
}

/**
 * An in-memory {@link StoragePort} that behaves as the Postgres adapter does:
 *
 * - `write` validates everything first (record shapes, versions, duplicate ids, referenced runs), then applies
 *   all of it or nothing. Versioned records: `expected_version: null` creates (`conflict` `already_exists`), a
 *   number must equal the stored version (`conflict` `stale_version`; `not_found` when absent); the stored
 *   version is `expected + 1` (0 on create), whatever the record's own `version` says. A decided approval
 *   (approved/rejected) cannot change status (`conflict` `already_decided`). No update may change a frozen
 *   field (`FROZEN_FIELDS`: snapshots, their hashes, what a record belongs to; `validation`
 *   `snapshot_immutable`), and a card whose snapshot does not match its hash is refused
 *   (`snapshot_hash_mismatch`). Checks are immutable
 *   (`already_exists`), executions upserted, commits inserted once. Events get per-run sequences from 1, gap-free,
 *   in write order; an event, assignment, approval, PR candidate, check or execution for a run that is neither
 *   stored nor in the same write is `not_found` (commits need their assignment). A repeated `idempotency_key`
 *   returns the first write's result with `replayed: true` and applies nothing.
 * - Records are stored as parsed copies that share nothing mutable with the caller. Each stored row is parsed
 *   with its zod schema once and deep-frozen, and every read of it answers that same frozen record (a caller
 *   that edits one gets a `TypeError`, where a database would hand out a mutable copy). `getRun` verifies the snapshot hashes (`validation`, `snapshot_hash_mismatch` or
 *   `snapshot_unhashed`); every read of a card verifies its snapshot's hash when it has one.
 * - Lists come in creation/write order; an unknown run or assignment lists `[]`.
 * - `readRunState` (unless `readRunState: false`) answers what `getRun` and the five run lists would, from one
 *   synchronous body, so no write can land between its parts.
 * - `listCardAssignments` (unless `listCardAssignments: false`) answers a card's assignments across all runs in
 *   the order they were first stored (through the card index, not a scan of every assignment).
 * - Every call answers on a later microtask; an aborted signal answers `cancelled` and changes nothing.
 * - `leases` (unless `leases: false`): a claim takes the oldest assignment (creation order) in the asked phases
 *   whose lease is free or expired (`expires_at < now`, by the store's `clock`, never the caller's), leases it
 *   until `now + lease_ms` under a new token and bumps its version; a heartbeat extends the lease of a token
 *   that is still current (no version bump; `conflict` `lease_lost` once another claim replaced it or it was
 *   released, `not_found` for an unknown assignment); a release with any other token is a no-op; a write with a
 *   `fence` whose token is not current is `conflict` `lease_lost`, checked first. Leases live beside the rows,
 *   not in the records, as the Postgres adapter's lease columns do.
 * - Bounded: it keeps every run that has not ended and the newest `retain_ended_runs` ended ones (default
 *   1,000); a forgotten run and all its rows read as never stored (see
 *   {@link InMemoryStorageOptions.retain_ended_runs}). The call log keeps the newest `log_limit` calls.
 */
export function createInMemoryStorage(options: InMemoryStorageOptions = {}): InMemoryStorage {
  const state: State = {
    name: options.name ?? "in-memory-storage",
    tables: {
      runs: new Table(),
      assignments: new Table(),
      approvals: new Table(),
      pull_requests: new Table(),
      checks: new Table(),
      executions: new Table(),
      commits: new Table(),
      events: new Table(),
    },
    idempotency: new Map(),
    leases: new Map(),
    retention: new RunRetention(options.retain_ended_runs ?? DEFAULT_RETAIN_ENDED_RUNS),
    onForget: options.onForget,
    clock: options.clock ?? { now: () => new Date().toISOString() },
    claims: 0,
  };
  const { tables } = state;
  const log = new BoundedLog<StorageOperation>(options.log_limit ?? DEFAULT_LOG_LIMIT);
  /**
   * Rows whose snapshot hashes were verified. Rows are never edited in place (a write or `tamperRun` stores a
   * new object), so a row verified once stays verified: the same answers as hashing on every read, cheaper.
   */
  const verified = new WeakSet<Raw>();
  const logCall = (entry: StorageOperation): void => {
    log.push(frozenCopy(entry));
  };

  /** The stored run, parsed, its snapshot hashes verified (once per stored row, see `verified`). */
  const readRun = (run_id: string): Result<OrchestrationRun, PortError> => {
    const raw = tables.runs.get(run_id);
    if (!raw) return err(notFound("run", run_id));
    return readStored(OrchestrationRun, raw, "runs").andThen((run) =>
      verified.has(raw)
        ? ok(run)
        : verifyRunSnapshots(run).map(() => {
            verified.add(raw);
            return run;
          }),
    );
  };

  const readRunList = <S extends z.ZodType>(
    table: TableName,
    schema: S,
    run_id: string,
  ): Result<z.infer<S>[], PortError> => readAll(schema, tables[table].rowsWhere("run_id", run_id), table);

  const listByRun = <S extends z.ZodType>(
    operation: RunListOperation,
    table: TableName,
    schema: S,
    run_id: string,
    call: PortCallOptions | undefined,
  ): ResultAsync<z.infer<S>[], PortError> => {
    logCall({ operation, run_id });
    return respond(state, operation, call, () => readRunList(table, schema, run_id));
  };

  /**
   * The ids of the runs that may pass `query`: with a `card_id`, only the runs of that card or holding an
   * assignment of it (through the index, not a scan of every run); otherwise every run.
   */
  const runCandidates = (query: RunListQuery): Iterable<string> => {
    if (query.card_id === undefined) return tables.runs.keys();
    const ids = new Set<string>();
    for (const run of tables.runs.rowsWhere("card_id", query.card_id)) ids.add(String(run.id));
    for (const a of tables.assignments.rowsWhere("card_id", query.card_id)) ids.add(String(a.run_id));
    return ids;
  };

  /** Every stored run that passes `query`, newest first, one page; each run verified as `getRun` does. */
  const listRuns = (input: unknown): Result<RunListPage, PortError> =>
    parseAt(RunListQuery, input, [], "invalid_run_list_query").andThen((query) => {
      const matching: OrchestrationRun[] = [];
      for (const id of runCandidates(query)) {
        // Judged on the stored row first: only runs of the project are parsed and verified (a long-lived
        // store holds many projects' runs; parsing them all on every list made lists grow with the store).
        const raw = tables.runs.get(id);
        if (query.project_id !== undefined && raw?.project_id !== query.project_id) continue;
        const run = readRun(id);
        if (run.isErr()) return err(run.error);
        const cards = tables.assignments.rowsWhere("run_id", id).map((a) => String(a.card_id));
        if (run.value.card_id !== null) cards.push(run.value.card_id);
        if (runMatchesListQuery(run.value, cards, query)) matching.push(run.value);
      }
      const runs = matching.sort(compareRunsNewestFirst).slice(0, query.limit + 1);
      const last = runs.length > query.limit ? runs[query.limit - 1] : undefined;
      return ok({ runs: runs.slice(0, query.limit), next_cursor: last ? runListCursor(last) : null });
    });

  /** One synchronous body: nothing can interleave between the run and its lists. */
  const readRunState = (run_id: string, call?: PortCallOptions): ResultAsync<StoredRunState, PortError> => {
    logCall({ operation: "readRunState", run_id });
    return respond(state, "readRunState", call, () =>
      readRun(run_id).andThen((run) =>
        Result.combine([
          readRunList("assignments", CardAssignment, run_id),
          readRunList("checks", RunCheck, run_id),
          readRunList("approvals", ApprovalRequest, run_id),
          readRunList("pull_requests", PullRequestCandidate, run_id),
          readRunList("executions", AgentExecution, run_id),
        ]).map(
          ([assignments, checks, approvals, pull_requests, executions]): StoredRunState => ({
            run,
            assignments,
            checks,
            approvals,
            pull_requests,
            executions,
          }),
        ),
      ),
    );
  };

  /** A card's assignments in every run, in the order they were first stored (the card index keeps it). */
  const listCardAssignments = (
    card_id: string,
    call?: PortCallOptions,
  ): ResultAsync<CardAssignment[], PortError> => {
    logCall({ operation: "listCardAssignments", card_id });
    return respond(state, "listCardAssignments", call, () =>
      readAll(CardAssignment, tables.assignments.rowsWhere("card_id", card_id), "assignments"),
    );
  };

  const leases: StorageLeases = {
    claimNextAssignment(input, call) {
      logCall({ operation: "claimNextAssignment", input: { ...input } });
      return respond(state, "claimNextAssignment", call, () => claimNext(state, input));
    },
    heartbeat(input, call) {
      logCall({ operation: "heartbeat", input: { ...input } });
      return respond(state, "heartbeat", call, () => extendLease(state, input));
    },
    releaseLease(input, call) {
      logCall({ operation: "releaseLease", input: { ...input } });
      return respond(state, "releaseLease", call, () => releaseLease(state, input));
    },
  };

  const subscribers = createRunChangeListeners();
  const changes: StorageRunChanges = {
    subscribe: (listener) => okAsync(subscribers.add(listener)),
  };
  /** The runs a stored write touched, from what it stored and what it was asked to store. */
  const touched = (write: StorageWrite, result: StorageWriteResult): string[] => [
    ...result.runs.map((r) => r.id),
    ...[...result.assignments, ...result.approvals, ...result.pull_requests, ...result.events].map(
      (r) => r.run_id,
    ),
    ...[...(write.checks ?? []), ...(write.executions ?? [])].map((r) => r.run_id),
  ];

  return {
    name: state.name,
    ...(options.leases === false ? {} : { leases }),
    ...(options.changes === false ? {} : { changes }),
    ...(options.readRunState === false ? {} : { readRunState }),
    ...(options.listCardAssignments === false ? {} : { listCardAssignments }),
    get operations() {
      return log.entries();
    },
    snapshot(): InMemoryStorageSnapshot {
      const copy = (table: TableName) => copyJson([...tables[table].values()]);
      return {
        runs: copy("runs"),
        assignments: copy("assignments"),
        approvals: copy("approvals"),
        pull_requests: copy("pull_requests"),
        checks: copy("checks"),
        executions: copy("executions"),
        commits: copy("commits"),
        events: copy("events"),
        idempotency_keys: [...state.idempotency.keys()],
      };
    },
    tamperRun(run_id, mutate) {
      const raw = tables.runs.get(run_id);
      if (!raw) throw new Error(`tamperRun: no stored run ${run_id} in ${state.name}`);
      const copy = copyJson(raw);
      mutate(copy);
      tables.runs.set(run_id, copy);
    },
    write(write, call) {
      logCall({ operation: "write", write });
      return respond(state, "write", call, () => applyWrite(state, write)).map((result) => {
        if (!result.replayed) {
          subscribers.notify(touched(write, result), new Set(result.runs.map((r) => r.id)));
        }
        return result;
      });
    },
    getRun(run_id, call) {
      logCall({ operation: "getRun", run_id });
      return respond(state, "getRun", call, () => readRun(run_id));
    },
    listRuns(query, call) {
      logCall({ operation: "listRuns", query: { ...query } });
      return respond(state, "listRuns", call, () => listRuns(query));
    },
    getAssignment(assignment_id, call) {
      logCall({ operation: "getAssignment", assignment_id });
      return respond(state, "getAssignment", call, () => {
        const raw = tables.assignments.get(assignment_id);
        return raw
          ? readStored(CardAssignment, raw, "assignments")
          : err(notFound("assignment", assignment_id));
      });
    },
    listAssignments: (run_id, call) =>
      listByRun("listAssignments", "assignments", CardAssignment, run_id, call),
    listChecks: (run_id, call) => listByRun("listChecks", "checks", RunCheck, run_id, call),
    listApprovals: (run_id, call) => listByRun("listApprovals", "approvals", ApprovalRequest, run_id, call),
    listPullRequests: (run_id, call) =>
      listByRun("listPullRequests", "pull_requests", PullRequestCandidate, run_id, call),
    listExecutions: (run_id, call) => listByRun("listExecutions", "executions", AgentExecution, run_id, call),
    listCommits(assignment_id, call) {
      logCall({ operation: "listCommits", assignment_id });
      return respond(state, "listCommits", call, () =>
        readAll(AgentCommit, tables.commits.rowsWhere("assignment_id", assignment_id), "commits"),
      );
    },
    listEvents(run_id, after, call) {
      logCall({ operation: "listEvents", run_id, after });
      return respond(state, "listEvents", call, () =>
        readAll(RunEvent, tables.events.rowsWhere("run_id", run_id), "events").map((events) =>
          events
            .filter((e) => after === undefined || e.sequence > after)
            .sort((a, b) => a.sequence - b.sequence),
        ),
      );
    },
  };
}
