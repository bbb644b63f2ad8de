/**
 * The client side of a write in one statement (`write-function.ts`): every record is parsed here first, then
 * the whole write goes to `rungate_write` as one `jsonb` parameter, one round trip. A write this side cannot
 * send whole (a record that does not parse, an id twice, a card whose snapshot hash does not match), or that the
 * function refuses, is left to the statement-by-statement write in `write.ts`, which names the error.
 */
import { errAsync, okAsync, type Result, ResultAsync } from "neverthrow";
import { z } from "zod";
import { verifyAssignmentSnapshot } from "../../core/run/new-run.js";
import { AgentCommit, AgentExecution } from "../../core/schemas/agent-execution.js";
import type { CardAssignment } from "../../core/schemas/card-assignment.js";
import { RunCheck } from "../../core/schemas/run-check.js";
import { RunEvent } from "../../core/schemas/run-event.js";
import { hashSnapshotValue } from "../../core/snapshot/snapshot.js";
import type { PortError } from "../../ports/port-error.js";
import type { StorageWriteResult } from "../../ports/storage-port.js";
import type { Scope } from "./execute.js";
import { portFailure, toPortError } from "./map-postgres-errors.js";
import type { VersionedTable } from "./plans.js";
import type { SqlQueryable } from "./postgres-config.js";
import {
  parseAt,
  type Raw,
  type RawWriteResult,
  RawWriteResultSchema,
  readResult,
  rowsAs,
  VERSIONED,
} from "./records.js";
import { runChangeEntry } from "./run-changes.js";
import { RECORD_SNAPSHOTS } from "./snapshot-cache.js";
import { canonicalInstant } from "./stored-form.js";
import { WRITE_FUNCTION, WRITE_REFUSED_SQLSTATE } from "./write-function.js";

/** The parts of a write this side reads: the parsed envelope of `write.ts`, records still unparsed. */
export interface WriteParts {
  readonly fence?: { readonly assignment_id: string; readonly token: string } | undefined;
  readonly idempotency_key?: string | undefined;
  readonly runs?:
    | readonly { readonly record: unknown; readonly expected_version: number | null }[]
    | undefined;
  readonly assignments?: WriteParts["runs"];
  readonly approvals?: WriteParts["runs"];
  readonly pull_requests?: WriteParts["runs"];
  readonly checks?: readonly unknown[] | undefined;
  readonly executions?: readonly unknown[] | undefined;
  readonly commits?: readonly unknown[] | undefined;
  readonly events?: readonly unknown[] | undefined;
}

/** A write ready for `rungate_write`: its payload, and what the answer is made of. */
export interface PreparedWrite {
  /** The function's parameter, JSON. */
  readonly payload: string;
  /** The versioned records as stored; `events` without their sequences (the function assigns them). */
  readonly stored: RawWriteResult;
}

/** The function refused the write: the caller runs it statement by statement to learn why. */
export const REFUSED = Symbol("refused");

const VERSIONED_TABLES: readonly VersionedTable[] = ["runs", "assignments", "approvals", "pull_requests"];

/**
 * `raw` as sent: without each snapshot that hashes to what the record names and that `snapshots` is known to
 * hold under that hash, verified (`isStored`; the function checks the row is there, and refuses the write
 * otherwise). A run's policy, the same for every run of a project and ~2.8 KB, is then not sent again with each
 * write of the run.
 */
function leftOut(table: VersionedTable, raw: Raw, isStored: (hash: string) => boolean): Raw {
  if (table !== "runs" && table !== "assignments") return raw;
  let sent: Raw | undefined;
  for (const [field, hashOf] of RECORD_SNAPSHOTS[table]) {
    const hash = hashOf(raw);
    if (typeof hash !== "string" || !isStored(hash)) continue;
    // Only a snapshot that is what its hash names (a record may carry a forged one, which stays inline and is
    // refused on read): hashing a deep-frozen snapshot is done once and remembered (`hashSnapshotValue`).
    if (hashSnapshotValue(raw[field]).unwrapOr(null) !== hash) continue;
    sent ??= { ...raw };
    delete sent[field];
  }
  return sent ?? raw;
}

