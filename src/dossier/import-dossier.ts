import { errAsync, okAsync, ResultAsync } from "neverthrow";
import type { RungateError } from "../core/errors.js";
import type { OrchestrationRun } from "../core/schemas/orchestration-run.js";
import type { SystemPolicyProfile } from "../core/schemas/system-policy-profile.js";
import type { PortCallOptions } from "../ports/port-error.js";
import type { StoragePort, StorageWrite } from "../ports/storage-port.js";
import { convertDossier, type DossierRecords } from "./convert-dossier.js";
import type { DossierRecordKind, DossierReport } from "./dossier-report.js";

/** The record kinds an import writes to storage (policies are returned to the host instead). */
export type StoredRecordKind = Exclude<DossierRecordKind, "policies">;

/** How many records of each stored kind. */
export type StoredCounts = { readonly [K in StoredRecordKind]: number };

/** A record the store already held: left as stored (a stored snapshot is immutable), not written again. */
export interface AlreadyPresent {
  readonly kind: StoredRecordKind;
  readonly id: string;
}

/**
 * What {@link importDossier} did: the conversion's report, the policies for the host to keep, how many
 * records it wrote, and the records the store already held (a second import writes nothing and lists all).
 */
export interface DossierImportOutcome {
  readonly report: DossierReport;
  readonly policies: readonly SystemPolicyProfile[];
  readonly written: StoredCounts;
  readonly already_present: readonly AlreadyPresent[];
}

const NOTHING: StoredCounts = {
  runs: 0,
  assignments: 0,
  executions: 0,
  commits: 0,
  checks: 0,
  approvals: 0,
  pull_requests: 0,
  events: 0,
};

/** One run and every record that belongs to it. */
type RunRecords = { readonly run: OrchestrationRun } & {
  readonly [K in Exclude<StoredRecordKind, "runs">]: DossierRecords[K];
};

function byRun(records: DossierRecords): RunRecords[] {
  const ofRun = <T extends { readonly run_id: string }>(list: readonly T[], id: string) =>
    list.filter((r) => r.run_id === id);
  return records.runs.map((run) => {
    const assignments = ofRun(records.assignments, run.id);
    const cards = new Set(assignments.map((a) => a.id));
    return {
      run,
      assignments,
      executions: ofRun(records.executions, run.id),
      commits: records.commits.filter((c) => cards.has(c.assignment_id)),
      checks: ofRun(records.checks, run.id),
      approvals: ofRun(records.approvals, run.id),
      pull_requests: ofRun(records.pull_requests, run.id),
      events: ofRun(records.events, run.id),
    };
  });
}

/** The ids of each kind the store already holds for one run (all empty when the run is not stored). */
type StoredIds = { readonly [K in StoredRecordKind]: ReadonlySet<string> };

const ids = (list: readonly { readonly id: string }[]): ReadonlySet<string> => new Set(list.map((r) => r.id));

function storedIds(
  storage: StoragePort,
  records: RunRecords,
  options: PortCallOptions | undefined,
): ResultAsync<StoredIds, RungateError> {
  const none: StoredIds = {
    runs: new Set(),
    assignments: new Set(),
    executions: new Set(),
    commits: new Set(),
    checks: new Set(),
    approvals: new Set(),
    pull_requests: new Set(),
    events: new Set(),
  };
  const runId = records.run.id;
  return storage
    .getRun(runId, options)
    .map(() => true)
    .orElse((e) => (e.kind === "not_found" ? okAsync(false) : errAsync(e)))
    .andThen((stored) => {
      if (!stored) return okAsync(none);
      return ResultAsync.combine([
        storage.listAssignments(runId, options),
        storage.listExecutions(runId, options),
        storage.listChecks(runId, options),
        storage.listApprovals(runId, options),
        storage.listPullRequests(runId, options),
        storage.listEvents(runId, undefined, options),
        ResultAsync.combine(records.assignments.map((a) => storage.listCommits(a.id, options))),
      ]).map(
        ([assignments, executions, checks, approvals, pull_requests, events, commits]): StoredIds => ({
          runs: new Set([runId]),
          assignments: ids(assignments),
          executions: ids(executions),
          commits: ids(commits.flat()),
          checks: ids(checks),
          approvals: ids(approvals),
          pull_requests: ids(pull_requests),
          events: ids(events),
        }),
      );
    });
}

