/**
 * The schema's history as data (pg-boss's `migrationStore`): each entry names its `version`, the `previous` one it
 * applies on top of, and the statements that go `up` to it and back `down`. Migrating walks the `previous` links;
 * a gap in them is an error, never a guess.
 */
import { err, ok, type Result } from "neverthrow";
import { compactEvents } from "./compact-events-migration.js";
import { compactStorage } from "./compact-storage-migration.js";
import { quoteSchema } from "./plans.js";
import { RUN_STATE_FUNCTION, runStateFunctionDdl } from "./run-state-function.js";
import { WRITE_FUNCTION, writeFunctionDdl } from "./write-function.js";
import { writeFunctionV5Ddl } from "./write-function-v5.js";
import { writeFunctionV7Ddl } from "./write-function-v7.js";

/** One step of the schema's history. */
export interface Migration {
  readonly version: number;
  /** The version this one applies on top of (0: an empty schema). */
  readonly previous: number;
  readonly description: string;
  /** Statements from `previous` to `version`, run in order inside one transaction. */
  readonly up: readonly string[];
  /** Statements from `version` back to `previous`. */
  readonly down: readonly string[];
}

/** The newest schema version this code knows. */
export const LATEST_SCHEMA_VERSION = 8;

/** The record tables; each row keeps its record as `jsonb` plus the columns queries need. */
function recordTables(s: string): Migration {
  const versioned = (table: string, extra: string) => `CREATE TABLE ${s}.${table} (
      id text PRIMARY KEY,
      seq bigserial NOT NULL,
      version integer NOT NULL CHECK (version >= 0),
      ${extra}
      record jsonb NOT NULL
    )`;
  const runChild = (table: string) => `CREATE TABLE ${s}.${table} (
      id text PRIMARY KEY,
      seq bigserial NOT NULL,
      run_id text NOT NULL REFERENCES ${s}.runs (id),
      record jsonb NOT NULL
    )`;
  return {
    version: 1,
    previous: 0,
    description:
      "records: runs, assignments, approvals, pull requests, checks, executions, commits, events, idempotency keys",
    up: [
      versioned("runs", "phase text NOT NULL, system_policy_hash text, run_input_hash text,"),
      versioned("assignments", `run_id text NOT NULL REFERENCES ${s}.runs (id), phase text NOT NULL,`),
      `CREATE INDEX assignments_by_run ON ${s}.assignments (run_id, seq)`,
      versioned("approvals", `run_id text NOT NULL REFERENCES ${s}.runs (id),`),
      `CREATE INDEX approvals_by_run ON ${s}.approvals (run_id, seq)`,
      versioned("pull_requests", `run_id text NOT NULL REFERENCES ${s}.runs (id),`),
      `CREATE INDEX pull_requests_by_run ON ${s}.pull_requests (run_id, seq)`,
      runChild("checks"),
      `CREATE INDEX checks_by_run ON ${s}.checks (run_id, seq)`,
      runChild("executions"),
      `CREATE INDEX executions_by_run ON ${s}.executions (run_id, seq)`,
      `CREATE TABLE ${s}.commits (
        id text PRIMARY KEY,
        seq bigserial NOT NULL,
        assignment_id text NOT NULL REFERENCES ${s}.assignments (id),
        record jsonb NOT NULL
      )`,
      `CREATE INDEX commits_by_assignment ON ${s}.commits (assignment_id, seq)`,
      `CREATE TABLE ${s}.events (
        id text PRIMARY KEY,
        run_id text NOT NULL REFERENCES ${s}.runs (id),
        sequence integer NOT NULL CHECK (sequence >= 1),
        record jsonb NOT NULL,
        UNIQUE (run_id, sequence)
      )`,
      `CREATE TABLE ${s}.idempotency_keys (
        key text PRIMARY KEY,
        result jsonb,
        created_at timestamptz NOT NULL DEFAULT now()
      )`,
    ],
    down: [
      `DROP TABLE ${s}.idempotency_keys`,
      `DROP TABLE ${s}.events`,
      `DROP TABLE ${s}.commits`,
      `DROP TABLE ${s}.executions`,
      `DROP TABLE ${s}.checks`,
      `DROP TABLE ${s}.pull_requests`,
      `DROP TABLE ${s}.approvals`,
      `DROP TABLE ${s}.assignments`,
      `DROP TABLE ${s}.runs`,
    ],
  };
}

/** Leases live on the assignment row, beside (not inside) the record; claims scan by phase in creation order. */
function assignmentLeases(s: string): Migration {
  return {
    version: 2,
    previous: 1,
    description: "leases: lease_owner and lease_expires_at on assignments, claim index",
    up: [
      `ALTER TABLE ${s}.assignments
        ADD COLUMN lease_owner text,
        ADD COLUMN lease_expires_at timestamptz,
        ADD CONSTRAINT assignments_lease_whole CHECK ((lease_owner IS NULL) = (lease_expires_at IS NULL))`,
      `CREATE INDEX assignments_claimable ON ${s}.assignments (phase, seq)`,
    ],
    down: [
      `DROP INDEX ${s}.assignments_claimable`,
      `ALTER TABLE ${s}.assignments
        DROP CONSTRAINT assignments_lease_whole,
        DROP COLUMN lease_expires_at,
        DROP COLUMN lease_owner`,
    ],
  };
}