/** The record as sent (`sent`, see {@link leftOut}) and the columns `rungate_write` reads beside it. */
function versionedItem(table: VersionedTable, raw: Raw, expected: number | null, sent: Raw): Raw {
  const item: Raw = { id: raw.id, record: sent, expected };
  if (table !== "runs") item.run_id = raw.run_id;
  if (table === "runs" || table === "assignments") item.phase = raw.phase;
  if (table === "runs") {
    const hashes = raw.snapshot_hashes as { system_policy?: unknown; run_input?: unknown } | undefined;
    item.system_policy_hash = hashes?.system_policy ?? null;
    item.run_input_hash = hashes?.run_input ?? null;
  }
  return item;
}

/** Parses every list of a child table; `undefined` at the first record that does not parse. */
function parseList<S extends z.ZodType>(
  schema: S,
  items: readonly unknown[] | undefined,
): z.infer<S>[] | undefined {
  const parsed: z.infer<S>[] = [];
  for (const item of items ?? []) {
    const result = schema.safeParse(item);
    if (!result.success) return undefined;
    parsed.push(result.data);
  }
  return parsed;
}

/**
 * The write as one payload, or `undefined` when some part would be refused before reaching the database (the
 * statement-by-statement write then reports it in the in-memory fake's order). `key_window_ms`: how long the
 * store remembers an idempotency key (keys older than that are forgotten before this one is claimed).
 */
export function prepareWrite(
  write: WriteParts,
  key_window_ms: number,
  isStored: (hash: string) => boolean = () => false,
): PreparedWrite | undefined {
  const payload: Raw = {};
  const stored: Record<string, Raw[]> = {};
  const sentResult: Record<string, Raw[]> = {};
  for (const table of VERSIONED_TABLES) {
    const items: Raw[] = [];
    const raws: Raw[] = [];
    const sents: Raw[] = [];
    const seen = new Set<string>();
    for (const [index, write_item] of (write[table] ?? []).entries()) {
      const parsed = parseAt(
        VERSIONED[table].schema,
        { ...(write_item.record as Raw), version: 0 },
        [table, index, "record"],
        "invalid_record",
      );
      if (parsed.isErr()) return undefined;
      const record = parsed.value as Raw;
      if (table === "assignments" && verifyAssignmentSnapshot(record as CardAssignment).isErr())
        return undefined;
      const id = String(record.id);
      if (seen.has(id)) return undefined;
      seen.add(id);
      const expected = write_item.expected_version;
      const raw: Raw = { ...record, version: expected === null ? 0 : expected + 1 };
      const sent = leftOut(table, raw, isStored);
      raws.push(raw);
      sents.push(sent);
      items.push(versionedItem(table, raw, expected, sent));
    }
    payload[table] = items;
    stored[table] = raws;
    sentResult[table] = sents;
  }
  const checks = parseList(RunCheck, write.checks);
  const executions = parseList(AgentExecution, write.executions);
  const commits = parseList(AgentCommit, write.commits);
  const events = parseList(
    RunEvent,
    (write.events ?? []).map((draft) => ({ ...(draft as Raw), sequence: 0 })),
  );
  if (!checks || !executions || !commits || !events) return undefined;
  payload.checks = checks.map((c) => ({ id: c.id, run_id: c.run_id, record: c }));
  payload.executions = executions.map((e) => ({ id: e.id, run_id: e.run_id, record: e }));
  payload.commits = commits.map((c) => ({ id: c.id, assignment_id: c.assignment_id, record: c }));
  payload.events = events.map((e) => ({
    id: e.id,
    run_id: e.run_id,
    created_at: canonicalInstant(e.created_at),
    record: e,
  }));
  const result: RawWriteResult = {
    runs: stored.runs ?? [],
    assignments: stored.assignments ?? [],
    approvals: stored.approvals ?? [],
    pull_requests: stored.pull_requests ?? [],
    events: events as unknown as Raw[],
  };
  // Entries, not bare ids: the function sends `<schema>:<entry>` as it is, so the hint needs no migration.
  payload.notify = touchedRunEntries(result, [...checks, ...executions]);
  if (write.fence !== undefined) payload.fence = write.fence;
  if (write.idempotency_key !== undefined) {
    payload.key = write.idempotency_key;
    payload.key_window_ms = key_window_ms;
    // Without the snapshots left out of the records too: the function keeps a result without those anyway.
    payload.result = {
      runs: sentResult.runs ?? [],
      assignments: sentResult.assignments ?? [],
      approvals: result.approvals,
      pull_requests: result.pull_requests,
    };
  }
  return { payload: JSON.stringify(payload), stored: result };
}