/** What one run's import wrote and found. */
interface RunTally {
  readonly written: StoredCounts;
  readonly already_present: readonly AlreadyPresent[];
}

/**
 * Writes one run and its records in ONE atomic storage write (run first, then what refers to it, as storage
 * checks references within a write), leaving out every record the store already holds.
 */
function importRun(
  storage: StoragePort,
  records: RunRecords,
  options: PortCallOptions | undefined,
): ResultAsync<RunTally, RungateError> {
  return storedIds(storage, records, options).andThen((stored) => {
    const present: AlreadyPresent[] = [];
    const missing = <K extends StoredRecordKind, T extends { readonly id: string }>(
      kind: K,
      list: readonly T[],
    ) =>
      list.filter((record) => {
        if (!stored[kind].has(record.id)) return true;
        present.push({ kind, id: record.id });
        return false;
      });
    const runs = missing("runs", [records.run]);
    const assignments = missing("assignments", records.assignments);
    const executions = missing("executions", records.executions);
    const commits = missing("commits", records.commits);
    const checks = missing("checks", records.checks);
    const approvals = missing("approvals", records.approvals);
    const pull_requests = missing("pull_requests", records.pull_requests);
    const events = missing("events", records.events);
    const written: StoredCounts = {
      runs: runs.length,
      assignments: assignments.length,
      executions: executions.length,
      commits: commits.length,
      checks: checks.length,
      approvals: approvals.length,
      pull_requests: pull_requests.length,
      events: events.length,
    };
    if (Object.values(written).every((n) => n === 0)) return okAsync({ written, already_present: present });
    const create = <T>(record: T) => ({ record, expected_version: null });
    const write: StorageWrite = {
      runs: runs.map(create),
      assignments: assignments.map(create),
      approvals: approvals.map(create),
      pull_requests: pull_requests.map(create),
      checks,
      executions,
      commits,
      events,
    };
    return storage.write(write, options).map(() => ({ written, already_present: present }));
  });
}

function add(a: StoredCounts, b: StoredCounts): StoredCounts {
  const sum = { ...a };
  for (const kind of Object.keys(b) as StoredRecordKind[]) sum[kind] = a[kind] + b[kind];
  return sum;
}

/**
 * Converts an export of the reference system ({@link convertDossier}) and writes the records through
 * `storage`, one atomic write per run (a run with its cards, executions, commits, checks, approvals, PR
 * candidates and events), runs in the export's order.
 *
 * Idempotent: ids are the reference's (or derived from them), and a record the store already holds is listed
 * in `already_present` and left as stored, never written again nor overwritten (stored snapshots are
 * immutable): importing the same export twice writes nothing the second time; importing a later export adds
 * only the new rows. Returns the policies for the host to keep (rungate stores none).
 *
 * Fails with the conversion's `validation` error when the input is not an export, or with the first storage
 * error (the runs written before it stay written; importing again completes the rest). Never throws.
 */
export function importDossier(
  storage: StoragePort,
  input: unknown,
  options?: PortCallOptions,
): ResultAsync<DossierImportOutcome, RungateError> {
  const converted = convertDossier(input);
  if (converted.isErr()) return errAsync(converted.error);
  const { records, report } = converted.value;
  return byRun(records)
    .reduce<ResultAsync<RunTally, RungateError>>(
      (acc, run) =>
        acc.andThen((tally) =>
          importRun(storage, run, options).map((next) => ({
            written: add(tally.written, next.written),
            already_present: [...tally.already_present, ...next.already_present],
          })),
        ),
      okAsync({ written: NOTHING, already_present: [] }),
    )
    .map((tally) => ({ report, policies: records.policies, ...tally }));
}