/**
 * Fencing: each claim gets its own token (`lease_token`), and heartbeats, releases and fenced writes name the
 * lease by it, so a frozen process whose restarted twin reuses its worker id can no longer renew or write. A
 * lease held while migrating gets a token no worker knows: its holder loses it at its next renewal, and the
 * card is claimed again once the lease runs out.
 */
function leaseTokens(s: string): Migration {
  return {
    version: 3,
    previous: 2,
    description: "fencing: lease_token on assignments, one per claim",
    up: [
      `ALTER TABLE ${s}.assignments ADD COLUMN lease_token text`,
      `UPDATE ${s}.assignments SET lease_token = gen_random_uuid()::text WHERE lease_owner IS NOT NULL`,
      `ALTER TABLE ${s}.assignments
        ADD CONSTRAINT assignments_lease_token CHECK ((lease_owner IS NULL) = (lease_token IS NULL))`,
    ],
    down: [`ALTER TABLE ${s}.assignments DROP CONSTRAINT assignments_lease_token, DROP COLUMN lease_token`],
  };
}

/**
 * A card's earlier runs are read on every build (`listRuns({ card_id })`): without these indexes that read scans
 * every run and assignment, 0.7 s a build at 50,000 runs (bench/postgres-card-runs.ts). Built inside the
 * migration's transaction, so writes to the two tables wait while they build; `IF NOT EXISTS` lets an operator
 * build them beforehand with `CREATE INDEX CONCURRENTLY` (docs/adapters/postgres.md).
 */
function cardIndexes(s: string): Migration {
  return {
    version: 4,
    previous: 3,
    description: "card lookups: runs and assignments indexed by record->>'card_id'",
    up: [
      `CREATE INDEX IF NOT EXISTS runs_by_card ON ${s}.runs ((record->>'card_id'))`,
      `CREATE INDEX IF NOT EXISTS assignments_by_card ON ${s}.assignments ((record->>'card_id'))`,
    ],
    down: [`DROP INDEX ${s}.assignments_by_card`, `DROP INDEX ${s}.runs_by_card`],
  };
}

/**
 * A write in one statement (`write-function.ts`): about 8 round trips a write became one. Only a function is
 * added, no table changes, so going up and down is instant. Its text is version 5's (`write-function-v5.ts`);
 * migration 6 replaces the function.
 */
function writeFunction(s: string, schema: string): Migration {
  return {
    version: 5,
    previous: 4,
    description: `writes in one statement: the ${WRITE_FUNCTION}(jsonb) function`,
    up: [writeFunctionV5Ddl(s, schema)],
    down: [`DROP FUNCTION ${s}.${WRITE_FUNCTION}(jsonb)`],
  };
}

/**
 * Snapshots sent once: `readRunState` as a function (`run-state-function.ts`), parsed and planned once a session
 * instead of on every call, that leaves out the snapshots the reader names as known; and the write function
 * replaced by one that accepts runs and cards without the snapshots `snapshots` holds. Only functions change.
 */
function snapshotsSentOnce(s: string, schema: string): Migration {
  return {
    version: 8,
    previous: 7,
    description: `snapshots sent once: the ${RUN_STATE_FUNCTION}(text, text[]) function, writes that leave stored snapshots out`,
    up: [runStateFunctionDdl(s), writeFunctionDdl(s, schema)],
    down: [`DROP FUNCTION ${s}.${RUN_STATE_FUNCTION}(text, text[])`, writeFunctionV7Ddl(s, schema)],
  };
}

/** Every migration for `schema`, oldest first. */
export function migrationsFor(schema: string): readonly Migration[] {
  const s = quoteSchema(schema);
  return [
    recordTables(s),
    assignmentLeases(s),
    leaseTokens(s),
    cardIndexes(s),
    writeFunction(s, schema),
    compactStorage(s, schema),
    compactEvents(s, schema),
    snapshotsSentOnce(s, schema),
  ];
}

/** The migrations to run to go from version `from` to `to`, and in which direction. */
export interface MigrationPlan {
  readonly direction: "up" | "down";
  /** In the order to apply: ascending going up (run each `up`), descending going down (run each `down`). */
  readonly steps: readonly Migration[];
}

/**
 * Walks the `previous` links between `from` and `to` (either direction). An error names the version whose link
 * is missing, or a target newer than {@link LATEST_SCHEMA_VERSION}.
 */
export function migrationPlan(
  migrations: readonly Migration[],
  from: number,
  to: number,
): Result<MigrationPlan, string> {
  const byVersion = new Map(migrations.map((m) => [m.version, m]));
  const walk = (high: number, low: number): Result<Migration[], string> => {
    const steps: Migration[] = [];
    for (let version = high; version !== low; ) {
      const step = byVersion.get(version);
      if (!step) return err(`no migration to version ${version} (walking from ${high} down to ${low})`);
      if (step.previous >= version)
        return err(`migration ${version} names a previous version ${step.previous}`);
      steps.push(step);
      version = step.previous;
      if (version < low) return err(`the migrations skip version ${low} (walking from ${high})`);
    }
    return ok(steps);
  };
  if (to > LATEST_SCHEMA_VERSION || to < 0) return err(`unknown target version ${to}`);
  if (to >= from) return walk(to, from).map((steps) => ({ direction: "up", steps: steps.reverse() }));
  return walk(from, to).map((steps) => ({ direction: "down", steps }));
}