/**
 * The `notify` entries of a write (see `runChangeEntry`), one per run it touches: the runs it stores, hinted as
 * their own record written, and the runs of every other record in it, hinted as left alone unless stored too.
 */
export function touchedRunEntries(
  raw: RawWriteResult,
  others: readonly { readonly run_id: string }[],
): string[] {
  const isId = (id: unknown): id is string => typeof id === "string";
  const run_records = new Set(raw.runs.map((r) => r.id).filter(isId));
  const through_others = [
    ...[...raw.assignments, ...raw.approvals, ...raw.pull_requests, ...raw.events].map((r) => r.run_id),
    ...others.map((r) => r.run_id),
  ].filter((id): id is string => isId(id) && !run_records.has(id));
  return [
    ...[...run_records].map((id) => runChangeEntry(id, true)),
    ...[...new Set(through_others)].map((id) => runChangeEntry(id, false)),
  ];
}

const Answer = z.object({
  answer: z.union([
    z.object({ replayed: z.literal(true), result: z.unknown() }),
    z.object({ replayed: z.literal(false), sequences: z.array(z.number().int()) }),
  ]),
});

/** Whether a driver error is the function's refusal (see `WRITE_REFUSED_SQLSTATE`). */
function isRefusal(cause: unknown): boolean {
  return (cause as { code?: unknown } | null)?.code === WRITE_REFUSED_SQLSTATE;
}

/**
 * Sends a prepared write as one statement. `REFUSED` when the function refused it (nothing was applied);
 * otherwise the port's answer, a replay of the key's first write included.
 */
export function writeInOne(
  on: SqlQueryable,
  schema: string,
  prepared: PreparedWrite,
  scope: Scope,
): ResultAsync<StorageWriteResult | typeof REFUSED, PortError> {
  const text = `SELECT "${schema}".${WRITE_FUNCTION}($1::jsonb) AS answer`;
  return ResultAsync.fromPromise(
    (async () => {
      try {
        return { refused: false as const, result: await on.query(text, [prepared.payload]) };
      } catch (cause) {
        if (isRefusal(cause)) return { refused: true as const };
        throw cause;
      }
    })(),
    toPortError(scope.adapter, scope.operation),
  ).andThen((sent): ResultAsync<StorageWriteResult | typeof REFUSED, PortError> => {
    if (sent.refused) return okAsync(REFUSED);
    const rows = rowsAs(Answer, sent.result.rows.map(decodeAnswer), scope.adapter, scope.operation);
    if (rows.isErr()) return errAsync(rows.error);
    const answer = rows.value[0]?.answer;
    if (answer === undefined) return errAsync(unexpected(scope, `${WRITE_FUNCTION} returned no row`));
    return answer.replayed ? replayed(scope, answer.result) : fresh(scope, prepared, answer.sequences);
  });
}

/** pg and PGlite both parse a `jsonb` column; a client that hands back its text is decoded here. */
function decodeAnswer(row: unknown): unknown {
  const answer = (row as { answer?: unknown } | null)?.answer;
  if (typeof answer !== "string") return row;
  try {
    return { answer: JSON.parse(answer) };
  } catch {
    return row;
  }
}

function unexpected(scope: Scope, what: string): PortError {
  return portFailure(scope.adapter, scope.operation, "unexpected", false, what);
}

function replayed(scope: Scope, result: unknown): ResultAsync<StorageWriteResult, PortError> {
  const stored = RawWriteResultSchema.safeParse(result);
  if (!stored.success)
    return errAsync(unexpected(scope, "the idempotency key has no well-formed stored result"));
  return resultOf(readResult(stored.data, true));
}

function fresh(
  scope: Scope,
  prepared: PreparedWrite,
  sequences: readonly number[],
): ResultAsync<StorageWriteResult, PortError> {
  const { events } = prepared.stored;
  if (sequences.length !== events.length) {
    return errAsync(
      unexpected(
        scope,
        `${WRITE_FUNCTION} returned ${sequences.length} sequences for ${events.length} events`,
      ),
    );
  }
  const raw: RawWriteResult = {
    ...prepared.stored,
    events: events.map((event, i) => ({ ...event, sequence: sequences[i] })),
  };
  return resultOf(readResult(raw, false));
}

function resultOf<T>(result: Result<T, PortError>): ResultAsync<T, PortError> {
  return result.isOk() ? okAsync(result.value) : errAsync(result.error);
}
