/** Applying the migrations of `migrations.ts` to one schema, raced safely by concurrent openers. */
import { errAsync, okAsync, type ResultAsync } from "neverthrow";
import { z } from "zod";
import { rungateError } from "../../core/errors.js";
import type { PortError } from "../../ports/port-error.js";
import { inOrder, inTransaction, runPlan, runPlans, type Scope } from "./execute.js";
import { portFailure } from "./map-postgres-errors.js";
import { LATEST_SCHEMA_VERSION, type Migration, migrationPlan, migrationsFor } from "./migrations.js";
import { currentVersion, ensureLedger, forgetMigration, migrationLock, recordMigration } from "./plans.js";
import { SchemaName, type SqlClient, type SqlQueryable } from "./postgres-config.js";
import { parseAt } from "./records.js";

/** Options of {@link migrateSchema}. */
export const MigrateOptions = z.object({
  /** Schema to migrate (created when absent). */
  schema: SchemaName,
  /** Version to reach, up or down (default: the latest this code knows). */
  target: z.number().int().min(0).max(LATEST_SCHEMA_VERSION).optional(),
  /** Adapter name used in errors. */
  adapter: z.string().min(1).default("postgres-storage"),
});
/** Input of {@link MigrateOptions}. */
export type MigrateOptions = z.input<typeof MigrateOptions>;

/** What {@link migrateSchema} did: the recorded version before and after. */
export interface MigrationOutcome {
  readonly from: number;
  readonly to: number;
}

const VersionRow = z.object({ version: z.number().int() });

function apply(tx: SqlQueryable, schema: string, scope: Scope, step: Migration, direction: "up" | "down") {
  const statements = (direction === "up" ? step.up : step.down).map((text) => ({ text, values: [] }));
  const ledger =
    direction === "up"
      ? recordMigration(schema, step.version, step.description)
      : forgetMigration(schema, step.version);
  return runPlans(tx, [...statements, ledger], scope);
}

/**
 * Brings `schema` to `target` (default {@link LATEST_SCHEMA_VERSION}) in one transaction: takes a
 * transaction-scoped advisory lock on the schema (two processes opening at once take turns; the second finds the
 * work done), creates the schema and the `rungate_migrations` ledger when absent, reads the recorded version and
 * walks the migrations' `previous` links up or down, recording each step. A database whose recorded version is
 * newer than this code knows fails with `port_failure` `schema_too_new` (not retryable) and is left untouched:
 * rungate never downgrades a schema it cannot read. Any failure rolls the whole migration back.
 */
export function migrateSchema(
  client: SqlClient,
  options: MigrateOptions,
): ResultAsync<MigrationOutcome, PortError> {
  const parsed = parseAt(MigrateOptions, options, [], "invalid_input");
  if (parsed.isErr()) return errAsync(parsed.error);
  const { schema, adapter } = parsed.value;
  const target = parsed.value.target ?? LATEST_SCHEMA_VERSION;
  const scope: Scope = { adapter, operation: "migrate" };
  return inTransaction(client, scope, (tx) =>
    runPlan(tx, migrationLock(schema), z.unknown(), scope)
      .andThen(() => runPlans(tx, ensureLedger(schema), scope))
      .andThen(() => runPlan(tx, currentVersion(schema), VersionRow, scope))
      .andThen(([row]) => {
        const from = row?.version ?? 0;
        if (from > LATEST_SCHEMA_VERSION) {
          return errAsync(
            portFailure(
              adapter,
              "migrate",
              "schema_too_new",
              false,
              `schema "${schema}" is at version ${from}, newer than ${LATEST_SCHEMA_VERSION}, the newest this rungate knows; upgrade rungate (it never downgrades a database)`,
            ),
          );
        }
        const plan = migrationPlan(migrationsFor(schema), from, target);
        if (plan.isErr()) {
          return errAsync(
            rungateError("validation", "migration_gap", {
              issues: [{ path: ["target"], code: "migration_gap", message: plan.error }],
            }),
          );
        }
        const { direction, steps } = plan.value;
        return inOrder(steps, (step) => apply(tx, schema, scope, step, direction)).andThen(() =>
          okAsync<MigrationOutcome, PortError>({ from, to: target }),
        );
      }),
  );
}
