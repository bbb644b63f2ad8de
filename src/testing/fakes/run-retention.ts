import { TERMINAL_RUN_PHASES } from "../../core/state/run-machine.js";

/**
 * How many ended runs (phase `completed`, `closed`, `failed` or `cancelled`) an in-memory store keeps by
 * default, the newest: far more than a test looks back on, and a long-lived store stays bounded (about 45 MiB
 * for the benchmark's one-card lifecycles). Runs that have not ended are never forgotten.
 */
export const DEFAULT_RETAIN_ENDED_RUNS = 1_000;

/** A stored row, as the store keeps it. */
type Row = Readonly<Record<string, unknown>>;

/**
 * What an in-memory store forgot of one ended run (see the `retain_ended_runs` option of
 * `createInMemoryStorage`), handed to its `onForget` so that the fakes holding the run's other state (the git
 * fake's worktrees and branches, see `InMemoryGit.forget`) can forget it too.
 */
export interface ForgottenRun {
  readonly run_id: string;
  readonly project_id: string;
  /** The run's clone (its `worktree_root`); `null` when it never got one. */
  readonly clone_path: string | null;
  /** The worktrees of its cards (`worktree_path`), those it had. */
  readonly worktree_paths: readonly string[];
  /**
   * Its cards' feature branches that no run the store still keeps uses, as a card's branch or as its base (a
   * branch another kept run of the card builds on is not listed).
   */
  readonly released_branches: readonly string[];
}

/** What retention needs of one table of the store: rows by id and by parent, and a way to drop them. */
export interface RetainedTable {
  get(id: string): Row | undefined;
  delete(id: string): boolean;
  rowsWhere(field: "run_id" | "assignment_id" | "feature_branch" | "base_branch", id: string): Row[];
}

/** The parts of a store that hold a run's data. */
export interface RetainedStore {
  readonly tables: {
    readonly [T in
      | "runs"
      | "assignments"
      | "approvals"
      | "pull_requests"
      | "checks"
      | "executions"
      | "commits"
      | "events"]: RetainedTable;
  };
  /** Idempotency key → what the write stored. */
  readonly idempotency: Map<string, unknown>;
  /** Assignment id → its lease. */
  readonly leases: Map<string, unknown>;
}

/** The tables whose rows belong to a run through their `run_id`. */
const RUN_CHILDREN = ["approvals", "pull_requests", "checks", "executions", "events"] as const;

const isEnded = (row: Row | undefined): boolean =>
  row !== undefined && (TERMINAL_RUN_PHASES as readonly unknown[]).includes(row.phase);

/**
 * Which runs a long-lived in-memory store forgets, and everything that goes with them: it keeps every run that
 * has not ended and the newest `limit` ended runs, in the order they ended. A forgotten run takes its
 * assignments (with their commits and leases), approvals, PR candidates, checks, executions, events and index
 * entries along; an idempotency key goes once every run its write touched is gone. Forgetting in end order,
 * not creation order, means a run that just ended (and that its caller may still read) is the last to go.
 */
export class RunRetention {
  readonly #limit: number;
  /** Ended runs, oldest end first (a Set keeps insertion order). */
  readonly #ended = new Set<string>();
  readonly #keysOfRun = new Map<string, Set<string>>();
  readonly #runsOfKey = new Map<string, Set<string>>();
  /** Keys of writes that touched no run (an empty write), oldest first; the newest `limit` are kept. */
  readonly #runless = new Set<string>();

  constructor(limit: number) {
    if (!(limit >= 1)) throw new RangeError(`retain_ended_runs must be at least 1, got ${limit}`);
    this.#limit = limit;
  }

  /** Notes a run row just stored: a run enters the end order when it reaches an ended phase. */
  noteRun(id: string, row: Row): void {
    if (this.#limit === Number.POSITIVE_INFINITY) return;
    if (!isEnded(row)) this.#ended.delete(id);
    else if (!this.#ended.has(id)) this.#ended.add(id);
  }

  /** Notes that the write stored under `key` touched `runs`. */
  noteKey(key: string, runs: ReadonlySet<string>): void {
    if (this.#limit === Number.POSITIVE_INFINITY) return;
    if (runs.size === 0) {
      this.#runless.add(key);
      return;
    }
    this.#runsOfKey.set(key, new Set(runs));
    for (const run_id of runs) {
      const keys = this.#keysOfRun.get(run_id) ?? new Set<string>();
      keys.add(key);
      this.#keysOfRun.set(run_id, keys);
    }
  }

  /** Forgets the oldest ended runs beyond the limit, and their rows; returns what was forgotten, oldest first. */
  evict(store: RetainedStore): ForgottenRun[] {
    const evicted: ForgottenRun[] = [];
    for (const id of this.#ended) {
      if (this.#ended.size <= this.#limit) break;
      this.#ended.delete(id);
      // A row edited behind the port's back (tamperRun) may no longer be ended: it is kept.
      if (!isEnded(store.tables.runs.get(id))) continue;
      evicted.push(this.#forgetRun(store, id));
    }
    for (const key of this.#runless) {
      if (this.#runless.size <= this.#limit) break;
      this.#runless.delete(key);
      store.idempotency.delete(key);
    }
    return evicted;
  }

  #forgetRun(store: RetainedStore, run_id: string): ForgottenRun {
    const { tables } = store;
    const run = tables.runs.get(run_id);
    const assignments = tables.assignments.rowsWhere("run_id", run_id);
    for (const assignment of assignments) {
      const assignment_id = String(assignment.id);
      for (const commit of tables.commits.rowsWhere("assignment_id", assignment_id)) {
        tables.commits.delete(String(commit.id));
      }
      store.leases.delete(assignment_id);
      tables.assignments.delete(assignment_id);
    }
    for (const table of RUN_CHILDREN) {
      for (const row of tables[table].rowsWhere("run_id", run_id)) tables[table].delete(String(row.id));
    }
    tables.runs.delete(run_id);
    for (const key of this.#keysOfRun.get(run_id) ?? []) {
      const runs = this.#runsOfKey.get(key);
      runs?.delete(run_id);
      if (runs !== undefined && runs.size > 0) continue;
      this.#runsOfKey.delete(key);
      store.idempotency.delete(key);
    }
    this.#keysOfRun.delete(run_id);
    const strings = (values: readonly unknown[]) => [
      ...new Set(values.filter((v): v is string => typeof v === "string")),
    ];
    return {
      run_id,
      project_id: String(run?.project_id),
      clone_path: typeof run?.worktree_root === "string" ? run.worktree_root : null,
      worktree_paths: strings(assignments.map((a) => a.worktree_path)),
      // Judged once the run's own rows are gone: a branch any kept card or run still names stays.
      released_branches: strings(assignments.map((a) => a.feature_branch)).filter(
        (branch) =>
          tables.assignments.rowsWhere("feature_branch", branch).length === 0 &&
          tables.runs.rowsWhere("base_branch", branch).length === 0,
      ),
    };
  }
}
